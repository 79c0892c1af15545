"""Detection ops: nms, box ops, roi_align/roi_pool, losses, StochasticDepth."""
