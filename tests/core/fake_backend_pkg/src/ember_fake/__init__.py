"""ember-fake-backend: the ``fake`` device (NumPy in disguise, primitive kernels only), for tests."""

from .plugin import FakeArray, FakeBackend

__all__ = ["FakeArray", "FakeBackend"]
