"""Turns ``weights_catalog.json`` into the ``WeightsEnum`` classes (``ResNet18_Weights``…).

The catalog holds, for every published torchvision checkpoint, its URL, the arguments of its
evaluation preset (``transforms``) and its metadata, exactly as torchvision publishes them. Keeping
them in one data file keeps the model files about architecture only. In the file, a category list
is written ``"@imagenet"`` / ``"@voc"`` and a member whose value is a string (``"DEFAULT"``) is an
alias of the member it names.
"""

from __future__ import annotations

import json
from functools import partial
from importlib import resources
from typing import Any

from ._api import Weights, WeightsEnum
from ._meta import CATEGORIES

_CATALOG: dict[str, dict[str, Any]] = json.loads(
    resources.files(__package__).joinpath("weights_catalog.json").read_text("utf-8"))


def _make_preset(preset: str, **kwargs: Any):
    """Build a preset of ``ember_vision.transforms._presets`` (imported on first use, so that
    importing the models does not load the image-transform machinery)."""
    from ember_vision.transforms import _presets

    return getattr(_presets, preset)(**kwargs)


def _meta(raw: dict[str, Any]) -> dict[str, Any]:
    meta = dict(raw)
    if isinstance(meta.get("categories"), str):
        meta["categories"] = CATEGORIES[meta["categories"].lstrip("@")]
    if "min_size" in meta:
        meta["min_size"] = tuple(meta["min_size"])
    return meta


def _weights(raw: dict[str, Any]) -> Weights:
    return Weights(url=raw["url"], transforms=partial(_make_preset, **raw["transforms"]),
                   meta=_meta(raw["meta"]))


def weights_enum(name: str, module: str) -> type[WeightsEnum]:
    """The ``WeightsEnum`` subclass ``name`` with the catalog's members (aliases included).

    Args:
        name: the enum's class name, e.g. ``"ResNet18_Weights"``.
        module: the ``__name__`` of the module that exposes it (for pickling and repr).
    """
    entries = _CATALOG[name]
    members = {key: _weights(raw) for key, raw in entries.items() if isinstance(raw, dict)}
    for alias, target in entries.items():
        if isinstance(target, str):
            members[alias] = members[target]  # same object: Enum makes it an alias
    return WeightsEnum(name, list(members.items()), module=module, qualname=name)
