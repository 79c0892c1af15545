"""Precision plugins: "32-true", "64-true", "16-mixed" (autocast + GradScaler), "bf16-mixed"."""

from __future__ import annotations

import contextlib

import ember
from ember_lightning.utilities.apply_func import apply_to_collection


class Precision:
    """Full float32 precision: no autocast, no loss scaling."""

    precision = "32-true"

    def convert_module(self, module):
        return module

    def convert_input(self, batch):
        return batch

    def forward_context(self):
        return contextlib.nullcontext()

    def backward(self, loss) -> None:
        loss.backward()

    def optimizer_step(self, optimizer, closure, trainer, **kwargs):
        """Run the closure (forward + backward), then clip and step."""
        def wrapped():
            out = closure()
            trainer._on_before_optimizer_step(optimizer)
            return out
        return optimizer.step(closure=wrapped, **kwargs)

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class DoublePrecision(Precision):
    """float64 parameters and floating inputs."""

    precision = "64-true"

    def convert_module(self, module):
        return module.double()

    def convert_input(self, batch):
        return apply_to_collection(batch, ember.Tensor, lambda t: t.double() if t.is_floating_point() else t)


class MixedPrecision(Precision):
    """Autocast to float16 (with a GradScaler) or bfloat16 (no scaler needed)."""

    def __init__(self, precision: str, device_type: str) -> None:
        self.precision = precision
        self.device_type = device_type
        self.dtype = ember.float16 if precision == "16-mixed" else ember.bfloat16
        self.scaler = ember.amp.GradScaler(device_type) if precision == "16-mixed" else None

    def forward_context(self):
        return ember.autocast(self.device_type, dtype=self.dtype)

    def backward(self, loss) -> None:
        (self.scaler.scale(loss) if self.scaler is not None else loss).backward()

    def optimizer_step(self, optimizer, closure, trainer, **kwargs):
        if self.scaler is None:
            return super().optimizer_step(optimizer, closure, trainer, **kwargs)
        out = closure()
        self.scaler.unscale_(optimizer)
        trainer._on_before_optimizer_step(optimizer)
        self.scaler.step(optimizer, **kwargs)
        self.scaler.update()
        return out

    def state_dict(self) -> dict:
        return self.scaler.state_dict() if self.scaler is not None else {}

    def load_state_dict(self, state: dict) -> None:
        if self.scaler is not None and state:
            self.scaler.load_state_dict(state)


_ALIASES = {"32": "32-true", 32: "32-true", "32-true": "32-true", "64": "64-true", 64: "64-true", "64-true": "64-true",
            "16": "16-mixed", 16: "16-mixed", "16-mixed": "16-mixed", "bf16": "bf16-mixed", "bf16-mixed": "bf16-mixed"}


def precision_plugin(precision, device_type: str) -> Precision:
    """The plugin for a Trainer ``precision`` flag."""
    if precision not in _ALIASES:
        raise ValueError(f"Precision {precision!r} is invalid. Allowed precision values: "
                         "('32-true', '64-true', '16-mixed', 'bf16-mixed')")
    p = _ALIASES[precision]
    if p == "32-true":
        return Precision()
    if p == "64-true":
        return DoublePrecision()
    return MixedPrecision(p, device_type)
