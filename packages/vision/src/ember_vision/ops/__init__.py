"""Detection ops: nms, box ops, roi_align/roi_pool, losses, StochasticDepth (torchvision.ops)."""

from .boxes import (
                    batched_nms,
                    box_area,
                    box_convert,
                    box_iou,
                    clip_boxes_to_image,
                    complete_box_iou,
                    distance_box_iou,
                    generalized_box_iou,
                    masks_to_boxes,
                    nms,
                    remove_small_boxes,
)
from .feature_pyramid_network import FeaturePyramidNetwork
from .focal_loss import sigmoid_focal_loss
from .iou_losses import complete_box_iou_loss, distance_box_iou_loss, generalized_box_iou_loss
from .misc import MLP, Conv2dNormActivation, FrozenBatchNorm2d, Permute, SqueezeExcitation
from .poolers import MultiScaleRoIAlign
from .roi_align import RoIAlign, roi_align
from .roi_pool import RoIPool, roi_pool
from .stochastic_depth import StochasticDepth, stochastic_depth

__all__ = ["batched_nms", "box_area", "box_convert", "box_iou", "clip_boxes_to_image",
           "complete_box_iou", "distance_box_iou", "generalized_box_iou", "masks_to_boxes", "nms",
           "remove_small_boxes", "sigmoid_focal_loss", "generalized_box_iou_loss",
           "distance_box_iou_loss", "complete_box_iou_loss", "FeaturePyramidNetwork",
           "MultiScaleRoIAlign", "MLP", "Conv2dNormActivation", "FrozenBatchNorm2d", "Permute",
           "SqueezeExcitation", "RoIAlign", "roi_align", "RoIPool", "roi_pool", "StochasticDepth",
           "stochastic_depth"]
