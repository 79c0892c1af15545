"""Progress bars: the ``ProgressBar`` base, ``TQDMProgressBar`` (default) and ``RichProgressBar``."""

from ember_lightning.callbacks.progress.progress_bar import ProgressBar
from ember_lightning.callbacks.progress.rich_progress import RichProgressBar, RichProgressBarTheme
from ember_lightning.callbacks.progress.tqdm_progress import TQDMProgressBar

__all__ = ["ProgressBar", "RichProgressBar", "RichProgressBarTheme", "TQDMProgressBar"]
