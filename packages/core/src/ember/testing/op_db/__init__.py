"""The op database of the conformance kit: every area's ``OPS`` list, concatenated."""

import importlib
import pkgutil


def all_ops():
    ops = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        ops.extend(getattr(module, "OPS", []))
    return ops
