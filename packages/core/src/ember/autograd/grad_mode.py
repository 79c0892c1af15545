"""Whether ops record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``.

The flag is a module global read on every op call (the hot path), so it is one attribute lookup.
"""

from __future__ import annotations

import functools

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]


class _State:
    grad_enabled = True
    inference = False


state = _State()


def is_grad_enabled() -> bool:
    return state.grad_enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class _Mode:
    """A context manager that is also a decorator, restoring the previous mode on exit."""

    _enter_value = True

    def __enter__(self):
        self._prev = (state.grad_enabled, state.inference)
        self._apply()
        return self

    def __exit__(self, *exc):
        state.grad_enabled, state.inference = self._prev
        return False

    def _apply(self):
        raise NotImplementedError

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args):
                return fn(*args, **kwargs)

        return wrapper

    _args: tuple = ()


class no_grad(_Mode):
    """Ops inside do not record the graph; their results have ``requires_grad=False``."""

    def _apply(self):
        state.grad_enabled = False


class enable_grad(_Mode):
    """Turn recording back on inside a ``no_grad`` block."""

    def _apply(self):
        state.grad_enabled = True


class set_grad_enabled(_Mode):
    """``set_grad_enabled(False)`` works as a call, a context manager or a decorator."""

    def __init__(self, mode: bool):
        self._args = (mode,)
        self._prev = (state.grad_enabled, state.inference)
        state.grad_enabled = bool(mode)  # like torch: takes effect at the call, not at `with`

    def __enter__(self):
        return self

    def _apply(self):
        state.grad_enabled = bool(self._args[0])


class inference_mode(_Mode):
    """Like ``no_grad``; tensors made inside are inference tensors that can't join a graph later."""

    def __init__(self, mode: bool = True):
        self._args = (mode,)

    def _apply(self):
        if self._args[0]:
            state.grad_enabled, state.inference = False, True
