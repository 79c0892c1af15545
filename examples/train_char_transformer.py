"""Train a small character-level Transformer language model on real text with ember.

    python examples/train_char_transformer.py [--steps 300] [--device cpu]

The corpus is the source code of a few Python standard-library modules (real text, on every
machine that runs this script). A causal TransformerEncoder predicts the next character;
the loss falls from ln(vocab) ≈ 4.5 to well under 2.5, and the script samples some text.
"""

from __future__ import annotations

import argparse
import inspect
import math
import time

import numpy as np

import ember
import ember.nn as nn
import ember.nn.functional as F


def corpus() -> str:
    import argparse as a
    import collections as c
    import json.decoder as j
    import textwrap as t

    return "".join(inspect.getsource(m) for m in (a, c, j, t))


class CharTransformer(nn.Module):
    def __init__(self, vocab: int, d_model: int = 128, heads: int = 4, layers: int = 2,
                 context: int = 64):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.position = nn.Embedding(context, d_model)
        layer = nn.TransformerEncoderLayer(d_model, heads, 4 * d_model, dropout=0.1,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab)
        self.register_buffer("causal", nn.Transformer.generate_square_subsequent_mask(context),
                             persistent=False)

    def forward(self, tokens):
        t = tokens.shape[1]
        x = self.embed(tokens) + self.position(ember.arange(t, device=tokens.device))
        x = self.encoder(x, mask=self.causal[:t, :t], is_causal=True)
        return self.head(self.norm(x))


def batches(data: np.ndarray, batch: int, context: int, rng: np.random.Generator):
    while True:
        starts = rng.integers(0, len(data) - context - 1, batch)
        window = np.stack([data[s:s + context + 1] for s in starts])
        yield ember.from_numpy(window[:, :-1]), ember.from_numpy(window[:, 1:])


@ember.no_grad()
def sample(model, stoi, itos, prompt: str, length: int, context: int) -> str:
    model.eval()
    tokens = [stoi[ch] for ch in prompt]
    for _ in range(length):
        x = ember.tensor([tokens[-context:]])
        probs = F.softmax(model(x)[0, -1], dim=-1)
        tokens.append(int(ember.multinomial(probs, 1)))
    model.train()
    return "".join(itos[i] for i in tokens)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--context", type=int, default=64)
    parser.add_argument("--target", type=float, default=2.5,
                        help="fail unless the last 50 steps average below this loss")
    args = parser.parse_args()

    ember.manual_seed(0)
    text = corpus()
    chars = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(chars)}
    data = np.array([stoi[ch] for ch in text], dtype=np.int64)
    model = CharTransformer(len(chars), context=args.context).to(args.device)
    optimizer = ember.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    scheduler = ember.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3,
                                                    total_steps=args.steps)
    stream = batches(data, 32, args.context, np.random.default_rng(0))
    print(f"{len(text):,} characters, vocabulary {len(chars)}, "
          f"{sum(p.numel() for p in model.parameters()):,} parameters; "
          f"chance loss ln({len(chars)}) = {math.log(len(chars)):.2f}")
    start, recent = time.perf_counter(), []
    for step in range(1, args.steps + 1):
        x, y = next(stream)
        logits = model(x.to(args.device))
        loss = F.cross_entropy(logits.flatten(0, 1), y.to(args.device).flatten())
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        recent.append(loss.item())
        if step % 50 == 0:
            print(f"step {step:4d}  loss {np.mean(recent[-50:]):.3f}  "
                  f"({time.perf_counter() - start:.1f} s)")
    print(sample(model, stoi, chars, "def ", 120, args.context))
    final = float(np.mean(recent[-50:]))
    if final > args.target:
        raise SystemExit(f"the language model should get below {args.target} nats/char "
                         f"(got {final:.2f})")


if __name__ == "__main__":
    main()
