"""``detect_anomaly``: record where each node was made, and fail on NaN gradients naming the op."""

from __future__ import annotations

enabled = False

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]


def is_anomaly_enabled() -> bool:
    return enabled


class set_detect_anomaly:
    """``set_detect_anomaly(True)`` as a call or a context manager."""

    def __init__(self, mode: bool):
        global enabled
        self.prev, enabled = enabled, bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global enabled
        enabled = self.prev
        return False


class detect_anomaly(set_detect_anomaly):
    """Context manager: nodes remember the forward traceback, and a backward function that
    returns NaN raises ``RuntimeError`` naming the function, with that traceback printed."""

    def __init__(self):
        super().__init__(True)
