"""A GPT-2 causal language model whose ``state_dict`` keys match Hugging Face's
``GPT2LMHeadModel``: ``transformer.wte`` / ``wpe`` / ``h.N.{ln_1, attn.c_attn, attn.c_proj,
ln_2, mlp.c_fc, mlp.c_proj}`` / ``ln_f`` and ``lm_head`` (tied to ``wte``). The projections
are ``Conv1D`` layers: their weight is stored ``(in_features, out_features)``, the transpose
of ``nn.Linear``'s, as in the original TensorFlow checkpoint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from pathlib import Path

import ember
import ember.nn.functional as F
from ember import nn
from ember_text.models.activations import get_activation
from ember_text.models.initialization import init_weights_enabled, no_init_weights
from ember_text.models.outputs import ModelOutput
from ember_text.models.sampling import filter_logits
from ember_text.models.weights_io import find_weights_file, load_state_dict_file, read_config

__all__ = ["Conv1D", "GPT2Config", "GPT2Model", "GPT2LMHeadModel"]


@dataclass
class GPT2Config:
    """GPT-2 hyper-parameters, with Hugging Face's names and defaults (gpt2 small, 124M)."""

    vocab_size: int = 50257
    n_positions: int = 1024
    n_embd: int = 768
    n_layer: int = 12
    n_head: int = 12
    n_inner: int | None = None  # None: 4 * n_embd
    activation_function: str = "gelu_new"
    resid_pdrop: float = 0.1
    embd_pdrop: float = 0.1
    attn_pdrop: float = 0.1
    layer_norm_epsilon: float = 1e-5
    initializer_range: float = 0.02
    bos_token_id: int = 50256
    eos_token_id: int = 50256
    tie_word_embeddings: bool = True

    def __post_init__(self) -> None:
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) is not a multiple of n_head "
                             f"({self.n_head})")
        get_activation(self.activation_function)

    @classmethod
    def from_dict(cls, config: dict) -> GPT2Config:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in config.items() if k in known})


class Conv1D(nn.Module):
    """``y = x @ weight + bias`` with ``weight`` of shape ``(nx, nf)`` (GPT-2's layout).

    Args:
        nf: output features.
        nx: input features.
    """

    def __init__(self, nf: int, nx: int) -> None:
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(ember.empty(nx, nf))
        self.bias = nn.Parameter(ember.zeros(nf))

    def forward(self, x):
        return ember.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(
            *x.shape[:-1], self.nf)

    def extra_repr(self) -> str:
        return f"nf={self.nf}, nx={self.weight.shape[0]}"


class GPT2Attention(nn.Module):
    """Causal multi-head self-attention with a key/value cache."""

    def __init__(self, config: GPT2Config) -> None:
        super().__init__()
        self.n_head = config.n_head
        self.head_dim = config.n_embd // config.n_head
        self.c_attn = Conv1D(3 * config.n_embd, config.n_embd)
        self.c_proj = Conv1D(config.n_embd, config.n_embd)
        self.attn_pdrop = config.attn_pdrop
        self.resid_dropout = nn.Dropout(config.resid_pdrop)

    def _heads(self, x):  # (B, L, E) -> (B, heads, L, head_dim)
        b, length, _ = x.shape
        return x.view(b, length, self.n_head, self.head_dim).transpose(1, 2)

    def forward(self, x, layer_past=None, mask=None, use_cache=False):
        q, k, v = self.c_attn(x).split(x.shape[-1], dim=2)
        q, k, v = self._heads(q), self._heads(k), self._heads(v)
        if layer_past is not None:
            k = ember.cat([layer_past[0], k], dim=2)
            v = ember.cat([layer_past[1], v], dim=2)
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.attn_pdrop if self.training else 0.0)
        b, _, length, _ = out.shape
        out = self.resid_dropout(self.c_proj(out.transpose(1, 2).reshape(b, length, -1)))
        return out, ((k, v) if use_cache else None)


class GPT2MLP(nn.Module):
    def __init__(self, config: GPT2Config) -> None:
        super().__init__()
        inner = config.n_inner or 4 * config.n_embd
        self.c_fc = Conv1D(inner, config.n_embd)
        self.c_proj = Conv1D(config.n_embd, inner)
        self.act = get_activation(config.activation_function)
        self.dropout = nn.Dropout(config.resid_pdrop)

    def forward(self, x):
        return self.dropout(self.c_proj(self.act(self.c_fc(x))))


class GPT2Block(nn.Module):
    """Pre-LayerNorm transformer block: ``x + attn(ln_1(x))``, then ``x + mlp(ln_2(x))``."""

    def __init__(self, config: GPT2Config) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.attn = GPT2Attention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.mlp = GPT2MLP(config)

    def forward(self, x, layer_past=None, mask=None, use_cache=False):
        attended, present = self.attn(self.ln_1(x), layer_past, mask, use_cache)
        x = x + attended
        return x + self.mlp(self.ln_2(x)), present


def _init_gpt2_weights(model: nn.Module, config: GPT2Config) -> None:
    """Hugging Face's GPT-2 initialisation: normal(0, 0.02) weights and embeddings, zero
    biases, LayerNorm (1, 0), and the residual projections (``c_proj``) scaled by
    ``1/sqrt(2 * n_layer)`` (GPT-2 paper, section 2.3)."""
    std = config.initializer_range
    for name, module in model.named_modules():
        if isinstance(module, (Conv1D, nn.Embedding)):
            scale = 1 / math.sqrt(2 * config.n_layer) if name.endswith("c_proj") else 1.0
            nn.init.normal_(module.weight, mean=0.0, std=std * scale)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)


class GPT2Model(nn.Module):
    r"""The GPT-2 transformer (embeddings, blocks, final LayerNorm) without the LM head.

    Args:
        config: a :class:`GPT2Config`.

    Shape:
        - ``input_ids``: ``(B, L)``; ``attention_mask``: ``(B, past + L)`` (1 = real token).
        - ``last_hidden_state``: ``(B, L, n_embd)``; ``past_key_values``: one ``(key, value)``
          pair per layer, each ``(B, n_head, past + L, head_dim)``.
    """

    def __init__(self, config: GPT2Config) -> None:
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd,
                                _weight=ember.empty(config.vocab_size, config.n_embd))
        self.wpe = nn.Embedding(config.n_positions, config.n_embd,
                                _weight=ember.empty(config.n_positions, config.n_embd))
        self.drop = nn.Dropout(config.embd_pdrop)
        self.h = nn.ModuleList(GPT2Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        if init_weights_enabled():
            _init_gpt2_weights(self, config)

    def forward(self, input_ids, past_key_values=None, attention_mask=None, position_ids=None,
                use_cache: bool = False, output_hidden_states: bool = False) -> ModelOutput:
        if input_ids.ndim != 2:
            raise ValueError(f"input_ids must be (batch, length), got shape "
                             f"{tuple(input_ids.shape)}")
        batch, length = input_ids.shape
        past = 0 if past_key_values is None else past_key_values[0][0].shape[2]
        if past + length > self.config.n_positions:
            raise ValueError(f"sequence length {past + length} exceeds n_positions "
                             f"{self.config.n_positions}")
        if past_key_values is not None and len(past_key_values) != len(self.h):
            raise ValueError(f"past_key_values has {len(past_key_values)} layers, the model "
                             f"{len(self.h)}")
        if position_ids is None:
            position_ids = ember.arange(past, past + length, device=input_ids.device)[None]
        mask = _causal_mask(length, past, attention_mask, input_ids.device)
        x = self.drop(self.wte(input_ids) + self.wpe(position_ids))
        presents, all_hidden = [], []
        for i, block in enumerate(self.h):
            if output_hidden_states:
                all_hidden.append(x)
            layer_past = None if past_key_values is None else past_key_values[i]
            x, present = block(x, layer_past, mask, use_cache)
            presents.append(present)
        x = self.ln_f(x)
        if output_hidden_states:
            all_hidden.append(x)
        return ModelOutput(last_hidden_state=x,
                           past_key_values=tuple(presents) if use_cache else None,
                           hidden_states=tuple(all_hidden) if output_hidden_states else None)


def _causal_mask(length: int, past: int, attention_mask, device):
    """Bool ``(1 or B, 1, L, past + L)``: query ``i`` sees keys ``j <= past + i`` that are
    not padding."""
    keys = ember.arange(past + length, device=device)
    queries = ember.arange(past, past + length, device=device)
    mask = (keys[None, :] <= queries[:, None])[None, None]
    if attention_mask is not None:
        if tuple(attention_mask.shape[1:]) != (past + length,):
            raise ValueError(f"attention_mask must be (batch, {past + length}) (past + new "
                             f"tokens), got {tuple(attention_mask.shape)}")
        mask = mask & (attention_mask != 0)[:, None, None, :]
    return mask


def _lm_head(config: GPT2Config, wte: nn.Embedding) -> nn.Linear:
    """``Linear(n_embd, vocab_size, bias=False)`` whose weight is ``wte``'s (tied, as HF's
    ``tie_weights``) or a fresh one; built small, then given its weight, because a
    default-initialised 50257×768 ``Linear`` costs seconds."""
    head = nn.Linear(1, 1, bias=False)
    head.in_features, head.out_features = config.n_embd, config.vocab_size
    if config.tie_word_embeddings:
        head.weight = wte.weight
    else:
        head.weight = nn.Parameter(ember.empty(config.vocab_size, config.n_embd))
        if init_weights_enabled():
            nn.init.normal_(head.weight, mean=0.0, std=config.initializer_range)
    return head


class GPT2LMHeadModel(nn.Module):
    r"""GPT-2 with its language-modelling head (``lm_head``, tied to ``transformer.wte``).

    Args:
        config: a :class:`GPT2Config`.

    Shape:
        - ``logits``: ``(B, L, vocab_size)``; with ``labels`` ``(B, L)`` also ``loss``: the
          mean next-token cross-entropy (labels shifted inside, ``-100`` ignored).

    Examples:
        >>> model = GPT2LMHeadModel(GPT2Config(n_layer=2, n_embd=64, n_head=4, vocab_size=100))
        >>> out = model(ids, use_cache=True)            # out.logits, out.past_key_values
        >>> model.generate(ids, max_new_tokens=20, do_sample=True, top_k=50, top_p=0.95)
    """

    def __init__(self, config: GPT2Config) -> None:
        super().__init__()
        self.config = config
        self.transformer = GPT2Model(config)
        self.lm_head = _lm_head(config, self.transformer.wte)

    def forward(self, input_ids, past_key_values=None, attention_mask=None, position_ids=None,
                use_cache: bool = False, labels=None, output_hidden_states: bool = False
                ) -> ModelOutput:
        out = self.transformer(input_ids, past_key_values, attention_mask, position_ids,
                               use_cache, output_hidden_states)
        logits = self.lm_head(out.last_hidden_state)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]),
                                   labels[:, 1:].reshape(-1), ignore_index=-100)
        return ModelOutput(loss=loss, logits=logits, past_key_values=out.past_key_values,
                           hidden_states=out.hidden_states)

    def generate(self, input_ids, max_new_tokens: int = 20, do_sample: bool = False,
                 temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
                 eos_token_id: int | None = None, pad_token_id: int | None = None,
                 use_cache: bool = True, generator=None):
        """Extend ``input_ids`` ``(B, L)`` by up to ``max_new_tokens`` tokens.

        Args:
            do_sample: sample from the (filtered) distribution; ``False``: greedy argmax.
            temperature: divides the logits before sampling.
            top_k: keep only the ``top_k`` most likely tokens.
            top_p: keep the smallest set of most likely tokens whose probability reaches
                ``top_p`` (nucleus sampling).
            eos_token_id: a sequence that produced it is finished; later positions get
                ``pad_token_id`` (default: ``eos_token_id``). Generation stops when all are.
            use_cache: reuse the keys/values of earlier steps (``past_key_values``);
                ``False`` recomputes the whole sequence each step (same result, slower).
            generator: an ``ember.Generator`` for reproducible sampling.

        Returns:
            ``(B, L + new)`` long tensor.
        """
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        pad = eos_token_id if pad_token_id is None else pad_token_id
        ids = input_ids
        finished = ember.zeros(ids.shape[0], dtype=ember.bool, device=ids.device)
        past, step_input = None, ids
        with ember.no_grad():
            for _ in range(max_new_tokens):
                out = self(step_input, past_key_values=past, use_cache=use_cache)
                logits = out.logits[:, -1, :]
                if do_sample:
                    logits = filter_logits(logits / temperature, top_k=top_k, top_p=top_p)
                    probs = F.softmax(logits, dim=-1)
                    next_tokens = ember.multinomial(probs, 1, generator=generator)[:, 0]
                else:
                    next_tokens = logits.argmax(-1)
                if eos_token_id is not None:
                    next_tokens = ember.where(finished, ember.full_like(next_tokens, pad),
                                              next_tokens)
                    finished = finished | (next_tokens == eos_token_id)
                ids = ember.cat([ids, next_tokens[:, None]], dim=1)
                if use_cache:
                    past, step_input = out.past_key_values, next_tokens[:, None]
                else:
                    step_input = ids
                if eos_token_id is not None and bool(finished.all()):
                    break
        return ids

    @classmethod
    def from_pretrained(cls, path: str | Path) -> GPT2LMHeadModel:
        """Build from a Hugging Face directory (``config.json`` + ``model.safetensors`` or
        ``pytorch_model.bin``). Checkpoints saved from ``GPT2Model`` (keys without
        ``transformer.``) and the old ``attn.bias`` / ``attn.masked_bias`` buffers are
        accepted; a missing ``lm_head.weight`` is the tied ``wte``."""
        config = GPT2Config.from_dict(read_config(path))
        with no_init_weights():
            model = cls(config)
        state = {}
        for key, value in load_state_dict_file(find_weights_file(path)).items():
            if key.endswith((".attn.bias", ".attn.masked_bias")) and value.ndim != 1:
                continue  # causal-mask buffers of old transformers versions
            if not key.startswith(("transformer.", "lm_head.")):
                key = "transformer." + key
            state[key] = value
        if config.tie_word_embeddings:
            state.setdefault("lm_head.weight", state.get("transformer.wte.weight"))
        model.load_state_dict(state, strict=True)
        return model.eval()
