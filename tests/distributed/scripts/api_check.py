"""Run under mpiexec: exercises every ember.distributed call and saves what each rank got to
``<outdir>/rank<r>.npz`` (the pytest side compares it with NumPy references).

Rank ``r``'s input is ``default_rng(r).standard_normal((4, 3))`` in float32.
"""

import os
import pickle
import sys

import numpy as np

import ember
import ember.distributed as dist

out_dir = sys.argv[1]
dist.init_process_group("mpi", timeout=60)
r, n = dist.get_rank(), dist.get_world_size()


def x_of(rank):
    return np.random.default_rng(rank).standard_normal((4, 3)).astype(np.float32)


res = {"rank": np.array(r), "world": np.array(n)}
for op in ("SUM", "AVG", "MAX", "MIN", "PRODUCT"):
    t = ember.from_numpy(x_of(r).copy())
    dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
    res[f"all_reduce_{op}"] = t.numpy()

ints = ember.arange(6, dtype=ember.int64) * (r + 1)
dist.all_reduce(ints)
res["all_reduce_int"] = ints.numpy()
bits = ember.tensor([1 << r, 3], dtype=ember.int32)
dist.all_reduce(bits, op=dist.ReduceOp.BOR)
res["all_reduce_bor"] = bits.numpy()
flags = ember.tensor([r == 0, True, False])
dist.all_reduce(flags, op=dist.ReduceOp.MAX)
res["all_reduce_bool_max"] = flags.numpy()
half = ember.from_numpy(x_of(r)).to(ember.bfloat16)
dist.all_reduce(half)
res["all_reduce_bf16"] = half.float().numpy()

# a non-contiguous view: the result must land in the base tensor's memory
base = ember.from_numpy(x_of(r).copy())
view = base.t()
dist.all_reduce(view)
res["all_reduce_view_base"] = base.numpy()

# a parameter that requires grad: the data changes, no autograd error
p = ember.nn.Parameter(ember.from_numpy(x_of(r).copy()))
dist.all_reduce(p, op=dist.ReduceOp.AVG)
res["all_reduce_param"] = p.detach().numpy()

work = dist.all_reduce(ember.from_numpy(x_of(r).copy()), async_op=True)
work.wait()
res["async_done"] = np.array(work.is_completed())
res["async_result"] = work.result()[0].numpy()

t = ember.from_numpy(x_of(r).copy())
dist.broadcast(t, src=n - 1)
res["broadcast"] = t.numpy()
bt = ember.from_numpy(x_of(r)).to(ember.bfloat16)
dist.broadcast(bt, src=1)
res["broadcast_bf16"] = bt.float().numpy()

t = ember.from_numpy(x_of(r).copy())
dist.reduce(t, dst=1, op=dist.ReduceOp.SUM)
res["reduce"] = t.numpy()

lst = [ember.zeros(4, 3) for _ in range(n)]
dist.all_gather(lst, ember.from_numpy(x_of(r)))
res["all_gather"] = np.stack([x.numpy() for x in lst])
cat = ember.zeros(4 * n, 3)
dist.all_gather_into_tensor(cat, ember.from_numpy(x_of(r)))
res["all_gather_into_tensor"] = cat.numpy()
stacked = ember.zeros(n, 4, 3)
dist.all_gather_into_tensor(stacked, ember.from_numpy(x_of(r)))
res["all_gather_into_tensor_stacked"] = stacked.numpy()

big = ember.from_numpy(np.concatenate([x_of(r) + i for i in range(n)]))
out = ember.zeros(4, 3)
dist.reduce_scatter_tensor(out, big, op=dist.ReduceOp.SUM)
res["reduce_scatter_tensor"] = out.numpy()

gl = [ember.zeros(4, 3) for _ in range(n)] if r == 0 else None
dist.gather(ember.from_numpy(x_of(r)), gl, dst=0)
if r == 0:
    res["gather"] = np.stack([x.numpy() for x in gl])
sl = [ember.from_numpy(x_of(100 + i)) for i in range(n)] if r == 0 else None
got = ember.zeros(4, 3)
dist.scatter(got, sl, src=0)
res["scatter"] = got.numpy()

# a ring: send to the right, receive from the left (isend first, so nobody blocks)
recv_buf = ember.zeros(4, 3)
w = dist.isend(ember.from_numpy(x_of(r)), dst=(r + 1) % n, tag=7)
res["recv_from"] = np.array(dist.recv(recv_buf, src=None, tag=7))
w.wait()
res["ring"] = recv_buf.numpy()

objs = [{"rank": r, "name": "x" * r}] if r == 0 else [None]
dist.broadcast_object_list(objs, src=0)
res["bcast_obj"] = np.frombuffer(pickle.dumps(objs[0]), np.uint8)
everyone = [None] * n
dist.all_gather_object(everyone, ("rank", r, list(range(r))))
res["all_gather_obj"] = np.frombuffer(pickle.dumps(everyone), np.uint8)
go = [None] * n if r == 0 else None
dist.gather_object({"r": r}, go, dst=0)
if r == 0:
    res["gather_obj"] = np.frombuffer(pickle.dumps(go), np.uint8)
so = [None]
dist.scatter_object_list(so, [f"to-{i}" * (i + 1) for i in range(n)] if r == 0 else None, src=0)
res["scatter_obj"] = np.frombuffer(pickle.dumps(so[0]), np.uint8)

# a subgroup of the odd ranks (global ranks in src/dst, group ranks from get_rank(group))
odd = dist.new_group([i for i in range(n) if i % 2 == 1])
res["odd_group_rank"] = np.array(dist.get_rank(odd))
if r % 2 == 1:
    t = ember.from_numpy(x_of(r).copy())
    dist.all_reduce(t, group=odd)
    res["odd_all_reduce"] = t.numpy()
    t = ember.from_numpy(x_of(r).copy())
    dist.broadcast(t, src=1, group=odd)
    res["odd_broadcast"] = t.numpy()

try:
    dist.all_gather([ember.zeros(4, 3)], ember.zeros(4, 3))
except ValueError as exc:
    res["bad_list_error"] = np.frombuffer(str(exc).encode(), np.uint8)

# tensors of any backend travel through host memory and come back to their device
for name in ("fake", "opencl"):
    if name in ember.backends.available_backends():
        dev = ember.from_numpy(x_of(r)).to(name)
        dist.all_reduce(dev)
        res[f"all_reduce_on_{name}"] = dev.cpu().numpy()
        res[f"device_after_{name}"] = np.frombuffer(str(dev.device).encode(), np.uint8)

# DistributedSampler takes rank and world size from the process group
sampler = ember.utils.data.DistributedSampler(list(range(10)), shuffle=False)
res["sampler"] = np.array([sampler.rank, sampler.num_replicas, *list(sampler)])
res["env_marker"] = np.frombuffer(os.environ.get("EMBER_TEST_MARKER", "").encode(), np.uint8)
res["env_ranks"] = np.array([int(os.environ[k]) for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK",
                                                          "LOCAL_WORLD_SIZE")])

dist.barrier()
np.savez(f"{out_dir}/rank{r}.npz", **res)
dist.destroy_process_group()
res_init = dist.is_initialized()
assert not res_init
