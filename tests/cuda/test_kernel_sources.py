"""The CUDA C sources of ``ember_cuda.fused`` compile: ``nvcc -ptx`` on every template
instantiation the backend launches, with CuPy's own headers (its float16/bfloat16 types).

This catches CUDA C errors (syntax, types, missing overloads) on machines without a GPU; it
does not run the kernels — their results are checked by the conformance kit on a GPU
(``plugins/cuda/gpu_check.sh``). Skips where ``nvcc`` or CuPy's headers are absent.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ember_cuda import fused

NVCC = shutil.which("nvcc")
needs_nvcc = pytest.mark.skipif(NVCC is None, reason="nvcc (the CUDA compiler) is not installed")


@pytest.fixture(scope="module")
def cupy_include() -> Path:
    cupy = pytest.importorskip("cupy")
    include = Path(cupy.__file__).parent / "_core" / "include"
    if not (include / "cupy" / "carray.cuh").exists():
        pytest.skip(f"CuPy's CUDA headers are not in {include}")
    return include


def _nvcc(source: str, tmp_path: Path, include: Path) -> subprocess.CompletedProcess:
    src = tmp_path / "kernels.cu"
    src.write_text(source)
    cmd = [NVCC, "-ptx", "-arch=sm_80", f"-I{include}", str(src),
           "-o", str(tmp_path / "kernels.ptx")]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def _instantiation(name: str) -> str:
    """An explicit instantiation of the kernel ``name`` (e.g. ``softmax_rows<float, true,
    false>``): its parameter list from ROW_SOURCE, template parameters substituted."""
    template, args = name.split("<", 1)
    args = [a.strip() for a in args[:-1].split(",")]
    match = re.search(rf"template <([^<>]*)>\s*__global__ void {template}\((.*?)\)\s*{{",
                      fused.ROW_SOURCE, re.S)
    assert match, f"no definition of {template} in ROW_SOURCE"
    params = match.group(2)
    for decl, arg in zip(match.group(1).split(","), args):
        params = re.sub(rf"\b{decl.split()[-1]}\b", arg, params)
    return f"template __global__ void {name}({params});"


@needs_nvcc
def test_row_kernels_compile_for_every_launched_instantiation(tmp_path, cupy_include):
    names = fused.row_kernel_names()
    assert len(names) == 4 * 8  # 4 dtypes x (4 softmax variants, its backward, logsumexp, 2 layer norm)
    source = fused.ROW_SOURCE + "\n" + "\n".join(_instantiation(n) for n in names) + "\n"
    proc = _nvcc(source, tmp_path, cupy_include)
    assert proc.returncode == 0, proc.stderr[-6000:]
    ptx = (tmp_path / "kernels.ptx").read_text()
    assert ptx.count(".entry") == len(names), "every instantiation should produce one kernel"


def _elementwise_harness(name: str, params: str, outs: str, operation: str, ctype: str) -> str:
    """A stand-alone kernel shaped like CuPy's ElementwiseKernel code: each parameter is a
    local variable (inputs by value, outputs by reference) and ``T`` is a typedef."""
    decls, pointers = [], []
    for i, spec in enumerate(p.strip() for p in (params + "," + outs).split(",")):
        _, var = spec.split()
        is_out = i >= len(params.split(","))
        pointers.append(f"{'' if is_out else 'const '}T* {var}_ptr")
        decls.append(f"{'T&' if is_out else 'const T'} {var} = {var}_ptr[i];")
    return (f"namespace k_{name}_{ctype} {{\ntypedef {ctype} T;\n"
            f"extern \"C\" __global__ void {name}_{ctype}({', '.join(pointers)}, long long n) {{\n"
            f"  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;\n"
            f"  if (i >= n) return;\n  {' '.join(decls)}\n  {operation}\n}}\n}}\n")


@needs_nvcc
def test_elementwise_kernels_compile_for_every_float_dtype(tmp_path, cupy_include):
    parts = ["#include <cupy/carray.cuh>", "#include <cupy/float16.cuh>",
             "#include <cupy/bfloat16.cuh>", fused.ELEMENTWISE_PREAMBLE]
    count = 0
    for name, (params, outs, operation) in fused.ELEMENTWISE.items():
        for ctype in fused.ROW_TYPES.values():
            parts.append(_elementwise_harness(name, params, outs, operation, ctype))
            count += 1
    proc = _nvcc("\n".join(parts), tmp_path, cupy_include)
    assert proc.returncode == 0, proc.stderr[-6000:]
    assert (tmp_path / "kernels.ptx").read_text().count(".entry") == count


@needs_nvcc
def test_compile_check_catches_errors(tmp_path, cupy_include):
    """The harness fails on a broken kernel (so that the two tests above can fail)."""
    broken = fused.ROW_SOURCE.replace("acc_log(s) + m", "acc_log(s) + undefined_name")
    proc = _nvcc(broken + "\ntemplate __global__ void logsumexp_rows<float>("
                 "const float* __restrict__ x, float* __restrict__ out, int cols);\n",
                 tmp_path, cupy_include)
    assert proc.returncode != 0 and "undefined_name" in proc.stderr


def test_fused_kernel_table_builds_on_cupy_without_a_gpu():
    """CuPy parses the ElementwiseKernels' parameter lists and the wrappers are set up when the
    table is built (no compilation or launch happens before the first call)."""
    cupy = pytest.importorskip("cupy")
    from ember_cuda import CupyArrays

    api = CupyArrays.__new__(CupyArrays)  # skips the GPU count: nothing here touches a device
    api.xp = api._cupy = cupy
    api._count = 1
    table = fused.kernels(api)
    assert {"gelu", "silu", "sigmoid", "softmax", "log_softmax", "native_norm",
            "native_norm_backward", "cross_entropy_nll", "cross_entropy_nll_backward",
            "scaled_dot_product_attention"} <= set(table)
