"""Trainer(strategy="ddp") under a real mpiexec: same weights as one process, rank-0-only
checkpoints and logs, synced metrics, resume."""

import glob
import json
import os
import subprocess
import sys
import types

import numpy as np
import pytest

import ember
import ember.distributed as dist

SCRIPT = os.path.join(os.path.dirname(__file__), "scripts", "ddp_fit.py")


requires_mpi = pytest.mark.skipif(not dist.is_mpi_available(), reason="needs mpi4py and mpiexec")


def _fit(root, devices, epochs, *extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "RANK", "EMBER_LIGHTNING"))}
    proc = subprocess.run([sys.executable, SCRIPT, str(root), str(devices), str(epochs), *extra],
                          capture_output=True, text=True, timeout=120, env=env, start_new_session=True)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    return proc


def _result(root, tag, rank=0):
    with open(os.path.join(root, f"result_{tag}_rank{rank}.json")) as f:
        return json.load(f)


@requires_mpi
def test_ddp_trains_like_one_process_and_resumes(tmp_path):
    ddp_root, ref_root = tmp_path / "ddp", tmp_path / "ref"
    ddp_root.mkdir()
    ref_root.mkdir()
    proc = _fit(ddp_root, 2, 2)  # a plain `python script`: the Trainer re-executes it under mpiexec
    ranks = [_result(ddp_root, "ws2_e2", r) for r in range(2)]
    for r, res in enumerate(ranks):
        assert (res["world_size"], res["global_rank"], res["global_step"]) == (2, r, 8)
        assert res["sampler"] == "DistributedSampler"
        assert res["samples_seen"] == 64  # half of the 64 samples, for 2 epochs
        assert res["rank_mean"] == pytest.approx(0.5)  # mean of ranks 0 and 1 (sync_dist)
        assert res["rank_max"] == pytest.approx(1.0)
        assert res["best_model_path"] == ranks[0]["best_model_path"]
        assert res["log_dir"] == ranks[0]["log_dir"]
    for name, value in ranks[0]["params"].items():
        np.testing.assert_array_equal(value, ranks[1]["params"][name], err_msg=name)
    # one writer: one log version, one checkpoint, one progress bar
    assert os.listdir(ddp_root / "lightning_logs") == ["version_0"]
    ckpts = glob.glob(str(ddp_root / "lightning_logs" / "version_0" / "checkpoints" / "*.ckpt"))
    assert [os.path.basename(c) for c in ckpts] == ["epoch=1-step=8.ckpt"]
    assert (ddp_root / "lightning_logs" / "version_0" / "metrics.csv").exists()
    assert [res["progress_bar_enabled"] for res in ranks] == [True, False]
    assert ranks[0]["logged_rows"] > 0 and ranks[1]["logged_rows"] == 0  # rank_zero_only loggers
    assert "Epoch 1: 100%" in proc.stdout + proc.stderr
    ckpt = ember.load(ckpts[0], weights_only=True)
    assert ckpt["global_step"] == 8 and sorted(ckpt["state_dict"]) == sorted(ranks[0]["params"])

    _fit(ddp_root, 2, 3, "resume")  # continue from the last checkpoint for a third epoch
    resumed = _result(ddp_root, "resumed_ws2_e3")
    assert resumed["global_step"] == 12

    _fit(ref_root, "single", 3)  # the reference: the plain single-device Trainer, batch 16
    ref = _result(ref_root, "single_e3")
    assert ref["global_step"] == 12
    for name, value in ref["params"].items():
        np.testing.assert_allclose(resumed["params"][name], value, rtol=1e-5, atol=1e-6, err_msg=name)


def test_ddp_strategy_rejects_more_devices_than_present():
    from ember_lightning import Trainer
    from ember_lightning.utilities.exceptions import MisconfigurationException

    names = ember.backends.available_backends()
    acc = next((n for n in ("opencl", "cuda") if n in names), None)
    if acc is None:
        pytest.skip("no accelerator backend to over-subscribe")
    with pytest.raises(MisconfigurationException, match="device\\(s\\) present"):
        Trainer(strategy="ddp", accelerator=acc, devices=getattr(ember, acc).device_count() + 1)


def test_unknown_strategy_and_devices_without_ddp():
    from ember_lightning import Trainer
    from ember_lightning.utilities.exceptions import MisconfigurationException

    with pytest.raises(MisconfigurationException, match="strategy='fsdp' is not supported"):
        Trainer(strategy="fsdp")
    with pytest.raises(MisconfigurationException, match="several devices need strategy='ddp'"):
        Trainer(accelerator="cpu", devices=2)


def test_relaunch_command_keeps_how_the_script_was_started(monkeypatch):
    import __main__
    from ember_lightning.strategies import ddp

    monkeypatch.setattr(__main__, "__spec__", None, raising=False)
    monkeypatch.setattr(ddp.sys, "argv", ["train.py", "--lr", "0.1"])
    assert ddp._program_argv() == ["train.py", "--lr", "0.1"]
    monkeypatch.setattr(__main__, "__spec__", types.SimpleNamespace(name="pkg.train.__main__"))
    assert ddp._program_argv() == ["-m", "pkg.train", "--lr", "0.1"]
    monkeypatch.setattr(__main__, "__spec__", None)
    monkeypatch.setattr(ddp.sys, "argv", ["-c"])
    with pytest.raises(Exception, match="cannot restart an interactive session"):
        ddp._program_argv()


def test_rank_zero_only_follows_the_rank(monkeypatch):
    from ember_lightning.utilities.rank_zero import rank_zero_only

    calls = []
    record = rank_zero_only(lambda x: calls.append(x) or x)
    monkeypatch.setattr(rank_zero_only, "rank", 1)
    assert record(1) is None and calls == []
    monkeypatch.setattr(rank_zero_only, "rank", 0)
    assert record(2) == 2 and calls == [2]
