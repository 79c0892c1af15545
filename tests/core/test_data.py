"""ember.utils.data: datasets, samplers, collation and the DataLoader (with real worker
processes), against hand-computed expectations and PyTorch's documented behaviour."""

import collections
import gc
import mmap
import os
import random
import signal
import sys
import time

import numpy as np
import pytest

import ember
from ember.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    DistributedSampler,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    StackDataset,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)
from ember.utils.data._utils.collate import collate, default_collate_fn_map

HAS_SHM_DIR = os.path.isdir("/dev/shm")


@pytest.fixture(autouse=True)
def _never_hang():
    """Fail (instead of hanging the suite) when a test runs over 30 s."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum, frame):
        raise TimeoutError("test_data: test ran over 30 s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(30)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _gen(seed):
    return ember.Generator().manual_seed(seed)


def _shm_entries():
    """This process's DataLoader blocks in /dev/shm (other test runs may share the folder)."""
    if not HAS_SHM_DIR:
        return set()
    return {e for e in os.listdir("/dev/shm") if e.startswith(f"emb{os.getpid()}x")}


# ---- datasets used by the tests (module level: picklable for 'spawn') ---------------------------

class Squares(Dataset):
    """Sample i = {"x": float32 [i, i*i], "y": i}; optional slowness per index."""

    def __init__(self, n=10, slow=()):
        self.n = n
        self.slow = set(slow)

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i in self.slow:
            time.sleep(0.05)
        return {"x": np.array([i, i * i], dtype=np.float32), "y": i}


class Raising(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise ValueError(f"bad sample {i}")
        return i


class MissingKey(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return {}["nope"]


class Exiting(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 3:
            os._exit(1)
        return i


class Killed(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


class Sleepy(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(1.0)
        return i


class WorkerReport(Dataset):
    """Each sample reports which worker made it and what that worker's RNGs give."""

    def __init__(self, n=4):
        self.n = n
        self.offset = 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        info = get_worker_info()
        return {"i": i + self.offset, "worker": -1 if info is None else info.id,
                "seed": -1 if info is None else info.seed, "pid": os.getpid(),
                "np": float(np.random.rand()), "py": random.random(),
                "ember": float(ember.rand(1).item())}


class Range(IterableDataset):
    """range(start, end), split into contiguous shards across workers."""

    def __init__(self, start, end):
        self.start, self.end = start, end

    def __len__(self):
        return self.end - self.start

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.start, self.end))
        per = -(-(self.end - self.start) // info.num_workers)
        lo = self.start + info.id * per
        return iter(range(lo, min(lo + per, self.end)))


def _offset_init(worker_id):
    get_worker_info().dataset.offset = 100 * (worker_id + 1)


def _failing_init(worker_id):
    raise ZeroDivisionError(f"init failed in worker {worker_id}")


# ---- datasets -----------------------------------------------------------------------------------

def test_tensor_dataset():
    x, y = ember.arange(12.0).reshape(4, 3), ember.tensor([0, 1, 0, 1])
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    xi, yi = ds[2]
    np.testing.assert_array_equal(xi.numpy(), [6.0, 7.0, 8.0])
    assert yi.item() == 0
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(x, ember.zeros(3))


def test_concat_dataset_and_add():
    a, b = TensorDataset(ember.arange(3)), TensorDataset(ember.arange(10, 14))
    ds = a + b
    assert isinstance(ds, ConcatDataset)
    assert ds.cumulative_sizes == [3, 7] and len(ds) == 7
    assert [ds[i][0].item() for i in range(7)] == [0, 1, 2, 10, 11, 12, 13]
    assert ds[-1][0].item() == 13 and ds[-7][0].item() == 0
    with pytest.raises(ValueError, match="absolute value of index should not exceed"):
        ds[-8]
    with pytest.raises(AssertionError, match="empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        ConcatDataset([a, Range(0, 2)])


def test_chain_dataset_and_add():
    ds = Range(0, 3) + Range(7, 9)
    assert isinstance(ds, ChainDataset)
    assert list(ds) == [0, 1, 2, 7, 8] and len(ds) == 5
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        list(ChainDataset([Range(0, 1), Squares(2)]))


def test_subset_and_getitems():
    base = Squares(10)
    sub = Subset(base, [7, 2, 5])
    assert len(sub) == 3
    assert sub[0]["y"] == 7 and sub[2]["y"] == 5
    assert [d["y"] for d in sub.__getitems__([2, 0])] == [5, 7]

    class Batched(Squares):
        def __getitems__(self, indices):
            return [("batched", i) for i in indices]

    assert Subset(Batched(), [4, 1]).__getitems__([1, 0]) == [("batched", 1), ("batched", 4)]
    # The loader fetches whole batches through ``__getitems__`` when the dataset has one.
    loader = DataLoader(Subset(Batched(), [4, 1, 3]), batch_size=3, collate_fn=list)
    assert next(iter(loader)) == [("batched", 4), ("batched", 1), ("batched", 3)]


def test_stack_dataset():
    a, b = Squares(3), TensorDataset(ember.arange(3) * 10)
    tup = StackDataset(a, b)
    assert len(tup) == 3
    assert tup[1][0]["y"] == 1 and tup[1][1][0].item() == 10
    named = StackDataset(sq=a, t=b)
    assert set(named[2]) == {"sq", "t"} and named[2]["t"][0].item() == 20
    assert [s["sq"]["y"] for s in named.__getitems__([2, 0])] == [2, 0]
    assert [s[1][0].item() for s in tup.__getitems__([0, 2])] == [0, 20]
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(a, Squares(4))
    with pytest.raises(ValueError, match="but both types are given"):
        StackDataset(a, x=b)
    with pytest.raises(ValueError, match="At least one dataset should be passed"):
        StackDataset()


def test_random_split_lengths_and_reproducibility():
    ds = Squares(10)
    parts = random_split(ds, [3, 7], generator=_gen(1))
    perm = ember.randperm(10, generator=_gen(1)).tolist()
    assert [p.indices for p in parts] == [perm[:3], perm[3:]]
    again = random_split(ds, [3, 7], generator=_gen(1))
    assert [p.indices for p in again] == [p.indices for p in parts]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(ds, [3, 8])


def test_random_split_fractions():
    parts = random_split(Squares(11), [0.5, 0.5], generator=_gen(0))
    assert [len(p) for p in parts] == [6, 5]  # floor(5.5) each, the remainder to the first
    parts = random_split(Squares(10), [0.34, 0.33, 0.33], generator=_gen(0))
    assert [len(p) for p in parts] == [4, 3, 3]
    assert sorted(i for p in parts for i in p.indices) == list(range(10))
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        parts = random_split(Squares(2), [0.9, 0.1], generator=_gen(0))
    assert [len(p) for p in parts] == [2, 0]
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(Squares(4), [-0.5, 1.5])


def test_base_classes_raise():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(NotImplementedError):
        iter(IterableDataset())
    with pytest.raises(NotImplementedError):
        iter(Sampler())


# ---- samplers -----------------------------------------------------------------------------------

def test_sequential_sampler():
    s = SequentialSampler(range(5))
    assert list(s) == [0, 1, 2, 3, 4] and len(s) == 5


def test_random_sampler_with_generator():
    s = RandomSampler(range(7), generator=_gen(3))
    assert list(s) == ember.randperm(7, generator=_gen(3)).tolist()
    assert len(s) == 7
    # Longer epochs without replacement chain permutations.
    s = RandomSampler(range(4), num_samples=10, generator=_gen(5))
    g = _gen(5)
    expected = ember.randperm(4, generator=g).tolist() + ember.randperm(4, generator=g).tolist()
    expected += ember.randperm(4, generator=g).tolist()[:2]
    assert list(s) == expected and len(s) == 10


def test_random_sampler_replacement():
    s = RandomSampler(range(5), replacement=True, num_samples=70, generator=_gen(0))
    out = list(s)
    assert len(out) == 70 and set(out) <= set(range(5)) and len(set(out)) == 5
    g = _gen(0)
    expected = []
    for size in (32, 32, 6):
        expected += ember.randint(0, 5, (size,), generator=g).tolist()
    assert out == expected


def test_random_sampler_without_generator_uses_global_seed():
    ember.manual_seed(11)
    first = list(RandomSampler(range(20)))
    ember.manual_seed(11)
    assert list(RandomSampler(range(20))) == first
    assert sorted(first) == list(range(20))


def test_random_sampler_errors():
    with pytest.raises(TypeError, match="replacement should be a boolean value, but got "
                                        "replacement=1"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but "
                                         "got num_samples=0"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="num_samples=0"):
        RandomSampler([])


def test_subset_random_sampler():
    idx = [10, 20, 30, 40]
    s = SubsetRandomSampler(idx, generator=_gen(2))
    perm = ember.randperm(4, generator=_gen(2)).tolist()
    assert list(s) == [idx[p] for p in perm] and len(s) == 4


def test_weighted_random_sampler():
    s = WeightedRandomSampler([0.0, 1.0, 3.0, 0.0], 4000, generator=_gen(0))
    out = np.array(list(s))
    assert len(out) == 4000 and len(s) == 4000
    assert set(out.tolist()) == {1, 2}  # zero weights are never drawn
    assert abs((out == 2).mean() - 0.75) < 0.03
    no_repl = list(WeightedRandomSampler([1, 1, 1, 1, 1], 5, replacement=False,
                                         generator=_gen(1)))
    assert sorted(no_repl) == [0, 1, 2, 3, 4]
    assert list(WeightedRandomSampler([1, 2, 3], 6, generator=_gen(9))) == \
        list(WeightedRandomSampler([1, 2, 3], 6, generator=_gen(9)))
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="replacement should be a boolean value"):
        WeightedRandomSampler([1.0], 1, replacement=None)
    with pytest.raises(ValueError, match=r"weights should be a 1d sequence but given weights "
                                         r"have shape \(1, 2\)"):
        WeightedRandomSampler([[1.0, 2.0]], 1)


def test_batch_sampler():
    assert list(BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3
    assert len(BatchSampler(range(7), 3, True)) == 2
    assert list(BatchSampler(SequentialSampler(range(4)), 2, True)) == [[0, 1], [2, 3]]
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but "
                                         "got batch_size=0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="batch_size=True"):
        BatchSampler(range(3), True, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value, but got "
                                         "drop_last=0"):
        BatchSampler(range(3), 2, 0)


def test_distributed_sampler_without_shuffle():
    ds = range(10)
    shards = [list(DistributedSampler(ds, num_replicas=3, rank=r, shuffle=False))
              for r in range(3)]
    # 10 indices padded to 12 by repeating the start, then strided.
    assert shards == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
    assert len(DistributedSampler(ds, num_replicas=3, rank=0)) == 4
    dropped = [list(DistributedSampler(ds, num_replicas=3, rank=r, shuffle=False,
                                       drop_last=True)) for r in range(3)]
    assert dropped == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    # More replicas than samples: the order is repeated as often as needed.
    assert list(DistributedSampler(range(2), num_replicas=5, rank=4, shuffle=False)) == [0]


def test_distributed_sampler_shuffle_and_epochs():
    samplers = [DistributedSampler(range(8), num_replicas=2, rank=r, seed=4) for r in range(2)]
    perm = ember.randperm(8, generator=_gen(4)).tolist()
    assert [list(s) for s in samplers] == [perm[0::2], perm[1::2]]
    for s in samplers:
        s.set_epoch(3)
    perm3 = ember.randperm(8, generator=_gen(7)).tolist()
    assert [list(s) for s in samplers] == [perm3[0::2], perm3[1::2]]
    assert sorted(list(samplers[0]) + list(samplers[1])) == list(range(8))


def test_distributed_sampler_errors():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval "
                                         r"\[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="Invalid rank -1"):
        DistributedSampler(range(4), num_replicas=2, rank=-1)
    # Without an initialised process group, num_replicas and rank must be given.
    with pytest.raises((RuntimeError, ValueError)):
        DistributedSampler(range(4))
    with pytest.raises((RuntimeError, ValueError)):
        DistributedSampler(range(4), num_replicas=2)


def test_distributed_sampler_with_dataloader():
    ds = Squares(6)
    sampler = DistributedSampler(ds, num_replicas=2, rank=1, shuffle=False)
    ys = [b["y"].tolist() for b in DataLoader(ds, batch_size=2, sampler=sampler)]
    assert ys == [[1, 3], [5]]


# ---- collation ----------------------------------------------------------------------------------

Point = collections.namedtuple("Point", ["x", "y"])


def test_default_collate_numbers_follow_pytorch_dtypes():
    out = default_collate([1, 2, 3])
    assert out.dtype == ember.int64 and out.tolist() == [1, 2, 3]
    out = default_collate([0.5, 1.5])
    assert out.dtype == ember.float64 and out.tolist() == [0.5, 1.5]
    out = default_collate([True, False])
    assert out.dtype == ember.bool and out.tolist() == [True, False]
    out = default_collate([np.float32(1.5), np.float32(2.0)])
    assert out.dtype == ember.float32 and out.tolist() == [1.5, 2.0]
    out = default_collate([np.int16(3), np.int16(4)])
    assert out.dtype == ember.int16
    assert default_collate(["a", "b"]) == ["a", "b"]
    assert default_collate([b"a", b"b"]) == [b"a", b"b"]


def test_default_collate_arrays_and_tensors():
    arrays = [np.arange(6, dtype=np.float64).reshape(2, 3) + i for i in range(4)]
    out = default_collate(arrays)
    assert isinstance(out, ember.Tensor) and out.dtype == ember.float64
    np.testing.assert_array_equal(out.numpy(), np.stack(arrays))
    tensors = [ember.tensor([i, -i], dtype=ember.int32) for i in range(3)]
    out = default_collate(tensors)
    assert out.dtype == ember.int32 and out.tolist() == [[0, 0], [1, -1], [2, -2]]
    out = default_collate([np.float64(1.0), np.float64(2.0)])
    assert out.dtype == ember.float64
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy "
                                        "arrays, numbers, dicts or lists; found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_default_collate_containers():
    batch = [{"img": np.full(2, i, np.float32), "label": i, "meta": (f"n{i}", i * 0.5)}
             for i in range(3)]
    out = default_collate(batch)
    assert set(out) == {"img", "label", "meta"}
    np.testing.assert_array_equal(out["img"].numpy(), [[0, 0], [1, 1], [2, 2]])
    assert out["label"].tolist() == [0, 1, 2]
    assert isinstance(out["meta"], list)  # tuples collate into lists, like PyTorch
    assert out["meta"][0] == ["n0", "n1", "n2"]
    assert out["meta"][1].dtype == ember.float64 and out["meta"][1].tolist() == [0, 0.5, 1.0]

    pts = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(pts, Point)
    assert pts.x.tolist() == [1, 3] and pts.y.tolist() == [2.0, 4.0]

    lists = default_collate([[1, 2], [3, 4], [5, 6]])
    assert isinstance(lists, list) and [t.tolist() for t in lists] == [[1, 3, 5], [2, 4, 6]]
    ordered = default_collate([collections.OrderedDict(a=1, b=2)] * 2)
    assert isinstance(ordered, collections.OrderedDict) and list(ordered) == ["a", "b"]


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal "
                                           "size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy "
                                        "arrays, numbers, dicts or lists; found <class "
                                        "'object'>"):
        default_collate([object(), object()])


def test_collate_with_custom_map():
    def as_sum(batch, *, collate_fn_map):
        return sum(batch)

    out = collate([(1, "a"), (2, "b")], collate_fn_map={int: as_sum, str: lambda b, **k: "".join(b)})
    assert out == [3, "ab"]
    assert default_collate_fn_map[float]([1.0], collate_fn_map=None).dtype == ember.float64


def test_default_convert():
    arr = np.arange(3.0)
    out = default_convert(arr)
    assert isinstance(out, ember.Tensor) and out.dtype == ember.float64
    arr[0] = 7.0
    assert out[0].item() == 7.0  # shares memory, like torch.as_tensor
    assert default_convert(5) == 5 and default_convert("s") == "s"
    scalar = default_convert(np.float32(2.5))
    assert isinstance(scalar, ember.Tensor) and scalar.dtype == ember.float32
    conv = default_convert({"a": np.zeros(2), "b": (np.ones(1), 3), "p": Point(np.zeros(1), 1)})
    assert isinstance(conv["a"], ember.Tensor)
    assert isinstance(conv["b"], list) and isinstance(conv["b"][0], ember.Tensor)
    assert isinstance(conv["p"], Point) and isinstance(conv["p"].x, ember.Tensor)
    strings = np.array(["x", "y"])
    assert default_convert(strings) is strings


# ---- DataLoader in the main process -------------------------------------------------------------

def test_dataloader_basic_batches():
    loader = DataLoader(Squares(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    assert [b["y"].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0]["x"].dtype == ember.float32
    np.testing.assert_array_equal(batches[2]["x"].numpy(), [[8, 64], [9, 81]])
    loader = DataLoader(Squares(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [b["y"].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_dataloader_without_batching_converts():
    loader = DataLoader(Squares(3), batch_size=None)
    items = list(loader)
    assert len(loader) == 3 and len(items) == 3
    assert isinstance(items[1]["x"], ember.Tensor) and items[1]["y"] == 1


def test_dataloader_shuffle_reproducible():
    ds = TensorDataset(ember.arange(20))

    def order(seed, **kw):
        return [i for (b,) in DataLoader(ds, batch_size=6, shuffle=True,
                                         generator=_gen(seed), **kw) for i in b.tolist()]

    a, b = order(0), order(0)
    assert a == b and sorted(a) == list(range(20)) and a != list(range(20))
    assert order(1) != a
    g = _gen(0)  # the loader draws its base seed first, then the permutation
    ember.randint(0, 2 ** 63 - 1, (1,), generator=g)
    assert a == ember.randperm(20, generator=g).tolist()
    # Two epochs of one loader: two different orders, both reproducible.
    loader = DataLoader(ds, batch_size=20, shuffle=True, generator=_gen(5))
    e1, e2 = (next(iter(loader))[0].tolist() for _ in range(2))
    assert e1 != e2


def test_dataloader_sampler_and_batch_sampler():
    ds = Squares(6)
    loader = DataLoader(ds, batch_size=2, sampler=[5, 0, 3, 1])
    assert [b["y"].tolist() for b in loader] == [[5, 0], [3, 1]]
    loader = DataLoader(ds, batch_sampler=[[1, 2, 3], [0]])
    assert [b["y"].tolist() for b in loader] == [[1, 2, 3], [0]]
    assert loader.batch_size is None and len(loader) == 2
    loader = DataLoader(ds, batch_size=3, collate_fn=lambda b: [s["y"] for s in b])
    assert list(loader) == [[0, 1, 2], [3, 4, 5]]


def test_dataloader_argument_errors():
    ds = Squares(4)
    cases = [
        (dict(num_workers=-1), "num_workers option should be non-negative"),
        (dict(timeout=-1), "timeout option should be non-negative"),
        (dict(prefetch_factor=2), "prefetch_factor option could only be specified in "
                                  "multiprocessing"),
        (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
        (dict(shuffle=True, sampler=[0]), "sampler option is mutually exclusive with shuffle"),
        (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
        (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler option is mutually exclusive"),
        (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
        (dict(multiprocessing_context="spawn"), "multiprocessing_context can only be used with "
                                                "multi-process loading"),
        (dict(num_workers=1, multiprocessing_context="nope"), "should specify a valid start "
                                                              "method"),
    ]
    for kwargs, msg in cases:
        with pytest.raises(ValueError, match=msg):
            DataLoader(ds, **kwargs)
    with pytest.raises(TypeError, match="valid context object"):
        DataLoader(ds, num_workers=1, multiprocessing_context=3)
    for kwargs, msg in [(dict(shuffle=True), "expected unspecified shuffle option, but got "
                                             "shuffle=True"),
                        (dict(sampler=[0]), "expected unspecified sampler option"),
                        (dict(batch_sampler=[[0]]), "expected unspecified batch_sampler")]:
        with pytest.raises(ValueError, match=msg):
            DataLoader(Range(0, 3), **kwargs)
    loader = DataLoader(ds)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after "
                                         "DataLoader is initialized"):
        loader.batch_size = 3
    loader.num_workers = 0  # other attributes stay settable
    assert loader.pin_memory is False
    assert DataLoader(ds, pin_memory=True).pin_memory is True  # accepted; nothing to pin


def test_dataloader_iterable_single_process():
    loader = DataLoader(Range(0, 7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(loader) == 3
    loader = DataLoader(Range(0, 7), batch_size=3, drop_last=True)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5]] and len(loader) == 2
    items = list(DataLoader(Range(0, 3), batch_size=None))
    assert items == [0, 1, 2]


def test_dataloader_iterable_length_warning():
    class Liar(Range):
        def __len__(self):
            return 2

    loader = DataLoader(Liar(0, 4), batch_size=None)
    assert len(loader) == 2
    with pytest.warns(UserWarning, match="was reported to be 2"):
        list(loader)


def test_get_worker_info_is_none_in_main():
    assert get_worker_info() is None
    assert [b["worker"].tolist() for b in DataLoader(WorkerReport(2), batch_size=2)] == [[-1, -1]]


# ---- DataLoader with worker processes -----------------------------------------------------------

def test_workers_preserve_order():
    # Worker 0's batches are slow, so worker 1's arrive first and must be held back.
    ds = Squares(12, slow={0, 1, 4, 5, 8, 9})
    loader = DataLoader(ds, batch_size=2, num_workers=2)
    ys = [b["y"].tolist() for b in loader]
    assert ys == [[i, i + 1] for i in range(0, 12, 2)]
    expected = list(DataLoader(Squares(12), batch_size=2))
    for got, want in zip(DataLoader(Squares(12), batch_size=2, num_workers=2), expected):
        np.testing.assert_array_equal(got["x"].numpy(), want["x"].numpy())
        assert got["x"].dtype == want["x"].dtype == ember.float32
        assert got["y"].dtype == ember.int64


def test_workers_shuffle_matches_single_process():
    ds = TensorDataset(ember.arange(30), ember.arange(30) * 2.0)
    kw = dict(batch_size=4, shuffle=True, drop_last=True)
    single = [b[0].tolist() for b in DataLoader(ds, generator=_gen(7), **kw)]
    multi = [b[0].tolist() for b in DataLoader(ds, generator=_gen(7), num_workers=2, **kw)]
    assert single == multi and len(multi) == 7
    assert sorted(i for b in multi for i in b) != list(range(30))  # drop_last dropped two


def test_worker_batches_are_shared_memory_views():
    before = _shm_entries()
    loader = DataLoader(TensorDataset(ember.arange(40.0).reshape(10, 4)), batch_size=5,
                        num_workers=2)
    batches = [b for (b,) in loader]
    for b in batches:
        base = b.numpy()
        while isinstance(base, np.ndarray) and base.base is not None:
            base = base.base
        assert isinstance(base, mmap.mmap)  # zero-copy: the tensor views the mapped block
        b.add_(1.0)  # and it is writable
    np.testing.assert_array_equal(batches[1].numpy(), np.arange(20.0, 40.0).reshape(5, 4) + 1)
    assert _shm_entries() <= before  # names are unlinked as soon as a batch arrives


def _mixed_collate(batch):
    t = ember.tensor([float(b) for b in batch], requires_grad=True)
    return {"t": t, "same": (t, t), "np": np.array(batch, dtype=np.int16),
            "obj": np.array([None, "x"], dtype=object), "empty": ember.zeros(0, 3),
            "name": "batch", "bf16": ember.ones(2, dtype=ember.bfloat16),
            "strided": ember.arange(6.0).reshape(2, 3).t()}


def test_worker_non_array_leaves_and_requires_grad():
    out = list(DataLoader(list(range(4)), batch_size=2, num_workers=1,
                          collate_fn=_mixed_collate))
    first = out[0]
    assert first["t"].requires_grad and first["t"].tolist() == [0.0, 1.0]
    assert first["same"][0] is first["same"][1]  # one object stays one object
    assert isinstance(first["np"], np.ndarray) and first["np"].dtype == np.int16
    assert first["obj"].tolist() == [None, "x"] and first["name"] == "batch"
    assert first["empty"].shape == (0, 3) and first["bf16"].dtype == ember.bfloat16
    assert out[1]["np"].tolist() == [2, 3]
    assert first["strided"].tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]


def test_worker_seeds_and_worker_info():
    def run(seed):
        loader = DataLoader(WorkerReport(4), batch_size=1, num_workers=2,
                            generator=_gen(seed))
        return list(loader)

    first, again, other = run(3), run(3), run(4)
    g = _gen(3)
    base_seed = ember.randint(0, 2 ** 63 - 1, (1,), generator=g).item()
    assert [b["worker"].item() for b in first] == [0, 1, 0, 1]
    assert [b["seed"].item() for b in first] == [base_seed, base_seed + 1] * 2
    for key in ("np", "py", "ember"):
        values = [b[key].item() for b in first]
        assert values == [b[key].item() for b in again]  # reproducible from the generator
        assert values != [b[key].item() for b in other]
        assert values[0] != values[1]  # workers draw different numbers
    assert len({b["pid"].item() for b in first} | {os.getpid()}) == 3  # real processes


def test_worker_init_fn_runs_in_each_worker():
    loader = DataLoader(WorkerReport(4), batch_size=2, num_workers=2, worker_init_fn=_offset_init)
    assert [b["i"].tolist() for b in loader] == [[100, 101], [202, 203]]


def test_iterable_dataset_sharded_across_workers():
    loader = DataLoader(Range(0, 10), batch_size=2, num_workers=2)
    # Worker 0 holds 0..4, worker 1 holds 5..9; batches alternate between them.
    assert [b.tolist() for b in loader] == [[0, 1], [5, 6], [2, 3], [7, 8], [4], [9]]
    loader = DataLoader(Range(0, 10), batch_size=2, num_workers=2, drop_last=True)
    assert [b.tolist() for b in loader] == [[0, 1], [5, 6], [2, 3], [7, 8]]
    items = list(DataLoader(Range(0, 4), batch_size=None, num_workers=2))
    assert items == [0, 2, 1, 3]


def test_persistent_workers_across_epochs():
    loader = DataLoader(WorkerReport(6), batch_size=2, num_workers=2, persistent_workers=True)
    it1 = iter(loader)
    epoch1 = list(it1)
    pids = {p for b in epoch1 for p in b["pid"].tolist()}
    it2 = iter(loader)
    assert it2 is it1  # the same iterator and workers, reset for the new epoch
    epoch2 = list(it2)
    assert {p for b in epoch2 for p in b["pid"].tolist()} == pids
    assert [b["i"].tolist() for b in epoch2] == [[0, 1], [2, 3], [4, 5]]
    # An epoch abandoned half-way leaves nothing behind for the next one.
    next(iter(loader))
    assert [b["i"].tolist() for b in loader] == [[0, 1], [2, 3], [4, 5]]
    workers = it1._workers
    del it1, it2, loader
    gc.collect()
    assert not any(w.is_alive() for w in workers)


def test_persistent_workers_iterable_dataset():
    loader = DataLoader(Range(0, 6), batch_size=2, num_workers=2, persistent_workers=True)
    for _ in range(2):
        assert [b.tolist() for b in loader] == [[0, 1], [3, 4], [2], [5]]


def test_dataset_error_reaches_main_process():
    loader = DataLoader(Raising(), batch_size=2, num_workers=2)
    start = time.monotonic()
    with pytest.raises(ValueError) as info:
        list(loader)
    assert time.monotonic() - start < 5
    msg = str(info.value)
    assert msg.startswith("Caught ValueError in DataLoader worker process 0.")
    assert "Original Traceback (most recent call last)" in msg
    assert "bad sample 5" in msg and "__getitem__" in msg


def test_key_error_message_is_readable():
    with pytest.raises(KeyError) as info:
        next(iter(DataLoader(MissingKey(), num_workers=1)))
    assert "Caught KeyError in DataLoader worker process 0" in str(info.value)
    assert "\\n" not in str(info.value)


def test_worker_init_fn_error_reaches_main_process():
    with pytest.raises(ZeroDivisionError, match="init failed in worker"):
        list(DataLoader(Squares(4), num_workers=2, worker_init_fn=_failing_init))


@pytest.mark.parametrize("dataset, reason", [(Exiting(), "exited with code 1"),
                                             (Killed(), "killed by signal SIGKILL")])
def test_dead_worker_raises_promptly(dataset, reason):
    if reason.startswith("killed") and not hasattr(signal, "SIGKILL"):
        pytest.skip("no SIGKILL on this platform")
    before = _shm_entries()
    loader = DataLoader(dataset, batch_size=1, num_workers=2)
    it = iter(loader)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited "
                                           r"unexpectedly") as info:
        for _ in it:
            pass
    assert time.monotonic() - start < 5
    assert reason in str(info.value)
    assert not any(w.is_alive() for w in it._workers)  # everything was shut down
    assert _shm_entries() <= before


def test_timeout_raises():
    it = iter(DataLoader(Sleepy(), num_workers=1, timeout=0.2))
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0\.2 seconds"):
        next(it)
    assert time.monotonic() - start < 0.9
    del it


def test_spawn_start_method():
    ds = TensorDataset(ember.arange(12.0).reshape(6, 2), ember.arange(6))
    loader = DataLoader(ds, batch_size=4, num_workers=2, multiprocessing_context="spawn")
    batches = list(loader)
    np.testing.assert_array_equal(batches[0][0].numpy(), np.arange(8.0).reshape(4, 2))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5]]


def test_abandoned_iterator_cleans_up():
    before = _shm_entries()
    loader = DataLoader(Squares(40), batch_size=2, num_workers=2, prefetch_factor=4)
    it = iter(loader)
    next(it)
    time.sleep(0.2)  # let the workers fill the queue with batches in shared memory
    workers = it._workers
    del it
    gc.collect()
    assert not any(w.is_alive() for w in workers)
    assert _shm_entries() <= before
    # Also when the iterator dies in a reference cycle (its queues are finalized first).
    it = iter(loader)
    next(it)
    it.cycle = it
    workers = it._workers
    del it
    start = time.monotonic()
    gc.collect()
    assert time.monotonic() - start < 2
    assert not any(w.is_alive() for w in workers)
    assert _shm_entries() <= before


def test_dataloader_len_and_many_epochs_do_not_leak():
    before = _shm_entries()
    loader = DataLoader(Squares(9), batch_size=4, num_workers=2)
    assert len(loader) == 3
    for _ in range(3):
        assert [b["y"].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8]]
    no_read_ahead = DataLoader(Squares(5), batch_size=2, num_workers=2, prefetch_factor=0)
    assert [b["y"].tolist() for b in no_read_ahead] == [[0, 1], [2, 3], [4]]
    assert _shm_entries() <= before


def test_interpreter_exit_with_live_workers():
    # A script that leaves a half-consumed loader behind must exit promptly and cleanly.
    import subprocess

    script = (
        "import ember\n"
        "from ember.utils.data import DataLoader, TensorDataset\n"
        "ds = TensorDataset(ember.arange(100.0))\n"
        "it = iter(DataLoader(ds, batch_size=2, num_workers=2, persistent_workers=True))\n"
        "print(next(it)[0].tolist())\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[0.0, 1.0]"
    assert "leaked" not in proc.stderr and "Error" not in proc.stderr


def test_ember_utils_is_lazy():
    import subprocess

    code = ("import sys, ember; assert 'ember.utils' not in sys.modules; "
            "d = ember.utils.data; assert d.DataLoader is not None")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


@pytest.mark.skipif(sys.platform != "linux", reason="local classes reach workers only by fork")
def test_unpicklable_errors_and_batches_still_reported():
    class LocalError(Exception):
        pass

    class Local(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            if i == 1:
                raise LocalError("local failure")
            return i

    it = iter(DataLoader(Local(), num_workers=1, multiprocessing_context="fork"))
    assert next(it).tolist() == [0]
    with pytest.raises(RuntimeError, match="Caught RuntimeError in DataLoader worker process "
                                           "0") as info:
        next(it)
    assert "LocalError: local failure" in str(info.value)
    # A batch that can't be pickled (a lambda) is reported as the pickling error.
    loader = DataLoader([0, 1], batch_size=2, num_workers=1, multiprocessing_context="fork",
                        collate_fn=lambda b: {"f": lambda: b})
    with pytest.raises(Exception, match="Caught .* in DataLoader worker process 0"):
        next(iter(loader))
