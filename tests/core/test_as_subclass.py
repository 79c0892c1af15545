"""Tensor.as_subclass: a subclass view of the same data, attached to the autograd graph (as in
PyTorch), used e.g. by ember_vision.tv_tensors."""

import numpy as np
import pytest

import ember


class Tagged(ember.Tensor):
    pass


def test_as_subclass_shares_data_and_version():
    x = ember.arange(6.0).reshape(2, 3)
    y = x.as_subclass(Tagged)
    assert type(y) is Tagged and isinstance(y, ember.Tensor)
    assert y.shape == (2, 3) and y.dtype == ember.float32
    y.add_(1.0)
    np.testing.assert_array_equal(x.numpy(), np.arange(1.0, 7.0).reshape(2, 3))
    assert x._version == y._version == 1
    assert type(y + 1) is ember.Tensor  # ops on the subclass return plain tensors


def test_as_subclass_keeps_gradient_flow():
    w = ember.ones(3, requires_grad=True)
    (w * 2).as_subclass(Tagged).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0, 2.0])
    leaf = ember.ones(2, requires_grad=True)
    t = leaf.as_subclass(Tagged)
    assert t.requires_grad
    (t * 3).sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), [3.0, 3.0])


def test_as_subclass_rejects_non_tensor_types():
    with pytest.raises(TypeError, match="subclass of Tensor"):
        ember.zeros(1).as_subclass(int)
