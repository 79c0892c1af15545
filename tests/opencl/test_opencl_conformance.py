"""ember's backend conformance kit on the ``opencl`` device, run exactly as a backend author runs
it (``python -m pytest --pyargs ember.testing.conformance --ember-device opencl``) in a
subprocess: every op's forward and gradient against the CPU in every dtype of the op database
(float16 and complex included), and the device-level tests. All of it must pass; the only skips
are the kit's CPU-only gradcheck placeholders."""

import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_conformance_kit_on_opencl():
    cmd = [sys.executable, "-m", "pytest", "--pyargs", "ember.testing.conformance",
           "--ember-device", "opencl", "-q", "-p", "no:cacheprovider", "--tb=short", "-rfs"]
    env = dict(os.environ, COLUMNS="400")  # untruncated failure and skip reasons
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE, timeout=1200, env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and " failed" not in out, \
        f"conformance kit failed on opencl:\n{out[-12000:]}"
    passed = int(re.search(r"(\d+) passed", out).group(1))
    assert passed >= 1800, out[-3000:]  # the whole kit ran (1827 cases at the time of writing)
    skips = re.findall(r"^SKIPPED \[(\d+)\] .*?: (.*)$", out, re.M)
    assert all("runs on the CPU only" in why for _, why in skips), skips
