"""ember's backend conformance kit on the ``opencl`` device, run exactly as a backend author runs
it (``python -m pytest --pyargs ember.testing.conformance --ember-device opencl``) in a
subprocess: every op's forward and gradient against the CPU, and the device-level tests.

The only failure allowed is the op whose result is a float16 tensor, which this backend does not
store (to_float16); it must fail with the backend's own clear TypeError, and everything else
must pass (the float16 samples of other ops are skipped by the kit itself, with that reason).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
UNSUPPORTED = re.compile(r"^to_float16-")


def test_conformance_kit_on_opencl():
    cmd = [sys.executable, "-m", "pytest", "--pyargs", "ember.testing.conformance",
           "--ember-device", "opencl", "-q", "-p", "no:cacheprovider", "--tb=line", "-rf"]
    env = dict(os.environ, COLUMNS="400")  # untruncated failure reasons in the summary
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE, timeout=1200, env=env)
    out = proc.stdout + proc.stderr
    passed = int(re.search(r"(\d+) passed", out).group(1))
    failed = re.findall(r"^FAILED \S*::test_(?:forward|grad)\[([^\]]+)\] - (.*)$", out, re.M)
    unexpected = [(case, why) for case, why in failed if not UNSUPPORTED.match(case)
                  or "does not support dtype" not in why]
    assert not unexpected, f"conformance failures on opencl:\n{out[-12000:]}"
    assert len(failed) == len(re.findall(r"^FAILED ", out, re.M)), out[-12000:]
    assert passed >= 1800, out[-3000:]  # the whole kit ran (1800 of 1802 at the time of writing)
    print(f"opencl conformance: {passed} passed, {len(failed)} unsupported-dtype failures")
