"""Detection ops: nms, box ops, roi_align/roi_pool, losses, StochasticDepth (torchvision.ops)."""

from .boxes import (batched_nms, box_area, box_convert, box_iou, clip_boxes_to_image,
                    complete_box_iou, distance_box_iou, generalized_box_iou, masks_to_boxes, nms,
                    remove_small_boxes)
from .focal_loss import sigmoid_focal_loss
from .misc import MLP, Conv2dNormActivation, FrozenBatchNorm2d, Permute, SqueezeExcitation
from .roi_align import RoIAlign, roi_align
from .roi_pool import RoIPool, roi_pool
from .stochastic_depth import StochasticDepth, stochastic_depth

__all__ = ["batched_nms", "box_area", "box_convert", "box_iou", "clip_boxes_to_image",
           "complete_box_iou", "distance_box_iou", "generalized_box_iou", "masks_to_boxes", "nms",
           "remove_small_boxes", "sigmoid_focal_loss", "MLP", "Conv2dNormActivation",
           "FrozenBatchNorm2d", "Permute", "SqueezeExcitation", "RoIAlign", "roi_align",
           "RoIPool", "roi_pool", "StochasticDepth", "stochastic_depth"]
