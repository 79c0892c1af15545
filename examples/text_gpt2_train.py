"""Train a small GPT-2 from scratch (character level) on the Zen of Python, then generate.

    python examples/text_gpt2_train.py [--steps 200] [--device cpu]

The text ships with Python: ``this.py`` holds the Zen of Python ROT13-encoded, decoded here
without importing the module. The model is ember_text's ``GPT2LMHeadModel`` (HF key names, so
``model.state_dict()`` has the layout of a Hugging Face GPT-2 checkpoint) with 2 layers and 64
channels; AdamW on random 64-character windows. Afterwards it continues a prompt greedily (with
the KV cache) and with top-k / top-p sampling.
"""

from __future__ import annotations

import argparse
import codecs
import os
import re
import sysconfig
import time

import ember
from ember_text.models import GPT2Config, GPT2LMHeadModel
from ember_text.vocab import build_vocab_from_iterator


def zen_of_python() -> str:
    """The Zen of Python, decoded from the ROT13 string in the standard library's this.py."""
    path = os.path.join(sysconfig.get_paths()["stdlib"], "this.py")
    with open(path, encoding="utf-8") as f:
        source = f.read()
    encoded = re.search(r's = """(.*?)"""', source, re.S).group(1)
    return codecs.decode(encoded, "rot13")


def batches(data: ember.Tensor, block: int, batch: int, generator):
    """Random windows of ``block + 1`` characters: inputs and their next characters."""
    starts = ember.randint(0, len(data) - block - 1, (batch,), generator=generator)
    windows = ember.stack([data[s:s + block + 1] for s in starts.tolist()])
    return windows


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--block", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    ember.manual_seed(args.seed)
    start = time.perf_counter()

    text = zen_of_python()
    vocab = build_vocab_from_iterator([list(text)])  # one token per character
    data = ember.tensor(vocab(list(text)), dtype=ember.long)
    config = GPT2Config(vocab_size=len(vocab), n_positions=args.block, n_embd=64, n_layer=2,
                        n_head=4, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    model = GPT2LMHeadModel(config).to(args.device)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{len(text)} characters, vocab {len(vocab)}, model {n_params:,} parameters")

    optimizer = ember.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    scheduler = ember.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.steps)
    generator = ember.Generator().manual_seed(args.seed)
    model.train()
    for step in range(1, args.steps + 1):
        windows = batches(data, args.block - 1, args.batch_size, generator).to(args.device)
        loss = model(windows, labels=windows).loss  # labels are shifted inside
        optimizer.zero_grad()
        loss.backward()
        ember.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        if step % 50 == 0 or step == 1:
            print(f"step {step:4d}  loss {loss.item():.3f}")

    model.eval()
    prompt = "Beautiful is better"
    ids = ember.tensor([vocab(list(prompt))], device=args.device)
    new = args.block - len(prompt)  # stay within the positions seen in training
    greedy = model.generate(ids, max_new_tokens=new)
    sampled = model.generate(ids, max_new_tokens=new, do_sample=True, top_k=10, top_p=0.9,
                             temperature=0.8, generator=ember.Generator().manual_seed(1))
    print("greedy :", repr("".join(vocab.lookup_tokens(greedy[0].tolist()))))
    print("sampled:", repr("".join(vocab.lookup_tokens(sampled[0].tolist()))))
    print(f"final loss: {loss.item():.4f}, {time.perf_counter() - start:.1f} s")
    return loss.item()


if __name__ == "__main__":
    main()
