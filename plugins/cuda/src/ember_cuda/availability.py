"""Finding CuPy and a GPU, and saying why not when there is none.

``load_cupy_arrays()`` either returns the ``CupyArrays`` of this machine or raises ``Unavailable``
whose message is the reason ``ember.cuda`` reports: CuPy missing, CuPy broken, no driver, no
device. It never lets a warning out (a machine without a GPU is a normal machine).
"""

from __future__ import annotations

import warnings

from .array_api import CupyArrays

INSTALL_HINT = ("install CuPy for your CUDA version: pip install 'ember-cuda[cuda13]' "
                "(cupy-cuda13x) or 'ember-cuda[cuda12]' (cupy-cuda12x)")


class Unavailable(Exception):
    """The CUDA backend cannot run here; the message says why."""


def _describe_runtime_error(exc: Exception) -> str:
    text = str(exc)
    if type(exc).__name__ == "DynamicLibNotFoundError" or "cannot open shared object" in text:
        return (f"the CUDA runtime library could not be loaded ({type(exc).__name__}: {text}); "
                f"{INSTALL_HINT}")
    if "InsufficientDriver" in text or "NoDriver" in text or "driver" in text.lower():
        return (f"no usable NVIDIA driver: the CUDA runtime reports '{text}' (is an NVIDIA GPU "
                "with its driver installed, and is the driver at least as new as CuPy's CUDA?)")
    if "NoDevice" in text or "no CUDA-capable device" in text:
        return f"no CUDA device found: the CUDA runtime reports '{text}'"
    return f"the CUDA runtime failed: {type(exc).__name__}: {text}"


def _import_cupy():
    try:
        import cupy
    except ImportError as exc:
        raise Unavailable(f"CuPy is not installed ({exc}); {INSTALL_HINT}") from None
    except Exception as exc:  # noqa: BLE001 - a broken CuPy install: report it, don't crash
        raise Unavailable(f"CuPy failed to import: {type(exc).__name__}: {exc}") from None
    return cupy


def load_cupy_arrays() -> CupyArrays:
    """This machine's GPUs through CuPy, or ``Unavailable`` saying why there are none."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            cupy = _import_cupy()
            try:
                count = cupy.cuda.runtime.getDeviceCount()
            except Exception as exc:  # noqa: BLE001 - CUDARuntimeError, or libcudart missing
                raise Unavailable(_describe_runtime_error(exc)) from None
            if count == 0:
                raise Unavailable("no CUDA device found: the NVIDIA driver reports 0 GPUs")
            return CupyArrays(cupy)
        except Unavailable as exc:
            notes = "; ".join(sorted({str(w.message) for w in caught}))
            if notes:
                raise Unavailable(f"{exc} (CuPy warned: {notes})") from None
            raise
