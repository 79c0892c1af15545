"""ember.save / ember.load: PyTorch's zip and legacy checkpoints (fixtures written by torch 2.13),
the restricted unpickler, atomic writes, and safetensors."""

from __future__ import annotations

import io
import json
import os
import pickle
import pickletools
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import ember
from ember.serialization import WeightsUnpicklingError

FIX = Path(__file__).parent / "fixtures" / "torch_checkpoints"
EXPECTED = json.loads((FIX / "expected.json").read_text())
PWNED = Path("/tmp/ember_pwned")


@pytest.fixture(scope="module")
def npz():
    with np.load(FIX / "expected.npz") as z:
        return {k: z[k] for k in z.files}


def _get(obj, path: str):
    for part in path.split("/"):
        obj = obj[int(part)] if isinstance(obj, (list, tuple)) else obj[part]
    return obj


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.uint8)


# ---- reading torch's files ----------------------------------------------------------------------

@pytest.mark.parametrize("fname", ["tensors_zip.pt", "tensors_legacy.pt"])
def test_fixture_tensors(fname, npz):
    obj = ember.load(FIX / fname)
    for path, exp in EXPECTED["tensors"].items():
        t = _get(obj, path)
        assert isinstance(t, ember.Tensor), path
        assert t.dtype.name == exp["dtype"], path
        assert tuple(t.shape) == tuple(exp["shape"]), path
        assert t.stride() == tuple(exp["stride"]), path
        assert t.storage_offset() == exp["storage_offset"], path
        assert t.requires_grad == exp["requires_grad"], path
        assert (type(t).__name__ == "Parameter") == exp["is_parameter"], path
        got = t.detach().numpy()
        if exp["dtype"] == "bfloat16":
            assert np.array_equal(_bits(got), _bits(npz[path + "__bits"])), path
            assert np.array_equal(got.astype(np.float32), npz[exp["npz_key"]]), path
        else:
            assert got.dtype == np.dtype(exp["npz_dtype"]), path
            assert np.array_equal(_bits(got), _bits(npz[exp["npz_key"]])), path  # bitwise


@pytest.mark.parametrize("fname", ["tensors_zip.pt", "tensors_legacy.pt"])
def test_fixture_storage_sharing(fname, npz):
    obj = ember.load(FIX / fname)
    assert _get(obj, "nested/list/5") is obj["base"]  # one object, memo-referenced
    for group, info in EXPECTED["storages"].items():
        tensors = [_get(obj, p) for p in info["paths"]]
        # the whole storage was saved: reading it back through the first tensor's memory
        first = tensors[0].detach().numpy()
        root = first
        while isinstance(root.base, np.ndarray):
            root = root.base
        flat = np.ndarray(info["numel"], first.dtype, root.view(np.uint8)) if info["numel"] else \
            np.zeros(0, first.dtype)
        want = npz[info["npz_key"]]
        if info["dtype"] == "bfloat16":
            want = want.astype(first.dtype)
        assert np.array_equal(_bits(flat), _bits(want)), group
        for t in tensors[1:]:
            assert np.shares_memory(t.detach().numpy(), first) or t.numel() == 0, group
    # loaded views write through to each other
    obj["base"].detach()[1, 1] = 100.0
    assert float(obj["base_t"][1, 1]) == 100.0
    assert float(obj["base_slice"][0, 0]) == 100.0  # offset 7 = [1, 1]
    others = [EXPECTED["tensors"][p]["storage_group"] for p in ("float32", "offset_view")]
    assert len(set(others)) == 2


def _check_tree(node, value, path=""):
    kind = node["type"]
    if kind in ("Tensor", "Parameter"):
        assert isinstance(value, ember.Tensor), path
        return
    assert type(value).__name__ == kind, (path, type(value), kind)
    if kind in ("dict", "OrderedDict"):
        assert list(value) == node["keys"], path
        for k in node["keys"]:
            _check_tree(node["items"][k], value[k], f"{path}/{k}")
    elif kind in ("list", "tuple"):
        assert len(value) == len(node.get("items", [])), path
        for i, (n, v) in enumerate(zip(node.get("items", []), value)):
            _check_tree(n, v, f"{path}/{i}")
    elif kind == "float":
        assert value.hex() == float.fromhex(node["value_hex"]).hex(), path
    elif kind == "int":
        assert value == int(node["value_str"]), path
    elif kind != "NoneType":
        assert value == node["value"], path


@pytest.mark.parametrize("fname", ["tensors_zip.pt", "tensors_legacy.pt"])
def test_fixture_python_values(fname):
    obj = ember.load(FIX / fname)
    _check_tree(EXPECTED["root"], obj)
    assert type(obj["nested"]) is OrderedDict and type(obj) is dict
    assert obj["nested"]["big_int"] == 2 ** 70


def test_state_dict_metadata_and_parameters():
    sd = ember.load(FIX / "small_cnn_state_dict.pt")
    assert type(sd) is OrderedDict
    assert list(sd)[:2] == ["conv1.weight", "conv1.bias"]
    assert sd._metadata["bn1"] == {"version": 2}  # BUILD on an OrderedDict
    assert sd["bn1.num_batches_tracked"].dtype is ember.int64
    assert sd["bn1.num_batches_tracked"].item() == 3
    assert tuple(sd["conv1.weight"].shape) == (8, 3, 3, 3)


def test_load_from_file_object_and_map_location():
    data = (FIX / "tensors_zip.pt").read_bytes()
    obj = ember.load(io.BytesIO(data), map_location="cpu")
    assert obj["float64"].device == ember.device("cpu")
    seen = []

    def keep(storage, location):
        seen.append((location, storage.dtype))
        return storage

    obj = ember.load(io.BytesIO(data), map_location=keep)
    assert len(seen) == len(EXPECTED["storages"]) and all(loc == "cpu" for loc, _ in seen)
    assert obj["float32"].dtype is ember.float32
    obj = ember.load(io.BytesIO(data), map_location={"cpu": ember.device("cpu")})
    assert tuple(obj["base"].shape) == (4, 6)
    with pytest.raises(TypeError, match="map_location must return a storage"):
        ember.load(io.BytesIO(data), map_location=lambda s, loc: 3)


# ---- refusing what is unsafe or broken ----------------------------------------------------------

@pytest.mark.parametrize("fname", ["malicious.pt", "malicious_stack_global.pt",
                                   "malicious_legacy.pt"])
def test_malicious_refused_payload_never_runs(fname):
    if PWNED.exists():
        PWNED.unlink()
    with pytest.raises(WeightsUnpicklingError, match=r"Weights only load failed .*os\.system"):
        ember.load(FIX / fname)
    assert isinstance(WeightsUnpicklingError("x"), pickle.UnpicklingError)
    assert not PWNED.exists()


def test_refused_globals_are_never_resolved(monkeypatch):
    """The allow-list decides before anything is imported: a module that is not loaded yet stays
    unloaded (so its import side effects never run)."""
    import sys

    payload = b"\x80\x02cember_not_a_module_xyz\nboom\n)R."
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", payload)
    with pytest.raises(WeightsUnpicklingError, match="ember_not_a_module_xyz.boom"):
        ember.load(io.BytesIO(buf.getvalue()))
    assert "ember_not_a_module_xyz" not in sys.modules


def test_add_safe_globals():
    payload = pickle.dumps({"when": _SafeThing(3)}, protocol=2)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", payload)
    data = buf.getvalue()
    with pytest.raises(WeightsUnpicklingError, match="_SafeThing"):
        ember.load(io.BytesIO(data))
    with ember.serialization.safe_globals([_SafeThing]):
        assert _SafeThing in ember.serialization.get_safe_globals()
        assert ember.load(io.BytesIO(data))["when"].value == 3
    assert _SafeThing not in ember.serialization.get_safe_globals()
    ember.serialization.add_safe_globals([_SafeThing])
    try:
        assert ember.load(io.BytesIO(data))["when"].value == 3
    finally:
        ember.serialization.clear_safe_globals()
    assert ember.serialization.get_safe_globals() == []
    assert ember.load(io.BytesIO(data), weights_only=False)["when"].value == 3


class _SafeThing:
    def __init__(self, value):
        self.value = value


def test_truncated_zip():
    with pytest.raises(RuntimeError, match=r"truncated\.pt.*truncated or corrupted zip"):
        ember.load(FIX / "truncated.pt")


def test_truncated_legacy():
    with pytest.raises(RuntimeError, match=r"truncated_legacy\.pt.*truncated checkpoint"):
        ember.load(FIX / "truncated_legacy.pt")


def test_truncated_legacy_storage_data():
    data = (FIX / "tensors_legacy.pt").read_bytes()
    with pytest.raises(RuntimeError, match=r"truncated checkpoint \(expected \d+ bytes of "
                                           r"storage \d+, got \d+\)"):
        ember.load(io.BytesIO(data[:-10]))


def test_zip_storage_record_too_short():
    buf = io.BytesIO()
    ember.save({"w": ember.arange(256, dtype=ember.float32)}, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for info in src.infolist():
            data = src.read(info)
            zf.writestr(info.filename, data[:512] if info.filename.endswith("data/0") else data)
    with pytest.raises(RuntimeError, match=r"truncated checkpoint \(expected 1024 bytes of "
                                           r"storage 0, got 512\)"):
        ember.load(io.BytesIO(out.getvalue()))


def test_not_a_checkpoint():
    with pytest.raises(RuntimeError, match=r"not_a_checkpoint\.pt' is not a PyTorch or ember "
                                           r"checkpoint \(zip or legacy format\)"):
        ember.load(FIX / "not_a_checkpoint.pt")
    with pytest.raises(RuntimeError, match="is not a PyTorch or ember checkpoint"):
        ember.load(io.BytesIO(b""))


def test_out_of_bounds_geometry_refused():
    """A file must not make a view that reads past its storage (NumPy would read any memory)."""
    t = ember.arange(4, dtype=ember.float32)
    buf = io.BytesIO()
    ember.save(t, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    pkl = src.read("archive/data.pkl")
    bad = pkl.replace(b"K\x04\x85", b"M\x00\x10\x85")  # size (4,) -> (4096,)
    assert bad != pkl
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for info in src.infolist():
            zf.writestr(info.filename, bad if info.filename.endswith("data.pkl")
                        else src.read(info))
    with pytest.raises(RuntimeError, match="does not fit in its storage of 4 elements"):
        ember.load(io.BytesIO(out.getvalue()))


# ---- writing ------------------------------------------------------------------------------------

def _sample():
    base = ember.arange(24, dtype=ember.float32).reshape(4, 6)
    return {
        "base": base, "t": base.t(), "slice": base[1:3, 1::2],
        "offset": (ember.arange(10, dtype=ember.float64) * 0.5)[3:7],
        "bf16": ember.tensor([1.5, -2.0, 3.25], dtype=ember.bfloat16),
        "c64": ember.tensor([1 + 2j, -3j], dtype=ember.complex64),
        "c128": ember.tensor([0.5 - 1j], dtype=ember.complex128),
        "bool": ember.tensor([True, False, True]), "i8": ember.tensor([-3, 7], dtype=ember.int8),
        "u8": ember.tensor([250, 3], dtype=ember.uint8), "f16": ember.tensor([1e-3], dtype=ember.float16),
        "i64": ember.tensor(7), "empty": ember.zeros(0, 3),
        "param": ember.nn.Parameter(ember.ones(2, 2)),
        "rg": ember.zeros(3).requires_grad_(),
        "meta": OrderedDict(a=1, b=[2.5, None, "s", b"", b"\x00\xff", 2 ** 70, (1, True)]),
        "device": ember.device("cpu"), "dtype": ember.bfloat16, "size": ember.Size([2, 3]),
        "complex": 1 - 2j, "set": {1, 2}, "empty_tuple": (),
    }


@pytest.mark.parametrize("legacy", [False, True])
def test_round_trip(tmp_path, legacy):
    obj = _sample()
    path = tmp_path / "ck.pt"
    ember.save(obj, path, _use_new_zipfile_serialization=not legacy)
    back = ember.load(path)
    assert list(back) == list(obj)
    for k, v in obj.items():
        w = back[k]
        if isinstance(v, ember.Tensor):
            assert type(w) is type(v) and w.dtype is v.dtype and w.shape == v.shape, k
            assert w.stride() == v.stride() or v.numel() == 0, k
            assert w.requires_grad == v.requires_grad, k
            assert np.array_equal(_bits(w.detach().numpy()), _bits(v.detach().numpy())), k
        else:
            assert type(w) is type(v) and w == v, k
    assert back["slice"].storage_offset() == 7 and back["offset"].storage_offset() == 3
    back["base"].detach()[1, 1] = -1.0  # the views still share memory
    assert float(back["t"][1, 1]) == -1.0 and float(back["slice"][0, 0]) == -1.0
    assert back["param"].is_leaf and back["rg"].is_leaf


def test_round_trip_file_object():
    buf = io.BytesIO()
    ember.save([ember.ones(3), "x"], buf)
    buf.seek(0)
    back = ember.load(buf)
    assert back[1] == "x" and back[0].tolist() == [1.0, 1.0, 1.0]
    assert zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()[0] == "archive/data.pkl"


def test_zip_layout_matches_torch(tmp_path):
    """Same records in the same order, stored, 64-byte aligned, and data.pkl in the same
    vocabulary (protocol 2; the same globals; opcodes that torch's weights-only loader knows)."""
    torch_zip = zipfile.ZipFile(FIX / "tensors_zip.pt")
    path = tmp_path / "tensors_zip.pt"
    ember.save(ember.load(FIX / "tensors_zip.pt"), path)
    ours = zipfile.ZipFile(path)
    assert ours.namelist() == torch_zip.namelist()
    raw = path.read_bytes()
    for a, b in zip(ours.infolist(), torch_zip.infolist()):
        assert a.compress_type == zipfile.ZIP_STORED
        if a.filename.split("/", 1)[1] not in (".data/serialization_id", "data.pkl"):
            assert a.file_size == b.file_size, a.filename
        name_len, extra_len = np.frombuffer(raw[a.header_offset + 26:a.header_offset + 30], "<u2")
        assert (a.header_offset + 30 + name_len + extra_len) % 64 == 0, a.filename
    for name in ("byteorder", "version", ".format_version", ".storage_alignment"):
        assert ours.read(f"tensors_zip/{name}") == torch_zip.read(f"tensors_zip/{name}")
    assert ours.read("tensors_zip/.data/serialization_id").isdigit()

    def vocabulary(data):
        ops, names = set(), set()
        for op, arg, _ in pickletools.genops(data):
            ops.add(op.name)
            if op.name == "GLOBAL":
                names.add(arg)
        return ops, names

    our_ops, our_names = vocabulary(ours.read("tensors_zip/data.pkl"))
    torch_ops, torch_names = vocabulary(torch_zip.read("tensors_zip/data.pkl"))
    assert our_names == torch_names
    assert our_ops <= torch_ops | {"LONG_BINPUT", "LONG_BINGET"}
    for i in range(23):
        assert ours.read(f"tensors_zip/data/{i}") == torch_zip.read(f"tensors_zip/data/{i}")


def test_torch_reads_our_files(tmp_path):
    torch = pytest.importorskip("torch")
    obj = _sample()
    for legacy in (False, True):
        path = tmp_path / f"ck{legacy}.pt"
        ember.save(obj, path, _use_new_zipfile_serialization=not legacy)
        back = torch.load(path, weights_only=True)
        for k, v in obj.items():
            if isinstance(v, ember.Tensor):
                w = back[k]
                assert str(w.dtype) == f"torch.{v.dtype.name}" and tuple(w.stride()) == v.stride()
                assert w.storage_offset() == v.storage_offset() or k in ("base",)
        assert back["t"].untyped_storage().data_ptr() == back["base"].untyped_storage().data_ptr()


# ---- atomic writes ------------------------------------------------------------------------------

class _Exploding:
    def __reduce_ex__(self, protocol):
        raise ValueError("boom while pickling")


def test_atomic_write_keeps_old_file(tmp_path):
    path = tmp_path / "model.pt"
    ember.save({"w": ember.ones(4)}, path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="boom"):
        ember.save({"w": ember.zeros(1000), "x": _Exploding()}, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.pt"]


def test_atomic_write_failure_while_writing_storages(tmp_path, monkeypatch):
    from ember.serialization import _zip_format

    path = tmp_path / "model.pt"
    ember.save({"w": ember.ones(4)}, path)
    before = path.read_bytes()
    real = _zip_format._record

    def failing(zf, name, data):
        if "/data/" in name:
            raise OSError("disk full")
        real(zf, name, data)

    monkeypatch.setattr(_zip_format, "_record", failing)
    with pytest.raises(OSError, match="disk full"):
        ember.save({"w": ember.zeros(3)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.pt"]


def test_save_into_missing_directory(tmp_path):
    with pytest.raises(RuntimeError, match="Parent directory .* does not exist"):
        ember.save(ember.ones(1), tmp_path / "nope" / "m.pt")


def test_weights_only_false_opt_in(tmp_path):
    path = tmp_path / "obj.pt"
    ember.save({"thing": _SafeThing(5), "w": ember.ones(2)}, path)
    with pytest.raises(WeightsUnpicklingError, match="_SafeThing"):
        ember.load(path)
    back = ember.load(path, weights_only=False)
    assert back["thing"].value == 5 and back["w"].tolist() == [1.0, 1.0]


# ---- safetensors --------------------------------------------------------------------------------

def test_safetensors_round_trip(tmp_path):
    pytest.importorskip("safetensors")
    from ember.serialization import safetensors as st

    sd = {"w": ember.arange(6, dtype=ember.float32).reshape(2, 3).t(),
          "b": ember.tensor([1.5, -2.0], dtype=ember.bfloat16),
          "n": ember.tensor([3], dtype=ember.int64), "m": ember.tensor([True, False])}
    path = tmp_path / "m.safetensors"
    st.save_file(sd, path, metadata={"format": "pt"})
    back = st.load_file(path)
    assert list(back) == sorted(sd) or set(back) == set(sd)
    for k, v in sd.items():
        assert back[k].dtype is v.dtype and back[k].shape == v.shape
        assert np.array_equal(_bits(back[k].numpy()), _bits(np.ascontiguousarray(v.numpy())))
    back["w"][0, 0] = 5.0  # writable, owned memory
    assert st.load(st.save(sd))["n"].tolist() == [3]
    with pytest.raises(TypeError, match="complex128"):
        st.save_file({"c": ember.zeros(1, dtype=ember.complex128)}, path)
    assert os.listdir(tmp_path) == ["m.safetensors"]


def test_safetensors_reads_files_from_the_package(tmp_path):
    stn = pytest.importorskip("safetensors.numpy")
    from ember.serialization import safetensors as st

    arrays = {"a": np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4),
              "i": np.array([1, -2, 3], dtype=np.int32), "h": np.array([0.5], dtype=np.float16)}
    path = tmp_path / "np.safetensors"
    stn.save_file(arrays, str(path))
    back = st.load_file(path)
    for k, a in arrays.items():
        assert back[k].numpy().dtype == a.dtype and np.array_equal(back[k].numpy(), a)
