"""Run on 2 ranks: DDP training where rank 1 dies (os._exit) at step 3; rank 0 must stop with a
clear error within the 3 s timeout instead of hanging. Progress goes to ``<argv[1]>/rank<r>.log``
(a file: what mpiexec forwards from stdout may be cut short when the job aborts)."""

import os
import sys

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi", timeout=3)
model = DDP(nn.Linear(8, 1))
opt = ember.optim.SGD(model.parameters(), lr=0.01)
for step in range(100):
    if step == 3 and dist.get_rank() == 1:
        os._exit(1)
    model(ember.randn(4, 8)).sum().backward()
    opt.step()
    opt.zero_grad()
    with open(os.path.join(sys.argv[1], f"rank{dist.get_rank()}.log"), "a") as log:
        log.write(f"finished step {step}\n")
print("unreachable: training went on without rank 1", flush=True)
