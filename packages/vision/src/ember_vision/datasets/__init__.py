"""Datasets: torchvision names, constructor arguments and on-disk layout."""
