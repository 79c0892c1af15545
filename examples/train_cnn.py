"""Train a LeNet-style CNN on 5,000 real MNIST digits with ember.nn, optim and utils.data.

    python examples/train_cnn.py [--epochs 3] [--device cpu] [--workers 0]

The script is a PyTorch script with its imports changed: Conv2d/MaxPool2d/Linear layers,
CrossEntropyLoss, Adam, a DataLoader over a TensorDataset, and an atomic checkpoint with
ember.save. The data ships in examples/data (BSD-3, see its README).
"""

from __future__ import annotations

import argparse
import gzip
import time
from pathlib import Path

import numpy as np

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.data import DataLoader, TensorDataset

DATA = Path(__file__).resolve().parent / "data" / "mnist_5k.csv.gz"


def load_mnist_5k():
    """(images (N, 1, 28, 28) float32 in [0, 1], labels (N,) int64)."""
    with gzip.open(DATA, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    images = table[:, :784].reshape(-1, 1, 28, 28) / 255.0
    return images, table[:, 784].astype(np.int64)


class LeNet(nn.Module):
    """conv 1→32 3×3, pool, conv 32→64 3×3, pool, fc 64·5·5→128→10."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(64 * 5 * 5, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def evaluate(model, loader, device) -> float:
    model.eval()
    correct = total = 0
    with ember.no_grad():
        for x, y in loader:
            pred = model(x.to(device)).argmax(1)
            correct += int((pred == y.to(device)).sum())
            total += len(y)
    model.train()
    return correct / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--checkpoint", default="lenet_mnist5k.pt")
    args = parser.parse_args()

    ember.manual_seed(0)
    images, labels = load_mnist_5k()
    data = TensorDataset(ember.from_numpy(images), ember.from_numpy(labels))
    train, test = ember.utils.data.random_split(data, [4000, 1000],
                                                generator=ember.Generator().manual_seed(0))
    train_loader = DataLoader(train, batch_size=64, shuffle=True, num_workers=args.workers)
    test_loader = DataLoader(test, batch_size=256)

    model = LeNet().to(args.device)
    optimizer = ember.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for epoch in range(args.epochs):
        running, steps = 0.0, 0
        for x, y in train_loader:
            loss = loss_fn(model(x.to(args.device)), y.to(args.device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item()
            steps += 1
        accuracy = evaluate(model, test_loader, args.device)
        print(f"epoch {epoch + 1}  train loss {running / steps:.4f}  "
              f"test accuracy {accuracy:.3f}  ({time.perf_counter() - start:.1f} s)")
    ember.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()},
               args.checkpoint)
    restored = LeNet()
    restored.load_state_dict(ember.load(args.checkpoint)["model"])
    assert evaluate(restored.to(args.device), test_loader, args.device) == accuracy
    print(f"saved and reloaded {args.checkpoint}")
    if accuracy < 0.9:
        raise SystemExit(f"the CNN should reach 90% test accuracy (got {accuracy:.3f})")


if __name__ == "__main__":
    main()
