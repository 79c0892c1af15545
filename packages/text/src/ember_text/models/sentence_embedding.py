"""Sentence embeddings: tokenizer → BERT encoder → mean pooling → L2 normalisation, the
pipeline of sentence-transformers models such as all-MiniLM-L6-v2."""

from __future__ import annotations

import json
from pathlib import Path

import ember
import ember.nn.functional as F
from ember import nn
from ember_text.models.bert import BertModel
from ember_text.tokenizers import SubwordTokenizer

__all__ = ["SentenceEmbedding", "mean_pooling"]


def mean_pooling(last_hidden_state: ember.Tensor, attention_mask: ember.Tensor) -> ember.Tensor:
    """Average of the token vectors where ``attention_mask`` is 1.

    Shape: ``(B, L, H)`` and ``(B, L)`` → ``(B, H)``.
    """
    mask = attention_mask.unsqueeze(-1).to(last_hidden_state.dtype)
    summed = (last_hidden_state * mask).sum(1)
    return summed / ember.clamp(mask.sum(1), min=1e-9)


class SentenceEmbedding(nn.Module):
    r"""Encode sentences into fixed-size vectors (sentence-transformers' Transformer →
    Pooling(mean) → Normalize).

    Args:
        tokenizer: a :class:`~ember_text.tokenizers.SubwordTokenizer`.
        encoder: a :class:`~ember_text.models.BertModel`.
        max_seq_length: longer inputs are truncated (sentence-transformers'
            ``max_seq_length``).
        normalize: L2-normalise the pooled vectors.

    Shape: ``encode(list of N str)`` → ``(N, hidden_size)``.

    Examples:
        >>> model = SentenceEmbedding.from_pretrained("all-MiniLM-L6-v2/")
        >>> emb = model.encode(["A man is playing a guitar.", "A man plays music."])
        >>> (emb[0] @ emb[1]).item()   # cosine similarity
    """

    def __init__(self, tokenizer: SubwordTokenizer, encoder: BertModel,
                 max_seq_length: int = 256, normalize: bool = True) -> None:
        super().__init__()
        self.tokenizer = tokenizer
        self.encoder = encoder
        self.max_seq_length = max_seq_length
        self.normalize = normalize

    @classmethod
    def from_pretrained(cls, path: str | Path) -> SentenceEmbedding:
        """Load a sentence-transformers directory: ``sentence_bert_config.json`` gives
        ``max_seq_length``; ``1_Pooling/config.json`` must ask for mean pooling; a
        ``Normalize`` entry in ``modules.json`` turns on normalisation."""
        path = Path(path)
        st_config = _read_json(path / "sentence_bert_config.json")
        pooling = _read_json(path / "1_Pooling" / "config.json")
        if pooling and not pooling.get("pooling_mode_mean_tokens", False):
            raise ValueError(f"{path / '1_Pooling' / 'config.json'} asks for a pooling mode "
                             "other than mean tokens, which SentenceEmbedding does not do")
        modules = _read_json(path / "modules.json") or []
        normalize = any(m.get("type", "").endswith("Normalize") for m in modules)
        encoder = BertModel.from_pretrained(path, add_pooling_layer=False)
        max_len = st_config.get("max_seq_length", encoder.config.max_position_embeddings)
        return cls(SubwordTokenizer.from_pretrained(path), encoder, max_len, normalize).eval()

    def forward(self, input_ids, attention_mask, token_type_ids=None) -> ember.Tensor:
        hidden = self.encoder(input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
        pooled = mean_pooling(hidden, attention_mask)
        return F.normalize(pooled, p=2, dim=1) if self.normalize else pooled

    def encode(self, sentences: str | list[str], batch_size: int = 32,
               normalize_embeddings: bool | None = None) -> ember.Tensor:
        """Embed sentences in batches of ``batch_size`` (each padded to its longest).

        ``normalize_embeddings`` overrides the model's ``normalize`` for this call.
        """
        single = isinstance(sentences, str)
        sentences = [sentences] if single else list(sentences)
        normalize = self.normalize if normalize_embeddings is None else normalize_embeddings
        chunks = []
        with ember.no_grad():
            for start in range(0, len(sentences), batch_size):
                enc = self.tokenizer(sentences[start:start + batch_size], padding=True,
                                     truncation=True, max_length=self.max_seq_length)
                hidden = self.encoder(**enc).last_hidden_state
                pooled = mean_pooling(hidden, enc["attention_mask"])
                chunks.append(F.normalize(pooled, p=2, dim=1) if normalize else pooled)
        out = ember.cat(chunks) if chunks else ember.zeros(0, self.encoder.config.hidden_size)
        return out[0] if single else out


def _read_json(path: Path) -> dict | list:
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from exc
