"""ModelSummary: print a table of the model's layers and parameter counts when fitting starts.

The table matches Lightning's: index, ``Name``, ``Type``, ``Params`` (human readable), ``Mode``
(train/eval), then the trainable, non-trainable and total parameter counts, the estimated size
of the parameters in MB and the number of modules in train and eval mode.
"""

from __future__ import annotations

import math
from typing import Any

from ember_lightning.callbacks.callback import Callback

__all__ = ["LayerSummary", "ModelSummary", "Summary", "get_human_readable_count", "summarize"]

PARAMETER_NUM_UNITS = [" ", "K", "M", "B", "T"]


def get_human_readable_count(number: int) -> str:
    """Abbreviate an integer with K, M, B, T (``123`` -> ``"123  "``, ``1234`` -> ``"1.2 K"``).

    Raises:
        ValueError: for a negative number.
    """
    if number < 0:
        raise ValueError(f"expected a non-negative count, got {number}")
    num_digits = int(math.floor(math.log10(number)) + 1) if number > 0 else 1
    num_groups = min(int(math.ceil(num_digits / 3)), len(PARAMETER_NUM_UNITS))
    scaled = number * 10 ** (-3 * (num_groups - 1))
    index = num_groups - 1
    if index < 1 or scaled >= 100:
        return f"{int(scaled):,d} {PARAMETER_NUM_UNITS[index]}"
    return f"{scaled:,.1f} {PARAMETER_NUM_UNITS[index]}"


def get_formatted_model_size(total_model_size: float) -> str:
    return f"{total_model_size:,.3f}"


def _unique_params(module: Any) -> list[Any]:
    """Parameters of ``module``, each shared parameter counted once."""
    seen: set[int] = set()
    out = []
    for p in module.parameters():
        if id(p) not in seen:
            seen.add(id(p))
            out.append(p)
    return out


class LayerSummary:
    """Summary of one submodule: its type, parameter count and train/eval mode."""

    def __init__(self, module: Any) -> None:
        self._module = module

    @property
    def layer_type(self) -> str:
        return type(self._module).__name__

    @property
    def num_parameters(self) -> int:
        return sum(int(p.numel()) for p in _unique_params(self._module))

    @property
    def training(self) -> bool:
        return bool(self._module.training)


class Summary:
    """Summary of a whole model down to ``max_depth`` (``-1``: every layer, ``0``: totals only).

    Raises:
        ValueError: if ``max_depth`` is below ``-1`` or not an integer.
    """

    def __init__(self, model: Any, max_depth: int = 1) -> None:
        if not isinstance(max_depth, int) or max_depth < -1:
            raise ValueError(f"`max_depth` can be -1, 0 or > 0, got {max_depth}.")
        self._model = model
        self._max_depth = max_depth
        self._layers = self._summarize()

    def _summarize(self) -> dict[str, LayerSummary]:
        layers = {}
        for name, module in self._model.named_modules():
            if not name:  # the root itself is not a row
                continue
            depth = name.count(".") + 1
            if self._max_depth == -1 or depth <= self._max_depth:
                layers[name] = LayerSummary(module)
        return layers

    @property
    def max_depth(self) -> int:
        return self._max_depth

    @property
    def layer_names(self) -> list[str]:
        return list(self._layers)

    @property
    def layer_types(self) -> list[str]:
        return [layer.layer_type for layer in self._layers.values()]

    @property
    def param_nums(self) -> list[int]:
        return [layer.num_parameters for layer in self._layers.values()]

    @property
    def training_modes(self) -> list[bool]:
        return [layer.training for layer in self._layers.values()]

    @property
    def total_training_modes(self) -> dict[str, int]:
        modes = [bool(m.training) for m in self._model.modules()]
        return {"train": modes.count(True), "eval": modes.count(False)}

    @property
    def total_parameters(self) -> int:
        return sum(int(p.numel()) for p in _unique_params(self._model))

    @property
    def trainable_parameters(self) -> int:
        return sum(int(p.numel()) for p in _unique_params(self._model) if p.requires_grad)

    @property
    def model_size(self) -> float:
        """Estimated size of the parameters in MB, from each parameter's dtype."""
        nbytes = sum(int(p.numel()) * p.element_size() for p in _unique_params(self._model))
        return nbytes * 1e-6

    def _get_summary_data(self) -> list[tuple[str, list[str]]]:
        return [
            (" ", [str(i) for i in range(len(self._layers))]),
            ("Name", self.layer_names),
            ("Type", self.layer_types),
            ("Params", [get_human_readable_count(n) for n in self.param_nums]),
            ("Mode", ["train" if m else "eval" for m in self.training_modes]),
        ]

    def __str__(self) -> str:
        return _format_summary_table(
            self.total_parameters,
            self.trainable_parameters,
            self.model_size,
            self.total_training_modes,
            *self._get_summary_data(),
        )

    def __repr__(self) -> str:
        return str(self)


def _format_summary_table(
    total_parameters: int,
    trainable_parameters: int,
    model_size: float,
    total_training_modes: dict[str, int],
    *cols: tuple[str, list[str]],
) -> str:
    """Lightning's table layout: padded columns joined by ``" | "``, then the totals."""
    n_rows = len(cols[0][1])
    widths = [max([len(h)] + [len(str(v)) for v in values]) for h, values in cols]
    total_width = sum(widths) + 3 * (len(cols) + 1)
    fmt = "{:<{}}"
    lines = [" | ".join(fmt.format(h, w) for (h, _), w in zip(cols, widths)), "-" * total_width]
    for i in range(n_rows):
        lines.append(" | ".join(fmt.format(str(v[i]), w) for (_, v), w in zip(cols, widths)))
    lines.append("-" * total_width)
    totals = [
        (get_human_readable_count(trainable_parameters), "Trainable params"),
        (get_human_readable_count(total_parameters - trainable_parameters), "Non-trainable params"),
        (get_human_readable_count(total_parameters), "Total params"),
        (get_formatted_model_size(model_size), "Total estimated model params size (MB)"),
        (total_training_modes["train"], "Modules in train mode"),
        (total_training_modes["eval"], "Modules in eval mode"),
    ]
    lines.extend(fmt.format(value, 10) + label for value, label in totals)
    return "\n".join(lines)


def summarize(model: Any, max_depth: int = 1) -> Summary:
    """Summarize ``model`` (any ``ember.nn.Module``) down to ``max_depth``; ``str()`` it for the table."""
    return Summary(model, max_depth=max_depth)


class ModelSummary(Callback):
    """Print the summary of the LightningModule when fitting starts.

    Args:
        max_depth: depth of nested layers to list (``-1``: all, ``0``: no summary at all).
    """

    def __init__(self, max_depth: int = 1, **summarize_kwargs: Any) -> None:
        self._max_depth = max_depth
        self._summarize_kwargs = summarize_kwargs

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        if not self._max_depth:
            return
        summary = summarize(pl_module, max_depth=self._max_depth)
        if getattr(trainer, "is_global_zero", True):
            self.summarize(summary)

    @staticmethod
    def summarize(summary: Summary) -> None:
        print(str(summary))
