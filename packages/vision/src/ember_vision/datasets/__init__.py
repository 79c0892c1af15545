"""torchvision's datasets on ember: the same classes, arguments, on-disk layouts and samples."""

from ember_vision.datasets.cifar import CIFAR10, CIFAR100
from ember_vision.datasets.fakedata import FakeData
from ember_vision.datasets.folder import DatasetFolder, ImageFolder
from ember_vision.datasets.mnist import EMNIST, KMNIST, MNIST, QMNIST, FashionMNIST
from ember_vision.datasets.stl10 import STL10
from ember_vision.datasets.svhn import SVHN
from ember_vision.datasets.vision import StandardTransform, VisionDataset

__all__ = ["CIFAR10", "CIFAR100", "DatasetFolder", "EMNIST", "FakeData", "FashionMNIST",
           "ImageFolder", "KMNIST", "MNIST", "QMNIST", "STL10", "SVHN", "StandardTransform",
           "VisionDataset"]
