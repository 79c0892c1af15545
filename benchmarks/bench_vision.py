"""Fashion-MNIST training epoch of examples/vision_fashion_mnist.py, ember vs PyTorch side by side.

    python benchmarks/bench_vision.py [--root data] [--images N] [--json PATH]

The ember side is the example itself: ``ember_vision.datasets.FashionMNIST`` + ``transforms``
(ToTensor, Normalize) + ``ember.utils.data.DataLoader(num_workers=2)`` and the example's CNN
and loop. The PyTorch side runs the same model (built by the example's ``small_cnn`` from
``torch.nn``) and loop with ``torch.utils.data`` on the same decoded uint8 arrays, each sample
going through a PIL image and torchvision's ToTensor/Normalize arithmetic (torchvision itself
is not installable beside the CPU torch wheel). Rows: one pass of the data pipeline, and one
training epoch with data loading, on the first ``--images`` training images (default 60,000,
a full epoch), each timed once. Math libraries single-threaded (per-core comparison); the two
loader workers are processes in both libraries.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

# isort: off
from bench_core import (  # first: fixes the BLAS/thread environment before NumPy loads
    Row,
    argument_parser,
    report,
    single_thread,
    torch,
)
# isort: on
import numpy as np
from PIL import Image

import ember

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import vision_fashion_mnist as example  # noqa: E402

BATCH, WORKERS = 64, 2


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def drain(loader) -> int:
    """Iterate a DataLoader once (the pipeline's cost alone); returns the number of samples."""
    return sum(len(labels) for _, labels in loader)


# ---- the PyTorch side ---------------------------------------------------------------------------

class TorchFashionMNIST:
    """torchvision's FashionMNIST sample path on the decoded arrays: PIL image -> ToTensor ->
    Normalize (the arithmetic of torchvision.transforms, written with torch ops)."""

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int):
        image = Image.fromarray(self.images[index], mode="L")
        tensor = torch.from_numpy(np.array(image, np.uint8, copy=True)).view(1, 28, 28)
        tensor = tensor.float().div(255)
        tensor = tensor.sub(example.MEAN[0]).div(example.STD[0])
        return tensor, int(self.labels[index])


def torch_loader(images, labels):
    data = TorchFashionMNIST(images, labels)
    return torch.utils.data.DataLoader(data, batch_size=BATCH, shuffle=True, num_workers=WORKERS,
                                       generator=torch.Generator().manual_seed(0))


def torch_epoch(images, labels) -> float:
    torch.manual_seed(0)
    model = example.small_cnn(torch.nn)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    return example.train_one_epoch(model, torch_loader(images, labels), optimizer,
                                   torch.nn.functional.cross_entropy)


# ---- the ember side (the example) ---------------------------------------------------------------

def ember_epoch(loader) -> float:
    ember.manual_seed(0)
    model = example.small_cnn()
    optimizer = ember.optim.Adam(model.parameters(), lr=2e-3)
    return example.train_one_epoch(model, loader, optimizer)


def main(argv: list[str] | None = None) -> int:
    parser = argument_parser(__doc__, repeat=None)  # each row is timed once
    parser.add_argument("--root", default="data", help="dataset root (Debian files are linked)")
    parser.add_argument("--images", type=int, default=60000, help="training images per epoch")
    args = parser.parse_args(argv)
    with single_thread() as env:
        example.link_debian_files(args.root, example.DEBIAN)
        loader, _ = example.make_loaders(args.root, False, BATCH, WORKERS, args.images, 1)
        dataset = loader.dataset.dataset  # the FashionMNIST under the Subset
        images = dataset.data.numpy()[:args.images]
        labels = dataset.targets.numpy()[:args.images]
        n = len(images)
        rows = []
        pipeline = f"data pipeline, {n} images (PIL, ToTensor, Normalize, batch {BATCH}, {WORKERS} workers)"
        ember_s, _ = timed(lambda: drain(loader))
        torch_s = timed(lambda: drain(torch_loader(images, labels)))[0] if torch else None
        rows.append(Row(pipeline, ember_s, torch_s))
        ember_s, ember_loss = timed(lambda: ember_epoch(loader))
        torch_s, torch_loss = timed(lambda: torch_epoch(images, labels)) if torch else (None, None)
        rows.append(Row(f"training epoch, {n} images, small CNN + Adam, data loading included",
                        ember_s, torch_s, extra={"ember_loss": ember_loss, "torch_loss": torch_loss}))
    report(rows, env, args.json)
    print(f"\nmean training loss of the epoch: ember {ember_loss:.4f}"
          + (f", torch {torch_loss:.4f}" if torch_loss is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
