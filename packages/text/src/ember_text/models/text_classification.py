"""The bag-of-embeddings text classifier of torchtext's text classification tutorial."""

from __future__ import annotations

import ember
from ember import nn

__all__ = ["TextClassificationModel"]


class TextClassificationModel(nn.Module):
    r"""``EmbeddingBag`` (mean of a text's token embeddings) followed by a ``Linear`` layer.

    The texts of a batch are concatenated into one 1-D tensor of token ids; ``offsets`` gives
    where each text starts (torchtext's tutorial layout, no padding needed).

    Args:
        vocab_size: number of token ids.
        embed_dim: embedding size.
        num_class: number of classes.

    Shape:
        - ``text``: ``(total_tokens,)`` long; ``offsets``: ``(B,)`` long.
        - output: ``(B, num_class)`` logits.

    Examples:
        >>> model = TextClassificationModel(len(vocab), 64, 4)
        >>> text = ember.tensor([4, 8, 15, 16, 23])     # two texts: [4, 8] and [15, 16, 23]
        >>> model(text, ember.tensor([0, 2])).shape
        ember.Size([2, 4])
    """

    def __init__(self, vocab_size: int, embed_dim: int, num_class: int) -> None:
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self) -> None:
        """The tutorial's initialisation: uniform(-0.5, 0.5) weights, zero bias."""
        initrange = 0.5
        nn.init.uniform_(self.embedding.weight, -initrange, initrange)
        nn.init.uniform_(self.fc.weight, -initrange, initrange)
        nn.init.zeros_(self.fc.bias)

    def forward(self, text: ember.Tensor, offsets: ember.Tensor) -> ember.Tensor:
        return self.fc(self.embedding(text, offsets))
