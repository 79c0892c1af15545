"""ember_lightning: a Lightning-style Trainer for ember."""

__version__ = "0.1.0"

from ember_lightning.callbacks.callback import Callback  # noqa: E402
from ember_lightning.core.datamodule import LightningDataModule  # noqa: E402
from ember_lightning.core.module import LightningModule  # noqa: E402
from ember_lightning.trainer.trainer import Trainer  # noqa: E402
from ember_lightning.utilities.seed import seed_everything  # noqa: E402

__all__ = ["Callback", "LightningDataModule", "LightningModule", "Trainer", "__version__", "seed_everything"]
