"""Exceptions raised by ember_lightning."""


class MisconfigurationException(Exception):
    """Raised when the Trainer, a module or a callback is configured inconsistently."""
