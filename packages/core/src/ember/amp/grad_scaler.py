"""``GradScaler``: loss scaling for float16 training, with PyTorch's API and ``state_dict``.

Small float16 gradients underflow to zero; scaling the loss by ``S`` scales every gradient by
``S``. Before the optimizer step the gradients are divided by ``S`` again (``unscale_``); a step
whose gradients hold inf/NaN is skipped and ``S`` shrinks, and ``S`` grows after
``growth_interval`` clean steps.
"""

from __future__ import annotations

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad

_READY, _UNSCALED, _STEPPED = 0, 1, 2


class GradScaler:
    """Scale losses, unscale gradients, skip steps with non-finite gradients.

    Args:
        device: the device type of the gradients (kept for PyTorch compatibility).
        init_scale: the first scale factor. Default: ``2.0**16``.
        growth_factor: factor the scale grows by after ``growth_interval`` clean steps.
        backoff_factor: factor the scale shrinks by after a step with inf/NaN gradients.
        growth_interval: clean steps between growths.
        enabled: False makes every method a pass-through.

    Examples::

        >>> scaler = ember.amp.GradScaler()
        >>> with ember.autocast("cpu", dtype=ember.float16):
        ...     loss = model(x).sum()
        >>> scaler.scale(loss).backward()
        >>> scaler.step(optimizer)
        >>> scaler.update()
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True):
        if growth_factor <= 1.0:
            raise ValueError("The growth factor must be > 1.0.")
        if backoff_factor >= 1.0:
            raise ValueError("The backoff factor must be < 1.0.")
        self._device = device
        self._enabled = enabled
        self._scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._per_optimizer: dict = {}

    def is_enabled(self) -> bool:
        return self._enabled

    def scale(self, outputs):
        """``outputs * scale`` (a tensor, or nested lists/tuples of tensors)."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _state(self, optimizer) -> dict:
        return self._per_optimizer.setdefault(id(optimizer), {"stage": _READY, "found_inf": False})

    def unscale_(self, optimizer) -> None:
        """Divide the gradients of ``optimizer``'s parameters by the scale, in place (e.g. before
        gradient clipping); remembers whether any was inf/NaN."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["stage"] == _UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        if state["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv = 1.0 / self._scale
        found_inf = False
        with no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    if p.grad.dtype.name == "float16" and not _float16_ok(p):
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    p.grad.mul_(inv)
                    if not found_inf and not bool(p.grad.isfinite().all()):
                        found_inf = True
        state["found_inf"], state["stage"] = found_inf, _UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step()`` unless the unscaled gradients hold inf/NaN (then skipped)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        state = self._state(optimizer)
        if state["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == _READY:
            self.unscale_(optimizer)
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = _STEPPED
        return result

    def update(self, new_scale=None) -> None:
        """Grow or shrink the scale from this iteration's steps (or set it to ``new_scale``)."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale.item() if isinstance(new_scale, Tensor) else new_scale)
        else:
            if not self._per_optimizer:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(s["found_inf"] for s in self._per_optimizer.values()):
                self._scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    self._scale *= self._growth_factor
                    self._growth_tracker = 0
        self._per_optimizer = {}

    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, value: float) -> None:
        self._growth_factor = value

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, value: float) -> None:
        self._backoff_factor = value

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, value: int) -> None:
        self._growth_interval = value

    def state_dict(self) -> dict:
        """PyTorch's keys: scale, growth_factor, backoff_factor, growth_interval, _growth_tracker."""
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])


def _float16_ok(param) -> bool:
    """PyTorch refuses to unscale float16 gradients of float16 parameters (pure-fp16 training
    loses the point of scaling); float16 grads of float32 master weights do not occur."""
    return param.dtype.name != "float16"
