"""Tensor basics: creation, conversion, devices, repr, random numbers, errors."""

import pickle

import numpy as np
import pytest

import ember


def test_tensor_infers_dtypes_like_pytorch():
    assert ember.tensor([1, 2]).dtype is ember.int64
    assert ember.tensor([1.0, 2]).dtype is ember.float32
    assert ember.tensor([True]).dtype is ember.bool
    assert ember.tensor(np.array([1.0])).dtype is ember.float64  # NumPy arrays keep their dtype
    assert ember.tensor([[1, 2], [3, 4]]).shape == (2, 2)
    assert ember.tensor(3.5).ndim == 0


def test_tensor_copies_but_from_numpy_shares_memory():
    a = np.arange(4.0)
    t, s = ember.tensor(a), ember.from_numpy(a)
    a[0] = 100
    assert float(t[0]) == 0.0 and float(s[0]) == 100.0
    s[1] = -1
    assert a[1] == -1
    assert s.numpy() is a or np.shares_memory(s.numpy(), a)


def test_as_tensor_shares_when_it_can():
    a = np.ones(3, dtype=np.float32)
    assert np.shares_memory(ember.as_tensor(a).numpy(), a)
    assert not np.shares_memory(ember.as_tensor(a, dtype=ember.float64).numpy(), a)


def test_filled_creation_functions():
    np.testing.assert_array_equal(ember.zeros(2, 3).numpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(ember.ones((2,)).numpy(), [1, 1])
    assert ember.full((2,), 7).dtype is ember.int64
    assert ember.full((2,), 7.0).dtype is ember.float32
    np.testing.assert_array_equal(ember.eye(3, 2).numpy(), np.eye(3, 2))
    x = ember.ones(2, dtype=ember.float64)
    assert ember.zeros_like(x).dtype is ember.float64
    assert ember.full_like(x, 3).tolist() == [3.0, 3.0]
    assert x.new_zeros(4).dtype is ember.float64
    with pytest.raises(RuntimeError, match="negative dimension"):
        ember.zeros(-1)


def test_ranges():
    assert ember.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert ember.arange(5).dtype is ember.int64
    assert ember.arange(0, 1, 0.25).dtype is ember.float32
    np.testing.assert_allclose(ember.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5))
    np.testing.assert_allclose(ember.logspace(0, 2, 3).numpy(), [1, 10, 100], rtol=1e-6)
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        ember.arange(0, 1, 0)


def test_scalar_conversions_and_errors():
    x = ember.tensor([2.5])
    assert float(x) == 2.5 and int(x) == 2 and x.item() == 2.5
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        ember.ones(2).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ember.ones(2))
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(ember.tensor(1.0))


def test_numpy_refuses_tensors_that_require_grad():
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 1.0]


def test_repr_matches_pytorch_style():
    assert repr(ember.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(ember.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(ember.tensor([1.0], dtype=ember.float64)) == "tensor([1.], dtype=ember.float64)"
    assert repr(ember.ones(1, requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert "grad_fn=<MulBackward0>" in repr(ember.ones(1, requires_grad=True) * 2)


def test_pickle_round_trip():
    x = ember.arange(6).reshape(2, 3)
    y = pickle.loads(pickle.dumps(x))
    assert y.tolist() == x.tolist() and y.dtype is ember.int64


def test_device_objects():
    d = ember.device("cpu")
    assert d.type == "cpu" and d.index is None and str(d) == "cpu"
    c = ember.device("cuda:1")
    assert c.type == "cuda" and c.index == 1 and repr(c) == "device(type='cuda', index=1)"
    assert ember.device("opencl", 0) == "opencl:0"
    assert ember.ones(1).device == "cpu"
    with pytest.raises(RuntimeError, match="Invalid device string"):
        ember.device("cuda:x")


def test_default_device_and_to_cpu():
    assert ember.get_default_device() == ember.device("cpu")
    x = ember.ones(2)
    assert x.to("cpu") is x and x.cpu() is x
    assert x.to("cpu", copy=True) is not x


def test_random_is_reproducible_and_seeded():
    ember.manual_seed(0)
    a = ember.rand(3)
    ember.manual_seed(0)
    b = ember.rand(3)
    assert a.tolist() == b.tolist()
    g = ember.Generator().manual_seed(1)
    c = ember.randn(1000, generator=g)
    assert abs(float(c.mean())) < 0.1 and abs(float(c.std()) - 1) < 0.1
    state = ember.get_rng_state()
    d = ember.rand(2)
    ember.set_rng_state(state)
    assert ember.rand(2).tolist() == d.tolist()


def test_random_distributions():
    ember.manual_seed(3)
    r = ember.randint(2, 5, (1000,))
    assert r.dtype is ember.int64 and int(r.min()) == 2 and int(r.max()) == 4
    p = ember.randperm(10)
    assert sorted(p.tolist()) == list(range(10))
    b = ember.bernoulli(ember.full((2000,), 0.25))
    assert 0.2 < float(b.mean()) < 0.3
    m = ember.multinomial(ember.tensor([0.0, 1.0, 3.0]), 1000, replacement=True)
    counts = np.bincount(m.numpy(), minlength=3)
    assert counts[0] == 0 and 0.7 < counts[2] / 1000 < 0.8
    n = ember.normal(ember.zeros(2000) + 5, 2.0)
    assert abs(float(n.mean()) - 5) < 0.2
    u = ember.empty(1000).uniform_(-1, 1)
    assert float(u.min()) >= -1 and float(u.max()) < 1


def test_mixing_devices_is_an_error():
    class FakeDeviceTensor:
        pass

    x = ember.ones(2)
    with pytest.raises(TypeError):
        x + FakeDeviceTensor()


def test_out_arguments_write_into_the_given_tensor():
    out = ember.zeros(3, dtype=ember.float64)
    res = ember.add(ember.ones(3, dtype=ember.float64), 2, out=out)
    assert res is out and out.tolist() == [3.0, 3.0, 3.0]
    empty = ember.empty(0)
    ember.arange(4, out=empty)  # an empty out is resized, like PyTorch
    assert empty.shape == (4,) and empty.tolist() == [0.0, 1.0, 2.0, 3.0]
    m = ember.zeros(2, 2)
    ember.matmul(ember.eye(2), ember.ones(2, 2), out=m)
    assert m.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        ember.mul(ember.ones(3), 2, out=ember.zeros(2))
    with pytest.raises(RuntimeError, match="can't be cast"):
        ember.add(ember.ones(2), 0.5, out=ember.zeros(2, dtype=ember.int64))


def test_empty_tensors_report_contiguous_strides_like_pytorch():
    assert ember.zeros(0, 3).stride() == (3, 1)
    assert ember.zeros(2, 0, 3).stride() == (3, 3, 1)
    assert ember.zeros(0, 3).is_contiguous()
