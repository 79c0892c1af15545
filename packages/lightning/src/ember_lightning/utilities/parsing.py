"""AttributeDict: the type of ``LightningModule.hparams``."""

from __future__ import annotations


class AttributeDict(dict):
    """A dict whose keys are also attributes (``hparams.lr`` == ``hparams["lr"]``)."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError as err:
            raise AttributeError(f"Missing attribute {key!r}") from err

    def __setattr__(self, key, value):
        self[key] = value

    def __delattr__(self, key):
        del self[key]
