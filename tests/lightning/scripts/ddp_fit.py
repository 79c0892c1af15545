"""Started as a plain ``python ddp_fit.py ROOT DEVICES MAX_EPOCHS [resume]``: a Trainer with
strategy="ddp" re-executes it under mpiexec when DEVICES > 1 (DEVICES "single": the plain
single-device Trainer, the reference). Every rank writes
``ROOT/result_ws<world>_rank<r>.json`` (what it saw); only rank 0 should write checkpoints/logs.

The global batch is 16 whatever the world size (16 // DEVICES per rank), the data is not
shuffled, so world size 1 and 2 must train to the same weights.
"""

import json
import os
import sys

import numpy as np

import ember
from ember import nn
from ember.utils.data import DataLoader, TensorDataset
from ember_lightning import LightningModule, Trainer

root, max_epochs = sys.argv[1], int(sys.argv[3])
single = sys.argv[2] == "single"
devices = 1 if single else int(sys.argv[2])
resume = len(sys.argv) > 4 and sys.argv[4] == "resume"


class Regression(LightningModule):
    def __init__(self):
        super().__init__()
        ember.manual_seed(int(os.environ.get("RANK", 0)))  # rank 1 starts elsewhere: DDP syncs
        self.net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
        self.seen = 0

    def training_step(self, batch, batch_idx):
        x, y = batch
        self.seen += len(x)
        loss = nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss, sync_dist=True)
        self.log("rank_mean", float(self.trainer.global_rank), sync_dist=True, on_epoch=True)
        self.log("rank_max", float(self.trainer.global_rank), sync_dist=True, reduce_fx="max",
                 on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", nn.functional.mse_loss(self.net(x), y), sync_dist=True)

    def configure_optimizers(self):
        return ember.optim.SGD(self.parameters(), lr=0.1, momentum=0.9)


rng = np.random.default_rng(0)
x = rng.standard_normal((64, 4)).astype(np.float32)
y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], np.float32)).astype(np.float32)
data = TensorDataset(ember.from_numpy(x), ember.from_numpy(y))
model = Regression()
trainer = Trainer(strategy="auto" if single else "ddp", accelerator="cpu", devices=devices, max_epochs=max_epochs, default_root_dir=root,
                  enable_progress_bar=True, enable_model_summary=False, num_sanity_val_steps=0,
                  log_every_n_steps=1)
trainer.fit(model, DataLoader(data, batch_size=16 // devices, shuffle=False),
            DataLoader(data, batch_size=16 // devices), ckpt_path="last" if resume else None)
out = {"world_size": trainer.world_size, "global_rank": trainer.global_rank,
       "global_step": trainer.global_step, "samples_seen": model.seen,
       "sampler": type(trainer.train_dataloader.sampler).__name__,
       "rank_mean": float(trainer.callback_metrics["rank_mean"]),
       "rank_max": float(trainer.callback_metrics["rank_max"]),
       "best_model_path": trainer.checkpoint_callback.best_model_path,
       "log_dir": trainer.log_dir,
       "progress_bar_enabled": trainer.progress_bar_callback.is_enabled,
       "logged_rows": len(trainer.logger.metrics),
       "params": {k: v.tolist() for k, v in model.state_dict().items()}}
tag = f"{'resumed_' if resume else ''}{'single' if single else f'ws{devices}'}_e{max_epochs}"
with open(os.path.join(root, f"result_{tag}_rank{trainer.global_rank}.json"), "w") as f:
    json.dump(out, f)
