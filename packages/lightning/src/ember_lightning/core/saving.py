"""Hyperparameters: collect them from ``__init__`` and save / load them as YAML."""

from __future__ import annotations

import inspect
from typing import Any

import yaml

from ember_lightning.utilities.parsing import AttributeDict


def collect_init_args(frame, ignore: list[str]) -> dict[str, Any]:
    """The arguments of the ``__init__`` whose frame is ``frame`` (without self and ``ignore``)."""
    info = inspect.getargvalues(frame)
    args = {}
    for name in info.args:
        if name not in ("self", "__class__") and name not in ignore:
            args[name] = info.locals[name]
    if info.keywords:
        args.update({k: v for k, v in info.locals[info.keywords].items() if k not in ignore})
    return args


class HyperparametersMixin:
    """``save_hyperparameters`` / ``hparams`` shared by LightningModule and LightningDataModule."""

    def save_hyperparameters(self, *args: Any, ignore: list[str] | str | None = None, frame=None, logger: bool = True) -> None:
        """Store the ``__init__`` arguments in ``self.hparams`` (and in checkpoints).

        Args:
            args: names of init arguments to keep, or one dict / Namespace to use as hparams.
            ignore: init argument names to leave out.
            logger: whether the logger receives them through ``log_hyperparams``.
        """
        self._log_hyperparams = logger
        ignore = [ignore] if isinstance(ignore, str) else list(ignore or [])
        if len(args) == 1 and not isinstance(args[0], str):
            hp = args[0]
            hp = vars(hp) if not isinstance(hp, dict) else hp
            self._set_hparams(dict(hp))
            return
        if frame is None:
            frame = inspect.currentframe().f_back
        init_args = collect_init_args(frame, ignore)
        if args:
            init_args = {k: v for k, v in init_args.items() if k in args}
        self._set_hparams(init_args)

    def _set_hparams(self, hp: dict) -> None:
        self._hparams = AttributeDict(hp)
        self._hparams_initial = AttributeDict(dict(hp))

    @property
    def hparams(self) -> AttributeDict:
        """The saved hyperparameters (an AttributeDict, empty when none were saved)."""
        if not hasattr(self, "_hparams"):
            self._hparams = AttributeDict()
        return self._hparams

    @property
    def hparams_initial(self) -> AttributeDict:
        """A copy of the hyperparameters as they were when saved."""
        return AttributeDict(getattr(self, "_hparams_initial", {}))


def save_hparams_to_yaml(config_yaml: str, hparams: dict) -> None:
    """Write ``hparams`` to a YAML file (values YAML cannot represent are written as strings)."""
    safe = {}
    for k, v in dict(hparams).items():
        try:
            yaml.safe_dump(v)
            safe[k] = v
        except yaml.representer.RepresenterError:
            safe[k] = repr(v)
    with open(config_yaml, "w", encoding="utf-8") as fp:
        yaml.safe_dump(safe, fp)


def load_hparams_from_yaml(config_yaml: str) -> dict:
    """Read hyperparameters written by :func:`save_hparams_to_yaml`."""
    with open(config_yaml, encoding="utf-8") as fp:
        return yaml.safe_load(fp) or {}
