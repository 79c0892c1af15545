"""Run on 2 ranks: rank 1 dies (os._exit) before an all_reduce; rank 0 must time out loudly."""

import os

import ember
import ember.distributed as dist

dist.init_process_group("mpi", timeout=2)
t = ember.ones(1000)
dist.all_reduce(t)  # one that works
if dist.get_rank() == 1:
    os._exit(0)
dist.all_reduce(t)
print("unreachable: rank 0 finished an all_reduce without rank 1")
