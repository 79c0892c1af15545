"""TensorBoardLogger: event files read back through their TFRecord framing (length, masked
CRC-32C of the length, payload, masked CRC-32C of the payload; checked with an independent
CRC-32C) and tensorboardX's bundled ``Event`` protobuf."""

from __future__ import annotations

import os
import struct
from argparse import Namespace

import pytest

import ember

pytest.importorskip("tensorboardX")

from ember_lightning.loggers import tensorboard as tb_module  # noqa: E402
from ember_lightning.loggers.tensorboard import TensorBoardLogger  # noqa: E402


def _crc32c(data: bytes) -> int:
    """Bitwise CRC-32C (Castagnoli, reflected polynomial 0x82F63B78)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def _masked(data: bytes) -> int:
    crc = _crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_events(log_dir):
    """Every Event of every event file in ``log_dir``, in file order."""
    from tensorboardX.proto.event_pb2 import Event

    files = sorted(f for f in os.listdir(log_dir) if f.startswith("events.out.tfevents."))
    assert files, f"no event file in {log_dir}"
    events = []
    for name in files:
        with open(os.path.join(log_dir, name), "rb") as fh:
            data = fh.read()
        pos = 0
        while pos < len(data):
            header = data[pos : pos + 8]
            (length,) = struct.unpack("<Q", header)
            (length_crc,) = struct.unpack("<I", data[pos + 8 : pos + 12])
            assert length_crc == _masked(header)
            payload = data[pos + 12 : pos + 12 + length]
            (payload_crc,) = struct.unpack("<I", data[pos + 12 + length : pos + 16 + length])
            assert payload_crc == _masked(payload)
            event = Event()
            event.ParseFromString(payload)
            events.append(event)
            pos += 16 + length
    return events


def scalars(events):
    """``{tag: [(step, value), ...]}`` of the scalar summaries."""
    out = {}
    for event in events:
        for value in event.summary.value:
            if value.HasField("simple_value"):
                out.setdefault(value.tag, []).append((event.step, value.simple_value))
    return out


def test_versions_and_dirs(tmp_path):
    logger = TensorBoardLogger(tmp_path, name="exp")
    assert logger.version == 0
    assert logger.log_dir == os.path.join(tmp_path, "exp", "version_0")
    assert logger.root_dir == os.path.join(tmp_path, "exp")
    assert logger.save_dir == str(tmp_path) and logger.name == "exp"
    os.makedirs(tmp_path / "exp" / "version_0")
    os.makedirs(tmp_path / "exp" / "version_4")
    os.makedirs(tmp_path / "exp" / "version_x")
    assert TensorBoardLogger(tmp_path, name="exp").version == 5
    named = TensorBoardLogger(tmp_path, name="exp", version="run_a", sub_dir="fold1")
    assert named.log_dir == os.path.join(tmp_path, "exp", "run_a", "fold1")
    assert TensorBoardLogger(tmp_path, name="", version=2).log_dir == os.path.join(
        tmp_path, "version_2"
    )


def test_log_metrics_written_and_readable(tmp_path):
    logger = TensorBoardLogger(tmp_path, prefix="fit")
    logger.log_metrics({"loss": ember.tensor(0.5), "acc": 0.25}, step=3)
    logger.log_metrics({"loss": 0.125}, step=7)
    logger.finalize("success")
    values = scalars(read_events(logger.log_dir))
    assert values["fit-loss"] == [(3, 0.5), (7, 0.125)]
    assert values["fit-acc"] == [(3, 0.25)]
    # the first event of a file is its version record
    assert read_events(logger.log_dir)[0].file_version == "brain.Event:2"


def test_log_metrics_rejects_non_scalars(tmp_path):
    logger = TensorBoardLogger(tmp_path)
    with pytest.raises(ValueError, match="not supported"):
        logger.log_metrics({"bad": "text"}, step=0)
    logger.finalize("failed")


def test_hyperparams_yaml_and_hparams_plugin(tmp_path):
    import yaml

    logger = TensorBoardLogger(tmp_path)
    logger.log_hyperparams({"lr": 0.1, "model": {"layers": 3}, "act": "relu"})
    logger.log_hyperparams(Namespace(batch_size=32))
    logger.finalize("success")
    with open(os.path.join(logger.log_dir, "hparams.yaml")) as fh:
        saved = yaml.safe_load(fh)
    assert saved == {"lr": 0.1, "model": {"layers": 3}, "act": "relu", "batch_size": 32}
    events = read_events(logger.log_dir)
    plugin_tags = [
        v.tag for e in events for v in e.summary.value if v.metadata.plugin_data.plugin_name
    ]
    assert "_hparams_/session_start_info" in plugin_tags
    assert "_hparams_/experiment" in plugin_tags
    # the default hp_metric placeholder is logged at step 0
    assert scalars(events)["hp_metric"][0] == (0, -1.0)


def test_no_default_hp_metric(tmp_path):
    logger = TensorBoardLogger(tmp_path, default_hp_metric=False)
    logger.log_hyperparams({"lr": 0.1}, metrics={"val": ember.tensor(2.0)})
    logger.finalize("success")
    values = scalars(read_events(logger.log_dir))
    assert "hp_metric" not in values and values["val"] == [(0, 2.0)]


def test_log_graph_is_a_no_op_and_pickling(tmp_path):
    import pickle

    logger = TensorBoardLogger(tmp_path, log_graph=True)
    logger.log_graph(ember.nn.Linear(2, 2), ember.zeros(1, 2))
    logger.log_metrics({"x": 1.0}, step=0)
    clone = pickle.loads(pickle.dumps(logger))
    assert clone.log_dir == logger.log_dir and clone._experiment is None
    logger.finalize("success")


def test_clear_error_without_tensorboardx(monkeypatch, tmp_path):
    monkeypatch.setattr(tb_module, "_TENSORBOARDX_AVAILABLE", False)
    with pytest.raises(ModuleNotFoundError, match=r"pip install ember-lightning\[tensorboard\]"):
        TensorBoardLogger(tmp_path)
