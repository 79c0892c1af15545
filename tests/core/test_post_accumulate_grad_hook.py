"""``Tensor.register_post_accumulate_grad_hook`` (used by DistributedDataParallel)."""

import numpy as np
import pytest

import ember


def test_hook_sees_accumulated_grad_once_per_backward():
    w = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.clone()))
    # w is used twice: the engine sums both contributions before the one accumulation
    (w * w).sum().add((2 * w).sum()).backward()
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0].numpy(), 2 * np.array([1.0, 2.0, 3.0]) + 2)
    (3 * w).sum().backward()  # a second backward: the hook sees the sum of both
    np.testing.assert_allclose(seen[1].numpy(), 2 * np.array([1.0, 2.0, 3.0]) + 5)
    handle.remove()
    w.sum().backward()
    assert len(seen) == 2


def test_hook_runs_after_tensor_hooks_and_not_for_autograd_grad():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    order = []
    w.register_hook(lambda g: order.append("pre") or g * 10)
    w.register_post_accumulate_grad_hook(lambda t: order.append(("post", t.grad.tolist())))
    (w * 2).sum().backward()
    assert order == ["pre", ("post", [20.0, 20.0])]
    ember.autograd.grad((w * 2).sum(), w)  # nothing is accumulated, so no post hook
    assert order[-1] == "pre"


def test_non_leaf_and_no_grad_rejected():
    w = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ember.tensor([1.0]).register_post_accumulate_grad_hook(lambda t: None)
