"""Run on 2 ranks: rank 1 exits without calling init_process_group; rank 0 must fail in 2 s."""

import os

import ember.distributed as dist

if os.environ["PMI_RANK"] == "1":
    os._exit(0)
dist.init_process_group("mpi", timeout=2)
print("unreachable: the group formed without rank 1")
