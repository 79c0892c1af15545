"""A BERT encoder whose ``state_dict`` keys match Hugging Face's ``BertModel``.

Layout (HF's names): ``embeddings`` (word / position / token-type embeddings, LayerNorm) →
``encoder.layer.N`` (``attention.self.{query,key,value}``, ``attention.output.{dense,LayerNorm}``,
``intermediate.dense``, ``output.{dense,LayerNorm}``) → ``pooler.dense`` (tanh of the first
token). ``BertModel.from_pretrained(dir)`` loads ``config.json`` + ``model.safetensors`` or
``pytorch_model.bin``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import ember
import ember.nn.functional as F
from ember import nn
from ember_text.models.activations import get_activation
from ember_text.models.initialization import init_weights_enabled, no_init_weights
from ember_text.models.outputs import ModelOutput
from ember_text.models.weights_io import find_weights_file, load_state_dict_file, read_config

__all__ = ["BertConfig", "BertModel"]


@dataclass
class BertConfig:
    """BERT hyper-parameters, with Hugging Face's names and defaults (bert-base-uncased)."""

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0

    def __post_init__(self) -> None:
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(f"hidden_size ({self.hidden_size}) is not a multiple of "
                             f"num_attention_heads ({self.num_attention_heads})")
        get_activation(self.hidden_act)  # an unknown name fails here, not at the first forward

    @classmethod
    def from_dict(cls, config: dict) -> BertConfig:
        """Keep the keys this model uses; HF's configs carry many more."""
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("only position_embedding_type='absolute' is supported, got "
                             f"{config['position_embedding_type']!r}")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in config.items() if k in known})

    @classmethod
    def from_pretrained(cls, path: str | Path) -> BertConfig:
        return cls.from_dict(read_config(path))

    def to_json_string(self) -> str:
        return json.dumps({**asdict(self), "model_type": "bert"}, indent=2)


class BertEmbeddings(nn.Module):
    """Sum of word, position and token-type embeddings, then LayerNorm and dropout."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size,
                                            padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings,
                                                config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        # not saved, as in transformers >= 4.31 (older checkpoints still carry it)
        self.register_buffer("position_ids",
                             ember.arange(config.max_position_embeddings).unsqueeze(0),
                             persistent=False)

    def forward(self, input_ids, token_type_ids=None, position_ids=None):
        batch, length = input_ids.shape
        if length > self.position_ids.shape[1]:
            raise ValueError(f"sequence length {length} exceeds max_position_embeddings "
                             f"{self.position_ids.shape[1]}")
        if position_ids is None:
            position_ids = self.position_ids[:, :length]
        if token_type_ids is None:
            token_type_ids = ember.zeros(batch, length, dtype=ember.long,
                                         device=input_ids.device)
        x = (self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
             + self.position_embeddings(position_ids))
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    """Multi-head scaled dot-product attention with separate query / key / value
    projections."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = config.hidden_size // config.num_attention_heads
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout_prob = config.attention_probs_dropout_prob

    def _heads(self, x):  # (B, L, H) -> (B, heads, L, head_size)
        b, length, _ = x.shape
        return x.view(b, length, self.num_attention_heads, self.attention_head_size
                      ).transpose(1, 2)

    def forward(self, hidden_states, attention_mask=None):
        q = self._heads(self.query(hidden_states))
        k = self._heads(self.key(hidden_states))
        v = self._heads(self.value(hidden_states))
        context = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attention_mask,
            dropout_p=self.dropout_prob if self.training else 0.0)
        b, _, length, _ = context.shape
        return context.transpose(1, 2).reshape(b, length, -1)


class BertSelfOutput(nn.Module):
    """Output projection of the attention block, dropout, residual and LayerNorm."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states, input_tensor):
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


class BertAttention(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config)

    def forward(self, hidden_states, attention_mask=None):
        return self.output(self.self(hidden_states, attention_mask), hidden_states)


class BertIntermediate(nn.Module):
    """The feed-forward block's expansion and activation."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = get_activation(config.hidden_act)

    def forward(self, hidden_states):
        return self.intermediate_act_fn(self.dense(hidden_states))


class BertOutput(nn.Module):
    """The feed-forward block's projection back, dropout, residual and LayerNorm."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states, input_tensor):
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


class BertLayer(nn.Module):
    """One post-LayerNorm transformer encoder layer."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(self, hidden_states, attention_mask=None):
        attended = self.attention(hidden_states, attention_mask)
        return self.output(self.intermediate(attended), attended)


class BertEncoder(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(config) for _ in range(config.num_hidden_layers))

    def forward(self, hidden_states, attention_mask=None, output_hidden_states=False):
        all_hidden = [hidden_states] if output_hidden_states else None
        for layer in self.layer:
            hidden_states = layer(hidden_states, attention_mask)
            if output_hidden_states:
                all_hidden.append(hidden_states)
        return hidden_states, all_hidden


class BertPooler(nn.Module):
    """``tanh(dense(h[:, 0]))``: the first ([CLS]) token's pooled representation."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = nn.Tanh()

    def forward(self, hidden_states):
        return self.activation(self.dense(hidden_states[:, 0]))


class BertModel(nn.Module):
    r"""The BERT encoder (Devlin et al., 2019), Hugging Face's ``BertModel``.

    Args:
        config: a :class:`BertConfig`.
        add_pooling_layer: build ``pooler`` (``pooler_output`` in the result).

    Shape:
        - ``input_ids``, ``attention_mask``, ``token_type_ids``: ``(B, L)`` integer tensors
          (mask: 1 = real token, 0 = padding).
        - ``last_hidden_state``: ``(B, L, hidden_size)``; ``pooler_output``:
          ``(B, hidden_size)``.

    Examples:
        >>> model = BertModel.from_pretrained("all-MiniLM-L6-v2/").eval()
        >>> out = model(input_ids=ids, attention_mask=mask)
        >>> out.last_hidden_state.shape
        ember.Size([2, 9, 384])
    """

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True) -> None:
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        if init_weights_enabled():
            self.apply(self._init_weights)

    def _init_weights(self, module: nn.Module) -> None:
        """HF's initialisation: normal(0, initializer_range) weights, zero biases and pad
        row, LayerNorm (1, 0)."""
        std = self.config.initializer_range
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=std)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
            if isinstance(module, nn.Embedding) and module.padding_idx is not None:
                with ember.no_grad():
                    module.weight[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, position_ids=None,
                output_hidden_states: bool = False) -> ModelOutput:
        if input_ids.ndim != 2:
            raise ValueError(f"input_ids must be (batch, length), got shape "
                             f"{tuple(input_ids.shape)}")
        mask = None
        if attention_mask is not None:
            if tuple(attention_mask.shape) != tuple(input_ids.shape):
                raise ValueError(f"attention_mask shape {tuple(attention_mask.shape)} differs "
                                 f"from input_ids shape {tuple(input_ids.shape)}")
            # (B, 1, 1, L) bool: every query may look at the real (non-padding) keys
            mask = (attention_mask != 0)[:, None, None, :]
        hidden = self.embeddings(input_ids, token_type_ids, position_ids)
        hidden, all_hidden = self.encoder(hidden, mask, output_hidden_states)
        pooled = self.pooler(hidden) if self.pooler is not None else None
        return ModelOutput(last_hidden_state=hidden, pooler_output=pooled,
                           hidden_states=tuple(all_hidden) if all_hidden else None)

    @classmethod
    def from_pretrained(cls, path: str | Path, add_pooling_layer: bool = True) -> BertModel:
        """Build from a Hugging Face model directory (``config.json`` + ``model.safetensors``
        or ``pytorch_model.bin``) or a weights file with ``config.json`` beside it.

        Keys of a task model (``bert.`` prefix) and old LayerNorm names (``gamma``/``beta``)
        are mapped; a missing or unexpected weight raises ``RuntimeError`` naming it.
        """
        config = BertConfig.from_pretrained(path)
        with no_init_weights():
            model = cls(config, add_pooling_layer=add_pooling_layer)
        state = _hf_bert_state_dict(load_state_dict_file(find_weights_file(path)),
                                    keep_pooler=add_pooling_layer)
        model.load_state_dict(state, strict=True)
        return model.eval()


def _hf_bert_state_dict(state: dict, keep_pooler: bool) -> dict:
    """Map a Hugging Face BERT checkpoint's keys onto :class:`BertModel`'s."""
    if any(k.startswith("bert.") for k in state):  # BertForXxx: keep the encoder only
        state = {k[len("bert."):]: v for k, v in state.items() if k.startswith("bert.")}
    out = {}
    for key, value in state.items():
        key = key.replace("LayerNorm.gamma", "LayerNorm.weight").replace(
            "LayerNorm.beta", "LayerNorm.bias")
        if key in ("embeddings.position_ids", "embeddings.token_type_ids"):
            continue  # buffers that old transformers versions saved
        if key.startswith("pooler.") and not keep_pooler:
            continue
        out[key] = value
    return out
