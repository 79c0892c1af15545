"""Utilities: seeding, exceptions, collections."""

from ember_lightning.utilities.exceptions import MisconfigurationException
from ember_lightning.utilities.parsing import AttributeDict
from ember_lightning.utilities.seed import seed_everything

__all__ = ["AttributeDict", "MisconfigurationException", "seed_everything"]
