"""Run under mpiexec with 1 or 2 ranks: train an MLP with DistributedDataParallel on a global
batch of 16 split over the ranks; save the final parameters and some checks to
``<outdir>/ddp_ws<world>_rank<r>.npz``.

Each rank starts from different random weights: DDP must broadcast rank 0's. Every step
accumulates two micro-batches, the first under ``no_sync()``. Tiny buckets force several.
"""

import sys

import numpy as np

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP

out_dir, steps = sys.argv[1], int(sys.argv[2])
dist.init_process_group("mpi", timeout=60)
r, n = dist.get_rank(), dist.get_world_size()
ember.manual_seed(r)  # different init on each rank


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(5, 16)
        self.fc2 = nn.Linear(16, 3)
        self.register_buffer("scale", ember.full((3,), float(r + 1)))

    def forward(self, x):
        return self.fc2(ember.tanh(self.fc1(x))) * self.scale


net = Net()
model = DDP(net, bucket_cap_mb=0.0002)  # ~210 bytes: [fc2.*, fc1.bias], [fc1.weight]
opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
rng = np.random.default_rng(1234)
res = {"n_buckets": np.array(len(model.reducer.buckets)),
       "keys": np.frombuffer(",".join(model.state_dict()).encode(), np.uint8)}
for step in range(steps):
    for micro in range(2):
        x_all = rng.standard_normal((16, 5)).astype(np.float32)
        y_all = rng.standard_normal((16, 3)).astype(np.float32)
        lo, hi = r * 16 // n, (r + 1) * 16 // n
        x, y = ember.from_numpy(x_all[lo:hi]), ember.from_numpy(y_all[lo:hi])
        if micro == 0:
            with model.no_sync():
                nn.functional.mse_loss(model(x), y).backward()
            if step == 0:  # no communication yet: this rank's own gradient
                res["no_sync_grad"] = net.fc2.bias.grad.numpy().copy()
                ref = Net()
                ref.load_state_dict(net.state_dict())
                nn.functional.mse_loss(ref(x), y).backward()
                res["local_grad"] = ref.fc2.bias.grad.numpy()
        else:
            nn.functional.mse_loss(model(x), y).backward()
    opt.step()
    opt.zero_grad()
res["scale"] = net.scale.numpy().copy()
# broadcast_buffers: a buffer changed on one rank is rank 0's again at the next forward
with ember.no_grad():
    net.scale.fill_(float(10 + r))
    model(ember.ones(1, 5))
res["scale_after_forward"] = net.scale.numpy().copy()

# overlap: the bucket of fc2's gradients starts its all-reduce before backward reaches fc1
fresh = Net()
overlapped = DDP(fresh, bucket_cap_mb=0.0001)  # ~100 bytes: [fc2.bias, fc2.weight], [fc1.*]
launches, real_all_reduce = [], dist.all_reduce


def spy(tensor, *args, **kwargs):
    launches.append(fresh.fc1.weight.grad is None)
    return real_all_reduce(tensor, *args, **kwargs)


dist.all_reduce = spy  # what the reducer calls
overlapped(ember.ones(2, 5)).sum().backward()
dist.all_reduce = real_all_reduce
res["launched_before_fc1_grad"] = np.array(launches)

for name, p in net.named_parameters():
    res[name] = p.detach().numpy()
np.savez(f"{out_dir}/ddp_ws{n}_rank{r}.npz", **res)
