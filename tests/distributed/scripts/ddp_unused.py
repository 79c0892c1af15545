"""Run on 2 ranks: parameters unused on one rank or on all (``find_unused_parameters``), and the
error without it. Saves ``<outdir>/unused_rank<r>.npz``."""

import sys

import numpy as np

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP

out_dir = sys.argv[1]
dist.init_process_group("mpi", timeout=60)
r = dist.get_rank()


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 1)
        self.b = nn.Linear(2, 1)  # only rank 0 uses it
        self.never = nn.Linear(2, 1)  # nobody uses it

    def forward(self, x):
        out = self.a(x)
        return out + self.b(x) if r == 0 else out


ember.manual_seed(0)
x = ember.full((1, 2), float(r + 1))
model = DDP(Branchy(), find_unused_parameters=True)
model(x).sum().backward()
res = {name: p.grad.numpy() for name, p in model.module.named_parameters() if p.grad is not None}
res["never_grad_is_none"] = np.array(model.module.never.weight.grad is None)

plain = DDP(Branchy())
plain(x).sum().backward()  # never (and b on rank 1) get no gradient: the reduction never ends
try:
    plain(x)
except RuntimeError as exc:
    res["error"] = np.frombuffer(str(exc).encode(), np.uint8)
np.savez(f"{out_dir}/unused_rank{r}.npz", **res)
