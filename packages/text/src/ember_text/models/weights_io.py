"""Reading Hugging Face style checkpoints: ``config.json`` plus ``model.safetensors``
(through the ``safetensors`` library's NumPy API) or ``pytorch_model.bin`` (through
``ember.load(weights_only=True)``: never executes code from the file)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import ember

__all__ = ["WEIGHT_FILES", "find_weights_file", "load_state_dict_file", "read_config"]

# the file names Hugging Face uses, in the order from_pretrained looks for them
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def find_weights_file(path: str | Path) -> Path:
    """``path`` itself when it is a file, else the first of :data:`WEIGHT_FILES` inside it."""
    path = Path(path)
    if path.is_file():
        return path
    if not path.is_dir():
        raise FileNotFoundError(f"no such file or directory: {path}")
    for name in WEIGHT_FILES:
        if (path / name).is_file():
            return path / name
    raise FileNotFoundError(f"no {' or '.join(WEIGHT_FILES)} in {path}")


def read_config(path: str | Path) -> dict:
    """The ``config.json`` of a model directory (or the one beside a weights file)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file or directory: {path}")
    config_file = path / "config.json" if path.is_dir() else path.parent / "config.json"
    if not config_file.is_file():
        raise FileNotFoundError(f"no config.json in {config_file.parent}")
    try:
        return json.loads(config_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{config_file} is not valid JSON: {exc}") from exc


def load_state_dict_file(path: str | Path) -> dict[str, ember.Tensor]:
    """Read a ``.safetensors`` or PyTorch checkpoint file into a dict of ember tensors."""
    path = Path(path)
    if path.suffix == ".safetensors":
        return _load_safetensors(path)
    state = ember.load(str(path), map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds a {type(state).__name__}, not a state_dict")
    return state


def _load_safetensors(path: Path) -> dict[str, ember.Tensor]:
    try:
        from safetensors.numpy import load_file
    except ImportError as exc:
        raise ImportError(f"reading {path} needs safetensors: pip install "
                          "'ember-text[safetensors]'") from exc
    try:
        arrays = load_file(str(path))
    except Exception as exc:  # the Rust reader raises SafetensorError on a corrupt header
        raise ValueError(f"cannot read the safetensors file {path}: {exc}") from exc
    return {name: ember.from_numpy(np.ascontiguousarray(a)) for name, a in arrays.items()}
