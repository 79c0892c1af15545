"""ember-vision: torchvision's API on ember (``import ember_vision as torchvision``)."""

from ember_vision import datasets, io, models, ops, transforms, tv_tensors, utils

__version__ = "0.1.0"
