"""Category names of the datasets the published weights were trained on (``weights.meta["categories"]``)."""

from importlib import resources

#: The 1000 ImageNet-1k class names, in class-index order (torchvision's list).
_IMAGENET_CATEGORIES: list[str] = (
    resources.files(__package__).joinpath("imagenet_categories.txt").read_text("utf-8").splitlines()
)

#: Pascal VOC's 20 classes after the background (the segmentation models' outputs).
_VOC_CATEGORIES: list[str] = [
    "__background__", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
    "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep",
    "sofa", "train", "tvmonitor",
]

CATEGORIES = {"imagenet": _IMAGENET_CATEGORIES, "voc": _VOC_CATEGORIES}
