"""Logit filters for sampling-based generation, with the semantics of transformers'
``TopKLogitsWarper`` and ``TopPLogitsWarper`` (filtered logits become ``-inf``; at least one
token is always kept)."""

from __future__ import annotations

import ember
import ember.nn.functional as F

__all__ = ["top_k_filter", "top_p_filter", "filter_logits"]


def top_k_filter(logits: ember.Tensor, top_k: int) -> ember.Tensor:
    """Keep the ``top_k`` largest logits of each row (ties with the k-th are kept too).

    Shape: ``(B, V)`` → ``(B, V)``.
    """
    if top_k <= 0:
        raise ValueError(f"top_k must be a positive integer, got {top_k}")
    top_k = min(top_k, logits.shape[-1])
    kth = ember.topk(logits, top_k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, float("-inf"))


def top_p_filter(logits: ember.Tensor, top_p: float) -> ember.Tensor:
    """Nucleus filtering: keep the most likely tokens whose cumulative probability reaches
    ``top_p``, i.e. remove the least likely ones whose probabilities sum to at most
    ``1 - top_p``.

    Shape: ``(B, V)`` → ``(B, V)``.
    """
    if not 0.0 < top_p <= 1.0:
        raise ValueError(f"top_p must be in (0, 1], got {top_p}")
    sorted_logits, sorted_indices = ember.sort(logits, dim=-1, descending=False)
    cumulative = F.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
    remove_sorted = cumulative <= (1 - top_p)
    remove_sorted[..., -1] = False  # the most likely token always stays
    remove = remove_sorted.scatter(-1, sorted_indices, remove_sorted)
    return logits.masked_fill(remove, float("-inf"))


def filter_logits(logits: ember.Tensor, top_k: int | None = None,
                  top_p: float | None = None) -> ember.Tensor:
    """Top-k then top-p filtering (the order transformers applies them in)."""
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None and top_p < 1.0:
        logits = top_p_filter(logits, top_p)
    return logits
