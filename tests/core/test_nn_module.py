"""``nn.Module`` and the containers: registries, names, state_dict and its load report, modes,
conversion, hooks and reprs — PyTorch's behaviour."""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2)
        self.scale = nn.Parameter(ember.ones(1))
        self.register_buffer("steps", ember.zeros(1, dtype=ember.int64))
        self.register_buffer("cache", ember.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


# ---- registration and naming ----------------------------------------------------------------------

def test_registries_and_names():
    m = Net()
    assert [n for n, _ in m.named_parameters()] == ["scale", "fc1.weight", "fc1.bias",
                                                    "fc2.weight", "fc2.bias"]
    assert [n for n, _ in m.named_buffers()] == ["steps", "cache"]
    assert [n for n, _ in m.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in m.named_modules()] == ["", "fc1", "act", "fc2"]
    assert list(m.state_dict()) == ["scale", "steps", "fc1.weight", "fc1.bias", "fc2.weight",
                                    "fc2.bias"]  # the non-persistent buffer is left out
    assert len(list(m.parameters(recurse=False))) == 1
    assert m.get_submodule("fc1") is m.fc1 and m.get_parameter("fc2.bias") is m.fc2.bias
    assert m.get_buffer("steps") is m.steps
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        m.get_submodule("nope")
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'missing'"):
        _ = m.missing
    assert "fc1" in dir(m) and "steps" in dir(m)


def test_assignment_rules():
    m = nn.Module()
    m.w = nn.Parameter(ember.ones(2))
    with pytest.raises(TypeError, match="cannot assign 'ember.Tensor' as parameter 'w'|cannot "
                                        "assign 'Tensor' as parameter 'w'"):
        m.w = ember.ones(2)
    m.w = None  # a declared-but-absent parameter
    assert "w" in m._parameters and m.w is None and list(m.parameters()) == []
    m.register_buffer("b", ember.ones(1))
    m.b = ember.zeros(1)  # a tensor assigned to a buffer name stays a buffer
    assert m._buffers["b"].item() == 0
    m.b2 = nn.Buffer(ember.ones(3), persistent=False)
    assert "b2" in m._buffers and "b2" not in m.state_dict()
    with pytest.raises(KeyError, match="buffer name can"):
        m.register_buffer("a.b", ember.ones(1))
    with pytest.raises(KeyError, match="attribute 'training' already exists"):
        m.register_parameter("training", None)
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("x", 3)
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor"):
        m.register_parameter("p", _non_leaf_parameter())
    del m.w
    assert "w" not in m._parameters
    m.sub = nn.Linear(1, 1)
    m.sub = None
    assert m.sub is None and list(m.children()) == []


def _non_leaf_parameter():
    p = nn.Parameter(ember.ones(2))
    q = p * 2
    q.__class__ = nn.Parameter  # a non-leaf that claims to be a Parameter
    return q


def test_parameter_basics():
    p = nn.Parameter(ember.randn(2, 3))
    assert p.requires_grad and p.is_leaf and isinstance(p, ember.Tensor)
    assert repr(p).startswith("Parameter containing:\ntensor(")
    frozen = nn.Parameter(ember.ones(2), requires_grad=False)
    assert not frozen.requires_grad
    c = copy.deepcopy(p)
    assert isinstance(c, nn.Parameter) and c is not p and (c == p).all()
    q = pickle.loads(pickle.dumps(p))
    assert isinstance(q, nn.Parameter) and q.requires_grad and (q == p).all()


def test_shared_modules_and_parameters_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1"]
    assert len(list(seq.named_modules(remove_duplicate=False))) == 4
    assert len(list(seq.parameters())) == 2
    assert [n for n, _ in seq.named_parameters(remove_duplicate=False)] == \
        ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


# ---- state_dict ---------------------------------------------------------------------------------

def test_state_dict_roundtrip_and_detached():
    a, b = Net(), Net()
    sd = a.state_dict()
    assert all(not v.requires_grad for v in sd.values())
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for k in sd:
        assert (b.state_dict()[k] == sd[k]).all()
    assert b.fc1.weight is not a.fc1.weight  # copied, not shared
    kv = a.state_dict(keep_vars=True)
    assert kv["fc1.weight"] is a.fc1.weight
    prefixed = a.state_dict(prefix="model.")
    assert list(prefixed)[0] == "model.scale"


def test_load_state_dict_strict_report():
    m = Net()
    sd = m.state_dict()
    del sd["fc1.bias"]
    sd["extra.weight"] = ember.ones(1)
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(sd)
    msg = str(info.value)
    assert msg.startswith("Error(s) in loading state_dict for Net:")
    assert 'Missing key(s) in state_dict: "fc1.bias".' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight".' in msg
    result = m.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc1.bias"] and result.unexpected_keys == ["extra.weight"]
    assert isinstance(result, tuple) and result._fields == ("missing_keys", "unexpected_keys")
    bad = m.state_dict()
    bad["fc2.weight"] = ember.ones(5, 5)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc2.weight: copying a param with "
                                           r"shape ember.Size\(\[5, 5\]\) from checkpoint, the "
                                           r"shape in current model is ember.Size\(\[2, 4\]\)"):
        m.load_state_dict(bad)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        m.load_state_dict([1, 2])


def test_load_state_dict_keeps_parameter_identity_and_assign():
    m = nn.Linear(2, 2)
    w = m.weight
    m.load_state_dict({"weight": ember.zeros(2, 2), "bias": ember.ones(2)})
    assert m.weight is w and (w == 0).all() and w.requires_grad
    new = ember.full((2, 2), 3.0)
    m.load_state_dict({"weight": new, "bias": ember.ones(2)}, assign=True)
    assert isinstance(m.weight, nn.Parameter) and m.weight is not w and m.weight.requires_grad
    assert (m.weight == 3).all()


def test_state_dict_hooks():
    m = nn.Linear(2, 1)
    calls = []

    def post(module, sd, prefix, local_metadata):
        calls.append(prefix)
        sd[prefix + "note"] = ember.zeros(1)

    handle = m.register_state_dict_post_hook(post)
    assert "note" in m.state_dict() and calls == [""]
    handle.remove()
    assert "note" not in m.state_dict()
    seen = []
    m.register_load_state_dict_pre_hook(lambda mod, sd, prefix, *rest: seen.append(mod))
    m.load_state_dict(m.state_dict())
    assert seen == [m]


# ---- modes and conversion -----------------------------------------------------------------------

def test_train_eval_propagate():
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(), nn.ReLU()))
    assert all(x.training for x in m.modules())
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    m[1].train(False)
    assert m.training and not m[1][0].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")


def test_to_dtype_keeps_parameter_identity():
    m = Net()
    w = m.fc1.weight
    m.fc1.weight.grad = ember.ones(4, 3)
    out = m.to(ember.float64)
    assert out is m and m.fc1.weight is w  # optimizers holding parameters stay valid
    assert w.dtype is ember.float64 and isinstance(w, nn.Parameter) and w.requires_grad
    assert w.grad.dtype is ember.float64
    assert m.steps.dtype is ember.int64  # integer buffers keep their dtype
    assert m.cache.dtype is ember.float64
    m.float()
    assert w.dtype is ember.float32
    m.half()
    assert w.dtype is ember.float16
    m.to(dtype=ember.float32)
    assert w.dtype is ember.float32
    m.to("cpu")
    m.to(ember.zeros(1, dtype=ember.float64))
    assert w.dtype is ember.float64
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point"):
        m.to(ember.int32)
    x = ember.randn(2, 3, dtype=ember.float64)
    assert m(x).dtype is ember.float64


def test_zero_grad_requires_grad_apply():
    m = Net()
    m(ember.randn(2, 3)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(p.grad is not None and (p.grad == 0).all() for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    order = []
    m.apply(lambda mod: order.append(type(mod).__name__))
    assert order == ["Linear", "ReLU", "Linear", "Net"]  # children first


# ---- hooks --------------------------------------------------------------------------------------

def test_forward_hooks():
    m = nn.Linear(2, 2)
    log = []
    h1 = m.register_forward_pre_hook(lambda mod, args: log.append("pre") or (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: log.append("post") or out + 1)
    out = m(ember.ones(3, 2))
    assert log == ["pre", "post"]
    np.testing.assert_allclose(out.detach().numpy(), np.tile(m.bias.detach().numpy() + 1, (3, 1)),
                               rtol=1e-6)
    h1.remove()
    h2.remove()
    log.clear()
    m(ember.ones(1, 2))
    assert log == []
    # with_kwargs and prepend
    m.register_forward_hook(lambda mod, args, kwargs, out: log.append(("kw", list(kwargs))),
                            with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: log.append("first"), prepend=True)
    m(input=ember.ones(1, 2))
    assert log == ["first", ("kw", ["input"])]
    # global hooks run for every module
    seen = []
    handle = nn.modules.module.register_module_forward_hook(
        lambda mod, args, out: seen.append(type(mod).__name__))
    nn.Sequential(nn.ReLU())(ember.ones(1))
    handle.remove()
    assert seen == ["ReLU", "Sequential"]


def test_full_backward_hooks():
    m = nn.Linear(3, 2)
    got = {}

    def hook(module, grad_input, grad_output):
        got["in"], got["out"] = grad_input, grad_output
        return (grad_input[0] * 2,)

    def pre(module, grad_output):
        got["pre"] = grad_output

    m.register_full_backward_hook(hook)
    m.register_full_backward_pre_hook(pre)
    x = ember.randn(4, 3, requires_grad=True)
    m(x).sum().backward()
    assert got["out"][0].shape == (4, 2) and got["pre"][0].shape == (4, 2)
    assert got["in"][0].shape == (4, 3)
    w = m.weight.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.tile(w.sum(0), (4, 1)), rtol=1e-5)
    assert m.weight.grad is not None  # parameter gradients are unaffected
    # inputs that need no gradient: the hook still runs, with grad_input None
    calls = []
    first = nn.Linear(3, 2)
    first.register_full_backward_hook(lambda mod, gi, go: calls.append((gi, go[0].shape)))
    first(ember.randn(4, 3)).sum().backward()
    assert calls == [((None,), (4, 2))]


# ---- repr ---------------------------------------------------------------------------------------

def test_nested_repr():
    m = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)),
                                   ("block", nn.Sequential(nn.ReLU(), nn.Dropout(0.1)))]))
    assert repr(m) == ("Sequential(\n"
                       "  (fc): Linear(in_features=2, out_features=3, bias=True)\n"
                       "  (block): Sequential(\n"
                       "    (0): ReLU()\n"
                       "    (1): Dropout(p=0.1, inplace=False)\n"
                       "  )\n"
                       ")")
    assert repr(nn.Module()) == "Module()"


# ---- containers ---------------------------------------------------------------------------------

def test_sequential_indexing_slicing_and_editing():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    s = nn.Sequential(a, b, c)
    assert s[0] is a and s[-1] is c and len(s) == 3 and list(s) == [a, b, c]
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    assert list(sub._modules) == ["1", "2"]  # slicing keeps the keys, like PyTorch
    with pytest.raises(IndexError, match="index 3 is out of range"):
        s[3]
    assert s(ember.ones(4, 2)).shape == (4, 1)
    d = nn.Identity()
    s[1] = d
    assert s[1] is d
    del s[0]
    assert list(s._modules) == ["0", "1"] and s[0] is d
    s.append(nn.ReLU())
    s.insert(0, nn.Identity())
    assert len(s) == 4 and list(s._modules) == ["0", "1", "2", "3"]
    popped = s.pop(0)
    assert isinstance(popped, nn.Identity) and len(s) == 3
    named = nn.Sequential(OrderedDict([("x", nn.ReLU()), ("y", nn.Tanh())]))
    assert named.x is named[0] and list(named.state_dict()) == []
    assert len(named + nn.Sequential(nn.ReLU())) == 3


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and list(layers.state_dict())[:2] == ["0.weight", "0.bias"]
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    layers.insert(1, nn.Identity())
    assert [type(x).__name__ for x in layers] == ["Linear", "Identity", "Linear", "Linear",
                                                  "ReLU", "Tanh"]
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[-2:]) == 2
    del layers[1]
    assert list(layers._modules) == [str(i) for i in range(5)]
    layers += [nn.ReLU()]
    assert len(layers) == 6
    holder = nn.Module()
    holder.layers = layers
    assert len(list(holder.parameters())) == 6
    with pytest.raises(TypeError):
        nn.ModuleList([3])
    md = nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.ReLU()})
    assert list(md.keys()) == ["a", "b"] and "a" in md and len(md) == 2
    md["c"] = nn.Tanh()
    assert list(md) == ["a", "b", "c"]
    assert isinstance(md.pop("b"), nn.ReLU) and list(md.keys()) == ["a", "c"]
    assert list(md.state_dict()) == ["a.weight", "a.bias"]
    md.update([("d", nn.Identity())])
    assert list(md.keys()) == ["a", "c", "d"]
    md.clear()
    assert len(md) == 0


def test_parameter_list_and_dict():
    pl = nn.ParameterList([nn.Parameter(ember.ones(2)), ember.zeros(3)])
    assert len(pl) == 2 and all(isinstance(p, nn.Parameter) for p in pl)  # tensors are wrapped
    pl.append(nn.Parameter(ember.ones(1)))
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    assert pl[-1].shape == (1,) and len(pl[:2]) == 2
    assert "(0): Parameter containing: [Parameter of size 2]" in repr(pl) or \
        "(0): Parameter containing" in repr(pl)
    pd = nn.ParameterDict({"w": nn.Parameter(ember.ones(2)), "b": ember.zeros(1)})
    assert list(pd.keys()) == ["w", "b"] and isinstance(pd["b"], nn.Parameter)
    pd["c"] = ember.ones(3)
    assert "c" in pd and len(pd) == 3
    del pd["w"]
    assert list(pd) == ["b", "c"]
    holder = nn.Module()
    holder.params = pd
    assert list(holder.state_dict()) == ["params.b", "params.c"]


def test_deepcopy_and_pickle_module():
    m = Net()
    c = copy.deepcopy(m)
    assert c.fc1.weight is not m.fc1.weight and (c.fc1.weight == m.fc1.weight).all()
    x = ember.randn(2, 3)
    np.testing.assert_allclose(c(x).detach().numpy(), m(x).detach().numpy())
    p = pickle.loads(pickle.dumps(m))
    assert list(p.state_dict()) == list(m.state_dict())
    np.testing.assert_allclose(p(x).detach().numpy(), m(x).detach().numpy())


def test_module_init_rejects_arguments():
    with pytest.raises(TypeError, match="unexpected arguments"):
        nn.Module(3)
