"""Tiny models and data for the ember_lightning tests (a uniquely named module: every test folder
has a conftest.py, so ``from conftest import`` would be ambiguous)."""

import ember
from ember_lightning import LightningModule


def make_data(n=32, seed=0):
    g = ember.Generator().manual_seed(seed) if hasattr(ember, "Generator") else None
    x = ember.randn(n, 4, generator=g) if g is not None else ember.randn(n, 4)
    y = x @ ember.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1
    return ember.utils.data.TensorDataset(x, y)


class Regressor(LightningModule):
    def __init__(self, lr=0.05, opt_form="optimizer"):
        super().__init__()
        self.save_hyperparameters()
        self.sched = opt_form == "sched"
        self.net = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.Tanh(), ember.nn.Linear(8, 1))
        self.losses = []

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = ember.nn.functional.mse_loss(self(x), y)
        self.losses.append(float(loss))
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", ember.nn.functional.mse_loss(self(x), y))

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test_loss", ember.nn.functional.mse_loss(self(x), y))

    def predict_step(self, batch, batch_idx):
        return self(batch[0])

    def configure_optimizers(self):
        opt = ember.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.9 if self.sched else 0.0)
        if self.sched:
            return [opt], [ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)]
        return opt


def loader(ds, shuffle=False, batch_size=8):
    return ember.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=shuffle)
