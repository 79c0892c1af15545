"""The main demo: a Lightning-style Trainer run of a CNN on real digits.

    python examples/lightning_cnn.py [--accelerator cpu] [--max-epochs 3]

Fashion-MNIST when Debian's `dataset-fashion-mnist` files are present
(/usr/share/datasets/fashion-mnist/*.gz), else the 5,000 real MNIST digits that ship in
examples/data. A LightningModule, a LightningDataModule, ModelCheckpoint, EarlyStopping, a CSV
log and a progress bar; the last line is the test accuracy. `--accelerator` takes any backend
registered with ember (cpu, cuda, opencl, a third party's).
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

import numpy as np

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.data import DataLoader, TensorDataset, random_split
from ember_lightning import LightningDataModule, LightningModule, Trainer, seed_everything
from ember_lightning.callbacks import EarlyStopping, ModelCheckpoint

FASHION = Path("/usr/share/datasets/fashion-mnist")
MNIST_5K = Path(__file__).resolve().parent / "data" / "mnist_5k.csv.gz"


def _idx(path: Path) -> np.ndarray:
    """An IDX file (the MNIST family's format): magic, dims, then raw uint8 data."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_digits():
    """(train images, train labels, test images, test labels, name), images (N,1,28,28) in [0,1]."""
    if (FASHION / "train-images-idx3-ubyte.gz").exists():
        parts = [_idx(FASHION / f"{s}-{k}-idx{n}-ubyte.gz") for s in ("train", "t10k")
                 for k, n in (("images", 3), ("labels", 1))]
        xs = [p.reshape(-1, 1, 28, 28).astype(np.float32) / 255 for p in parts[0::2]]
        return xs[0], parts[1].astype(np.int64), xs[1], parts[3].astype(np.int64), "Fashion-MNIST"
    with gzip.open(MNIST_5K, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    order = np.random.default_rng(0).permutation(len(table))  # the file is sorted by label
    x = table[order, :784].reshape(-1, 1, 28, 28) / 255
    y = table[order, 784].astype(np.int64)
    return x[:4000], y[:4000], x[4000:], y[4000:], "MNIST (5k real digits)"


class DigitsData(LightningDataModule):
    def __init__(self, batch_size: int = 64, train_size: int | None = None):
        super().__init__()
        self.batch_size, self.train_size = batch_size, train_size

    def setup(self, stage=None):
        x, y, tx, ty, self.name = load_digits()
        x, y = x[:self.train_size], y[:self.train_size]  # None: all of them
        full = TensorDataset(ember.from_numpy(x), ember.from_numpy(y))
        n_val = len(full) // 10
        self.train_set, self.val_set = random_split(
            full, [len(full) - n_val, n_val], generator=ember.Generator().manual_seed(0))
        self.test_set = TensorDataset(ember.from_numpy(tx), ember.from_numpy(ty))

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=256)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=256)


class LitCNN(LightningModule):
    def __init__(self, lr: float = 1e-3):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):
        return self.net(x)

    def _step(self, batch, stage: str):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        acc = (logits.argmax(1) == y).float().mean()
        self.log(f"{stage}_loss", loss, prog_bar=True)
        self.log(f"{stage}_acc", acc, prog_bar=True)
        return loss

    def training_step(self, batch, batch_idx):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._step(batch, "val")

    def test_step(self, batch, batch_idx):
        self._step(batch, "test")

    def configure_optimizers(self):
        optimizer = ember.optim.Adam(self.parameters(), lr=self.hparams.lr)
        scheduler = ember.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
        return {"optimizer": optimizer, "lr_scheduler": scheduler}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accelerator", default="cpu")
    parser.add_argument("--max-epochs", type=int, default=3)
    parser.add_argument("--root", default="lightning_demo")
    parser.add_argument("--min-accuracy", type=float, default=0.85)
    parser.add_argument("--train-size", type=int, default=None,
                        help="use only the first N training images (default: all)")
    args = parser.parse_args()

    seed_everything(0)
    data, model = DigitsData(train_size=args.train_size), LitCNN()
    trainer = Trainer(
        max_epochs=args.max_epochs, accelerator=args.accelerator, default_root_dir=args.root,
        callbacks=[ModelCheckpoint(monitor="val_loss", save_top_k=1, save_last=True),
                   EarlyStopping(monitor="val_loss", patience=2)])
    trainer.fit(model, datamodule=data)
    print(f"data: {data.name}; best checkpoint: {trainer.checkpoint_callback.best_model_path}")
    result = trainer.test(model, datamodule=data, ckpt_path="best")
    accuracy = result[0]["test_acc"]
    print(f"test accuracy {accuracy:.3f}")
    if accuracy < args.min_accuracy:
        raise SystemExit(f"the CNN should reach {args.min_accuracy:.0%} test accuracy "
                         f"(got {accuracy:.3f})")


if __name__ == "__main__":
    main()
