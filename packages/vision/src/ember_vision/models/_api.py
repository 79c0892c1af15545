"""The one weights registry shared by every model: ``Weights``, ``WeightsEnum`` and the model table.

Every builder (``resnet18``, ``vgg16``…) is registered here with ``@register_model()`` and takes a
``weights=`` argument whose type is that model's ``WeightsEnum`` subclass (``ResNet18_Weights``).
The enums themselves are made from ``weights_catalog.json`` (see ``_catalog.py``), so the URL,
preprocessing preset and metadata of every published checkpoint live in one data file.

Examples::

    >>> from ember_vision.models import get_model, get_weight, list_models
    >>> weights = get_weight("ResNet18_Weights.IMAGENET1K_V1")
    >>> weights.meta["num_params"]
    11689512
    >>> model = get_model("resnet18", weights=None)
"""

from __future__ import annotations

import enum
import fnmatch
import inspect
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from types import ModuleType
from typing import Any

import ember.hub

__all__ = ["Weights", "WeightsEnum", "get_model", "get_model_builder", "get_model_weights",
           "get_weight", "list_models", "register_model"]


@dataclass(eq=False)  # identity comparison: an enum alias (DEFAULT) must be the same object
class Weights:
    """A published checkpoint: where it lives, how to preprocess inputs for it, what it scores.

    Args:
        url (str): the checkpoint's address (its file name ends in ``-<sha256 prefix>.pth``).
        transforms (Callable): builds the evaluation preprocessing (``weights.transforms()``).
        meta (dict): ``categories``, ``num_params``, ``min_size``, ``recipe``, ``_metrics``
            (e.g. ``{"ImageNet-1K": {"acc@1": 69.758, "acc@5": 89.078}}``), ``_ops`` (GFLOPS),
            ``_file_size`` (MB).
    """

    url: str
    transforms: Callable
    meta: dict[str, Any]


class WeightsEnum(enum.Enum):
    """Base class of every model's weights enum (``ResNet18_Weights.IMAGENET1K_V1``…).

    Members are :class:`Weights`; ``url``, ``transforms`` and ``meta`` read through to them.
    """

    @classmethod
    def verify(cls, obj: Any) -> Any:
        """``None``, a member, or its name (``"IMAGENET1K_V1"``, ``"ResNet18_Weights.DEFAULT"``,
        ``"DEFAULT"``) → the member; anything else raises ``TypeError`` / ``KeyError``."""
        if obj is None or isinstance(obj, cls):
            return obj
        if isinstance(obj, str):
            return cls.from_str(obj.replace(cls.__name__ + ".", ""))
        raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received "
                        f"{obj.__class__.__name__}.")

    @classmethod
    def from_str(cls, value: str) -> WeightsEnum:
        """The member named ``value``; an unknown name raises ``KeyError`` (as torchvision)."""
        try:
            return cls[value]
        except KeyError:
            raise KeyError(f"Unknown weights '{value}' for {cls.__name__}; valid: "
                           f"{', '.join(cls.__members__)}") from None

    def get_state_dict(self, progress: bool = True, **kwargs: Any) -> Mapping[str, Any]:
        """Download (once, into ``ember.hub.get_dir()/checkpoints``) and read the checkpoint.

        The file name carries a sha256 prefix, which is checked; ``EMBER_HUB_MIRROR`` is tried
        first. The file is read with ``weights_only=True``: no code from it ever runs."""
        kwargs.setdefault("check_hash", True)
        return ember.hub.load_state_dict_from_url(self.url, progress=progress, **kwargs)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}.{self._name_}"

    def __getattr__(self, name: str) -> Any:
        if name in _WEIGHTS_FIELDS:
            return getattr(self.value, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")


_WEIGHTS_FIELDS = {f.name for f in fields(Weights)}

BUILTIN_MODELS: dict[str, Callable] = {}


def register_model(name: str | None = None) -> Callable[[Callable], Callable]:
    """Decorator adding a builder to the table read by ``get_model`` / ``list_models``."""
    def wrapper(fn: Callable) -> Callable:
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        return fn
    return wrapper


def list_models(module: ModuleType | None = None, include: Iterable[str] | str | None = None,
                exclude: Iterable[str] | str | None = None) -> list[str]:
    """Sorted names of the registered builders.

    Args:
        module (module, optional): only the builders of this package, e.g.
            ``ember_vision.models.segmentation``.
        include, exclude (str or iterable of str, optional): shell-style patterns
            (``"resnet*"``); the union of the ``include`` matches, minus any ``exclude`` match.
    """
    names = {k for k, fn in BUILTIN_MODELS.items()
             if module is None or fn.__module__.rsplit(".", 1)[0] == module.__name__}
    if include:
        patterns = [include] if isinstance(include, str) else include
        names = {n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)}
    if exclude:
        patterns = [exclude] if isinstance(exclude, str) else exclude
        names = {n for n in names if not any(fnmatch.fnmatch(n, p) for p in patterns)}
    return sorted(names)


def get_model_builder(name: str) -> Callable:
    """The builder function registered as ``name`` (case-insensitive)."""
    try:
        return BUILTIN_MODELS[name.lower()]
    except KeyError:
        raise ValueError(f"Unknown model {name}") from None


def get_model(name: str, **config: Any):
    """Build the registered model ``name`` with ``config`` passed to its builder."""
    return get_model_builder(name)(**config)


def get_model_weights(model: Callable | str) -> type[WeightsEnum]:
    """The ``WeightsEnum`` class of a builder (given as the function or its registered name)."""
    fn = get_model_builder(model) if isinstance(model, str) else model
    params = inspect.signature(fn).parameters
    if "weights" not in params:
        raise ValueError("The method is missing the 'weights' argument.")
    hints = typing.get_type_hints(fn)
    candidates = typing.get_args(hints.get("weights")) or (hints.get("weights"),)
    for t in candidates:
        if isinstance(t, type) and issubclass(t, WeightsEnum):
            return t
    raise ValueError("The WeightsEnum class for the specific method couldn't be retrieved. "
                     "Make sure the typing info is correct.")


def get_weight(name: str) -> WeightsEnum:
    """The member named ``"<EnumClass>.<MEMBER>"``, e.g. ``"ResNet50_Weights.IMAGENET1K_V2"``."""
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    for fn in BUILTIN_MODELS.values():
        enum_cls = get_model_weights(fn)
        if enum_cls.__name__ == enum_name:
            return enum_cls.from_str(value_name)
    raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be "
                     "retrieved.")
