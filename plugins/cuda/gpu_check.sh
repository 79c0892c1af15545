#!/usr/bin/env bash
# The GPU check of ember-cuda, for a machine with an NVIDIA GPU and no package registry:
#
#   bash plugins/cuda/gpu_check.sh            # from anywhere inside the repository
#
# 1. checks what the environment has (numpy, pluggy, ml_dtypes: ember's deps; CuPy; PyTorch,
#    pytest, setuptools) and installs ember-core and ember-cuda offline (editable, --no-deps);
# 2. runs ember's backend conformance kit on the GPU (--ember-device cuda);
# 3. runs tests/cuda (the GPU tests: fused CUDA kernels against the xp ones, ember.cuda's
#    memory/stream/event functions, AMP, the examples on cuda against the CPU);
# 4. runs benchmarks/bench_cuda.py --quick (ember vs PyTorch CUDA, side by side) and
#    tests/distributed/gpu_nccl_check.py (ember.distributed's NCCL backend, one process);
# 5. prints a short table of the stages.
#
# Every stage has a time limit (total under ~8 minutes); a stage that fails does not stop the
# later ones. Logs go to $GPU_CHECK_LOGS (default: a temporary folder, printed at the end).
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python}"
LOGS="${GPU_CHECK_LOGS:-$(mktemp -d /tmp/ember_gpu_check.XXXXXX)}"
mkdir -p "$LOGS"
export PYTHONDONTWRITEBYTECODE=1
SUMMARY=()

stage() {  # stage NAME LIMIT_SECONDS COMMAND...: run, log, time, and record the outcome
    local name="$1" limit="$2"; shift 2
    local log="$LOGS/${name//[^A-Za-z0-9]/_}.log" start end rc
    echo "=== $name (limit ${limit}s) ==="
    start=$(date +%s)
    if declare -F "$1" >/dev/null; then  # a shell function (timeout runs programs only)
        "$@" >"$log" 2>&1
    else  # SIGINT first: pytest then still prints its summary of what ran
        timeout -s INT -k 20 "$limit" "$@" >"$log" 2>&1
    fi
    rc=$?
    end=$(date +%s)
    tail -n 25 "$log"
    local result="ok"
    [ "$rc" -ne 0 ] && result="FAILED (exit $rc)"
    [ "$rc" -eq 124 ] || [ "$rc" -eq 130 ] && result="TIMED OUT after ${limit}s"
    local counts
    counts=$(grep -Eo '[0-9]+ (passed|failed|skipped|errors?)' "$log" | tr '\n' ' ')
    SUMMARY+=("| $name | $result | $((end - start)) s | ${counts:-} |")
}

# ---- 1. environment and offline install ----------------------------------------------------------
stage "environment" 60 "$PY" - <<'EOF'
import importlib, subprocess, sys
print("python", sys.version.split()[0])
missing = []
for name in ("numpy", "pluggy", "ml_dtypes", "cupy", "torch", "pytest", "setuptools", "scipy"):
    try:
        module = importlib.import_module(name)
        print(f"{name:11s} {getattr(module, '__version__', '?')}")
    except Exception as exc:  # noqa: BLE001
        print(f"{name:11s} MISSING ({type(exc).__name__}: {exc})")
        missing.append(name)
try:
    print(subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                          "--format=csv,noheader"], capture_output=True, text=True).stdout)
except OSError:
    print("nvidia-smi not found")
needed = {"numpy", "pluggy", "ml_dtypes", "cupy", "pytest"} & set(missing)
if needed:
    sys.exit(f"cannot run the GPU check without: {', '.join(sorted(needed))} (no registry here)")
if "scipy" in missing:
    print("note: scipy is missing; ember's CPU reference for erf/lgamma/digamma uses its own "
          "(slower) implementation")
EOF

install_packages() {
    "$PY" -m pip install --no-build-isolation --no-deps -e packages/core -e plugins/cuda && return 0
    # an old setuptools without bdist_wheel: make the packages importable by path instead, with
    # hand-written metadata so that their entry points (ember.backends, pytest11) are found
    echo "pip could not install offline; falling back to PYTHONPATH + entry-point metadata"
    local site="$LOGS/site"
    mkdir -p "$site/ember_core-0.1.0.dist-info" "$site/ember_cuda-0.1.0.dist-info"
    printf 'Metadata-Version: 2.1\nName: ember-core\nVersion: 0.1.0\n' \
        >"$site/ember_core-0.1.0.dist-info/METADATA"
    printf '[pytest11]\nember_testing = ember.testing.pytest_plugin\n' \
        >"$site/ember_core-0.1.0.dist-info/entry_points.txt"
    printf 'Metadata-Version: 2.1\nName: ember-cuda\nVersion: 0.1.0\n' \
        >"$site/ember_cuda-0.1.0.dist-info/METADATA"
    printf '[ember.backends]\ncuda = ember_cuda.plugin\n' \
        >"$site/ember_cuda-0.1.0.dist-info/entry_points.txt"
    echo "$site:$ROOT/packages/core/src:$ROOT/plugins/cuda/src" >"$LOGS/pythonpath"
}
stage "install" 120 install_packages
if [ -f "$LOGS/pythonpath" ]; then
    export PYTHONPATH="$(cat "$LOGS/pythonpath")${PYTHONPATH:+:$PYTHONPATH}"
fi

stage "device" 90 "$PY" - <<'EOF'
import ember
from ember_cuda.primitives import make_matmul
assert ember.cuda.is_available(), ember.backends.get_backend("cuda").unavailable_reason()
backend = ember.backends.get_backend("cuda")
print(f"{ember.cuda.device_count()} GPU(s): {ember.cuda.get_device_name()}, "
      f"capability {ember.cuda.get_device_capability()}")
mm = make_matmul(backend.api)
for name in ("float16", "bfloat16"):
    dtype = getattr(ember, name).np
    route = "cuBLAS" if mm.native_gemm(dtype) else "widened to float32 (no native GEMM in CuPy)"
    print(f"{name} matmul: {route}")
x = ember.randn(256, 256, device="cuda", dtype=ember.bfloat16)
print("bfloat16 round trip and matmul:", tuple((x @ x).float().cpu().shape))
# one call of each CUDA C kernel: a compile error shows here first, with NVRTC's log
F = ember.nn.functional
x = ember.randn(64, 1000, device="cuda", requires_grad=True)
y = ember.randint(0, 1000, (64,), device="cuda")
out = F.layer_norm(F.gelu(x), (1000,)).softmax(-1).log() + F.silu(x).sigmoid()
loss = F.cross_entropy(out, y) + F.scaled_dot_product_attention(
    x.view(1, 4, 16, 1000), x.view(1, 4, 16, 1000), x.view(1, 4, 16, 1000)).sum()
loss.backward()
ember.cuda.synchronize()
print("fused CUDA C kernels ran: loss", round(loss.item(), 4), "grad norm", round(x.grad.norm().item(), 4))
EOF

# ---- 2-4. the kit, the tests, the benchmarks ----------------------------------------------------------
stage "conformance kit (cuda)" 240 "$PY" -m pytest --pyargs ember.testing.conformance \
    --ember-device cuda -q -p no:cacheprovider --tb=short
stage "tests/cuda" 120 "$PY" -m pytest tests/cuda -q -p no:cacheprovider -rs --tb=short \
    --ignore tests/cuda/test_backend_logic_on_numpy.py
stage "bench_cuda --quick" 120 "$PY" benchmarks/bench_cuda.py --quick
# ember.distributed's NCCL backend (issue 10), one process on one GPU
stage "nccl (1 process)" 60 "$PY" tests/distributed/gpu_nccl_check.py

# ---- 5. summary -----------------------------------------------------------------------------------
echo
echo "| stage | result | time | tests |"
echo "| --- | --- | ---: | --- |"
for row in "${SUMMARY[@]}"; do echo "$row"; done
echo
grep -E '^\| ' "$LOGS/bench_cuda___quick.log" 2>/dev/null
echo
echo "logs: $LOGS"
