"""Train torchtext's text-classification tutorial model on a real corpus that ships with Python.

    python examples/text_classification.py [--epochs 15] [--device cpu]

The corpus: the docstrings of four standard-library packages (asyncio, email, logging, xml),
read from their source files with ``ast`` (nothing is imported or executed). Each docstring is
one text, labelled with its package: a 4-class topic classification task like AG_NEWS, that
works offline. Every fifth text (in a fixed order) is held out for testing.

Pipeline (as in the tutorial): ``basic_english`` tokenizer + bigrams → ``Vocab`` →
``TextClassificationModel`` (EmbeddingBag + Linear), SGD with a step learning-rate schedule.
Prints the held-out accuracy and the majority-class baseline.
"""

from __future__ import annotations

import argparse
import ast
import os
import sysconfig
import time

import ember
from ember import nn
from ember.utils.data import DataLoader
from ember_text.data import get_tokenizer, ngrams_iterator
from ember_text.models import TextClassificationModel
from ember_text.vocab import build_vocab_from_iterator

PACKAGES = ("asyncio", "email", "logging", "xml")
NGRAMS = 2


def docstrings(package: str) -> list[str]:
    """Docstrings (≥ 5 words) of every module, class and function of a stdlib package."""
    root = os.path.join(sysconfig.get_paths()["stdlib"], package)
    if not os.path.isdir(root):
        raise FileNotFoundError(f"the standard library sources of {package!r} are not at {root}")
    texts = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                tree = ast.parse(f.read())
            for node in ast.walk(tree):
                if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                     ast.AsyncFunctionDef)):
                    doc = ast.get_docstring(node)
                    if doc and len(doc.split()) >= 5:
                        texts.append(doc)
    return texts


def load_corpus() -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(label, text) pairs split 80/20: every fifth text of each package goes to the test set."""
    train, test = [], []
    for label, package in enumerate(PACKAGES):
        for i, text in enumerate(docstrings(package)):
            (test if i % 5 == 4 else train).append((label, text))
    return train, test


def make_collate(vocab, tokenizer):
    def text_pipeline(text: str) -> list[int]:
        return vocab(list(ngrams_iterator(tokenizer(text), NGRAMS)))

    def collate(batch):
        """Concatenate the texts' ids; offsets mark where each text starts."""
        labels, ids, offsets = [], [], [0]
        for label, text in batch:
            labels.append(label)
            tokens = text_pipeline(text)
            ids.extend(tokens)
            offsets.append(offsets[-1] + len(tokens))
        return (ember.tensor(labels, dtype=ember.long), ember.tensor(ids, dtype=ember.long),
                ember.tensor(offsets[:-1], dtype=ember.long))

    return collate


def evaluate(model, loader, device) -> float:
    model.eval()
    correct = total = 0
    with ember.no_grad():
        for labels, text, offsets in loader:
            logits = model(text.to(device), offsets.to(device))
            correct += (logits.argmax(1).cpu() == labels).sum().item()
            total += len(labels)
    return correct / total


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--embed-dim", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5.0)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    ember.manual_seed(args.seed)
    start = time.perf_counter()

    train, test = load_corpus()
    tokenizer = get_tokenizer("basic_english")
    vocab = build_vocab_from_iterator(
        (ngrams_iterator(tokenizer(text), NGRAMS) for _, text in train), specials=["<unk>"])
    vocab.set_default_index(vocab["<unk>"])
    collate = make_collate(vocab, tokenizer)
    train_loader = DataLoader(train, batch_size=args.batch_size, shuffle=True,
                              collate_fn=collate)
    test_loader = DataLoader(test, batch_size=256, collate_fn=collate)
    print(f"corpus: {len(train)} train / {len(test)} test texts, {len(PACKAGES)} classes "
          f"{PACKAGES}, vocab {len(vocab)} (uni+bigrams)")

    model = TextClassificationModel(len(vocab), args.embed_dim, len(PACKAGES)).to(args.device)
    criterion = nn.CrossEntropyLoss()
    optimizer = ember.optim.SGD(model.parameters(), lr=args.lr)
    scheduler = ember.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.9)
    for epoch in range(1, args.epochs + 1):
        model.train()
        total_loss = 0.0
        for labels, text, offsets in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(text.to(args.device), offsets.to(args.device)),
                             labels.to(args.device))
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.1)  # as in the tutorial
            optimizer.step()
            total_loss += loss.item() * len(labels)
        scheduler.step()
        print(f"epoch {epoch:2d}  train loss {total_loss / len(train):.4f}  "
              f"held-out accuracy {evaluate(model, test_loader, args.device):.3f}")

    accuracy = evaluate(model, test_loader, args.device)
    majority = max(sum(1 for label, _ in test if label == c) for c in range(len(PACKAGES)))
    print(f"test accuracy: {accuracy:.4f} (majority-class baseline {majority / len(test):.4f}), "
          f"{time.perf_counter() - start:.1f} s")
    return accuracy


if __name__ == "__main__":
    main()
