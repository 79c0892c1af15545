"""Random numbers: ``Generator``, ``manual_seed`` and the sampling functions.

Samples are drawn on the host by NumPy's Philox generator (in float64, then cast) and copied to
the tensor's device, so the same seed gives the same numbers on every backend and in every
dtype. (Dropout masks draw float32 directly: only their comparison with ``p`` matters.)
"""

from __future__ import annotations

import numpy as np

from . import _dtype
from ._tensor import Tensor
from .ops.creation import _finish, _into, _np_dtype, _resolve_device, _shape_arg
from .ops.creation import tensor as _tensor


class Generator:
    """A seeded stream of random numbers, like ``torch.Generator``."""

    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(67280421310721)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed) & 0xFFFF_FFFF_FFFF_FFFF
        self._np = np.random.Generator(np.random.Philox(self._seed))
        return self

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        """The generator's state as a uint8 tensor (restorable with ``set_state``)."""
        import json

        raw = json.dumps({"seed": self._seed, "state": _jsonable(self._np.bit_generator.state)})
        return _tensor(np.frombuffer(raw.encode(), dtype=np.uint8).copy())

    def set_state(self, state: Tensor) -> Generator:
        import json

        info = json.loads(bytes(state.numpy().tobytes()).decode())
        self._seed = info["seed"]
        bitgen = np.random.Philox()
        bitgen.state = _from_jsonable(info["state"])
        self._np = np.random.Generator(bitgen)
        return self


def _jsonable(state):
    if isinstance(state, dict):
        return {k: _jsonable(v) for k, v in state.items()}
    if isinstance(state, np.ndarray):
        return {"__array__": state.tolist(), "dtype": str(state.dtype)}
    return int(state) if isinstance(state, np.integer) else state


def _from_jsonable(state):
    if isinstance(state, dict):
        if "__array__" in state:
            return np.array(state["__array__"], dtype=state["dtype"])
        return {k: _from_jsonable(v) for k, v in state.items()}
    return state


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (and every registered backend's own generators)."""
    from .backends import registry

    default_generator.manual_seed(seed)
    for backend in registry._backends.values():
        backend.manual_seed(int(seed))
    return default_generator


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(state: Tensor) -> None:
    default_generator.set_state(state)


def _gen(generator) -> np.random.Generator:
    return (generator or default_generator)._np


def _place(host: np.ndarray, dtype, device, requires_grad) -> Tensor:
    dev, backend = _resolve_device(device)
    npd = _np_dtype(dtype) if dtype is not None else None
    if npd is not None and host.dtype != npd:
        host = host.astype(npd)
    from ._tensor import wrap_on

    return _finish(wrap_on(backend.from_numpy(np.asarray(host, order="C"), dev.index), dev,
                           backend), requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Uniform samples from [0, 1)."""
    dt = dtype or _dtype.get_default_dtype()
    host = _gen(generator).random(_shape_arg(size))
    return _into(out, _place(host, dt, device, requires_grad))


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Standard normal samples."""
    dt = dtype or _dtype.get_default_dtype()
    host = _gen(generator).standard_normal(_shape_arg(size))
    return _into(out, _place(host, dt, device, requires_grad))


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):
    """Integers uniform in [low, high); ``randint(high, size)`` like PyTorch."""
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        raise TypeError("randint() missing required argument 'high'")
    host = _gen(generator).integers(low, high, size=tuple(size))
    return _place(host, dtype or _dtype.int64, device, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    return _place(_gen(generator).permutation(int(n)), dtype or _dtype.int64, device,
                  requires_grad)


def _like(maker):
    def make(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
        return maker(*input.shape, dtype=dtype or input.dtype, device=device or input.device,
                     requires_grad=requires_grad)

    return make


rand_like = _like(rand)
randn_like = _like(randn)


def randint_like(input, low=0, high=None, *, dtype=None, device=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype,
                   device=device or input.device)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False):
    """Normal samples: tensor ``mean``/``std`` broadcast, or floats with ``size``."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        like = mean if isinstance(mean, Tensor) else std
        from .ops.shape import broadcast_shapes

        shape = broadcast_shapes(getattr(mean, "shape", ()), getattr(std, "shape", ()))
        z = randn(*shape, generator=generator, dtype=like.dtype, device=like.device)
        return z * std + mean
    z = randn(*_shape_arg((size,) if not isinstance(size, (tuple, list)) else (size,)),
              generator=generator, dtype=dtype, device=device)
    return _finish(z * std + mean, requires_grad)


def bernoulli(input, p=None, *, generator=None):
    """1 with probability ``input`` (or ``p``) per element, else 0; same dtype as ``input``."""
    prob = input if p is None else p
    u = rand(*input.shape, generator=generator, dtype=input.dtype, device=input.device)
    return (u < prob).to(input.dtype)


def poisson(input, generator=None):
    host = _gen(generator).poisson(input.detach().cpu().numpy())
    return _place(host, input.dtype, input.device, False)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Indices sampled from the rows of ``input`` (non-negative weights)."""
    probs = np.asarray(input.detach().cpu().numpy(), np.float64)
    rows = probs.reshape(-1, probs.shape[-1])
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rng = _gen(generator)
    out = []
    for row in rows:
        total = row.sum()
        if total <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not replacement and num_samples > np.count_nonzero(row):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                               "replacement")
        out.append(rng.choice(row.size, size=num_samples, replace=replacement, p=row / total))
    host = np.array(out, dtype=np.int64).reshape(probs.shape[:-1] + (num_samples,))
    return _place(host, _dtype.int64, input.device, False)


def _sampler(name):
    """In-place samplers: ``t.uniform_(a, b)``, ``t.normal_(mean, std)``…"""

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        host = _gen(generator).uniform(a, b, tuple(self.shape))
        return self.copy_(_place(host, self.dtype, self.device, False))

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        host = _gen(generator).normal(mean, std, tuple(self.shape))
        return self.copy_(_place(host, self.dtype, self.device, False))

    def bernoulli_(self, p=0.5, *, generator=None):
        host = _gen(generator).random(tuple(self.shape)) < (
            p.detach().cpu().numpy() if isinstance(p, Tensor) else p)
        return self.copy_(_place(host, self.dtype, self.device, False))

    def random_(self, low=0, high=None, *, generator=None):
        if high is None:
            low, high = 0, low if low else 2 ** 24
        host = _gen(generator).integers(low, high, tuple(self.shape))
        return self.copy_(_place(host, self.dtype, self.device, False))

    def exponential_(self, lambd=1.0, *, generator=None):
        host = _gen(generator).exponential(1.0 / lambd, tuple(self.shape))
        return self.copy_(_place(host, self.dtype, self.device, False))

    return locals()[name]


for _name in ("uniform_", "normal_", "bernoulli_", "random_", "exponential_"):
    setattr(Tensor, _name, _sampler(_name))
Tensor.bernoulli = lambda self, p=None, *, generator=None: bernoulli(self, p, generator=generator)
Tensor.multinomial = lambda self, n, replacement=False, *, generator=None: multinomial(
    self, n, replacement, generator=generator)
