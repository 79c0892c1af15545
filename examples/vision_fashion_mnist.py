"""Train a small CNN on Fashion-MNIST with ember_vision: dataset, transforms, DataLoader.

    python examples/vision_fashion_mnist.py [--root data] [--epochs 1] [--num-workers 2]

The data comes from ``ember_vision.datasets.FashionMNIST`` (torchvision's layout:
``<root>/FashionMNIST/raw/*-ubyte[.gz]``). Where Debian's ``dataset-fashion-mnist`` package is
installed, its files (``--debian``, default /usr/share/datasets/fashion-mnist) are linked into
that layout, so nothing is downloaded; ``--download`` fetches the published files instead.
One epoch reaches about 88 % test accuracy on the CPU; the time per epoch is printed.
"""

from __future__ import annotations

import os

# One BLAS thread (unless set otherwise): this CNN's matrices are small, and extra BLAS threads
# only compete with the two loader processes for the cores (on a busy 2-core machine an epoch
# took 9x longer with OpenBLAS's default threads). Must be set before NumPy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import ember  # noqa: E402
import ember.nn as nn  # noqa: E402
import ember.nn.functional as F  # noqa: E402
from ember.utils.data import DataLoader, Subset  # noqa: E402
from ember_vision import datasets, transforms  # noqa: E402

DEBIAN = "/usr/share/datasets/fashion-mnist"
MEAN, STD = (0.2860,), (0.3530,)  # of the Fashion-MNIST training images


def small_cnn(nn=nn) -> nn.Sequential:
    """Two 3x3 convolution blocks and a linear classifier: (N, 1, 28, 28) -> (N, 10) logits.

    ``nn`` is the layer namespace: ember's by default (benchmarks/bench_vision.py builds the
    same model from ``torch.nn``)."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 14 x 14
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 7 x 7
        nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10))


def link_debian_files(root: str | Path, debian: str | Path) -> None:
    """Make ``root/FashionMNIST/raw`` point at Debian's files unless the layout already has them."""
    raw = Path(root) / "FashionMNIST" / "raw"
    if raw.exists() or not Path(debian, "train-images-idx3-ubyte.gz").exists():
        return
    raw.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(os.path.abspath(debian), raw, target_is_directory=True)


def make_loaders(root, download: bool, batch_size: int, num_workers: int,
                 limit_train: int | None = None, limit_test: int | None = None):
    """Train and test DataLoaders over FashionMNIST with ToTensor + Normalize."""
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    train = datasets.FashionMNIST(root, train=True, transform=transform, download=download)
    test = datasets.FashionMNIST(root, train=False, transform=transform, download=download)
    if limit_train:
        train = Subset(train, range(limit_train))
    if limit_test:
        test = Subset(test, range(limit_test))
    generator = ember.Generator().manual_seed(0)
    return (DataLoader(train, batch_size=batch_size, shuffle=True, num_workers=num_workers,
                       generator=generator),
            DataLoader(test, batch_size=500, num_workers=num_workers))


def train_one_epoch(model, loader, optimizer, loss_fn=F.cross_entropy) -> float:
    """One pass over ``loader``; returns the mean training loss."""
    model.train()
    total, count = 0.0, 0
    for images, labels in loader:
        loss = loss_fn(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(labels)
        count += len(labels)
    return total / count


@ember.no_grad()
def evaluate(model: nn.Module, loader: DataLoader) -> float:
    """Top-1 accuracy over ``loader``."""
    model.eval()
    correct, count = 0, 0
    for images, labels in loader:
        correct += int((model(images).argmax(1) == labels).sum())
        count += len(labels)
    return correct / count


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="data", help="dataset root (default: data)")
    parser.add_argument("--debian", default=DEBIAN,
                        help=f"folder of Debian's Fashion-MNIST files to link (default: {DEBIAN})")
    parser.add_argument("--download", action="store_true", help="download the published files")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--num-workers", type=int, default=2)
    parser.add_argument("--limit-train", type=int, help="use only the first N training images")
    parser.add_argument("--limit-test", type=int, help="use only the first N test images")
    parser.add_argument("--min-accuracy", type=float, default=0.85,
                        help="exit with an error below this final test accuracy")
    args = parser.parse_args(argv)

    ember.manual_seed(0)
    link_debian_files(args.root, args.debian)
    train_loader, test_loader = make_loaders(args.root, args.download, args.batch_size,
                                             args.num_workers, args.limit_train, args.limit_test)
    model = small_cnn()
    optimizer = ember.optim.Adam(model.parameters(), lr=args.lr)
    accuracy = 0.0
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        loss = train_one_epoch(model, train_loader, optimizer)
        seconds = time.perf_counter() - start
        accuracy = evaluate(model, test_loader)
        print(f"epoch {epoch}: train loss {loss:.4f}, test accuracy {accuracy:.4f}, "
              f"{seconds:.1f} s/epoch ({len(train_loader.dataset)} images)", flush=True)
    if accuracy < args.min_accuracy:
        raise SystemExit(f"test accuracy {accuracy:.4f} is below {args.min_accuracy}")
    return accuracy


if __name__ == "__main__":
    main()
