"""Run on 2 ranks: rank 1 starts MPI but exits before init_process_group; rank 0 must fail in
2 s. (A rank that dies before MPI itself starts blocks MPI_Init, out of ember's reach.)"""

import os

from mpi4py import MPI

import ember.distributed as dist

if MPI.COMM_WORLD.Get_rank() == 1:
    os._exit(0)
dist.init_process_group("mpi", timeout=2)
print("unreachable: the group formed without rank 1")
