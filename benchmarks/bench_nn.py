"""ember.nn.functional micro-benchmarks vs PyTorch, side by side in one run, single thread.

    python benchmarks/bench_nn.py [--json PATH] [--repeat N]

Rows: the convolutions and pooling of the LeNet-style CNN of issue 3 (batch 64, 28×28 input):
forward, and forward + backward (input and weight gradients). The whole-model training-step
rows live in ``bench_train.py``. Same table format as ``bench_core.py``.
"""

from __future__ import annotations

import sys

from bench_core import (  # also fixes the BLAS/thread environment before NumPy loads
    Row,
    argument_parser,
    report,
    single_thread,
    torch,
    try_time,
)

import ember

# (name, input shape, weight shape, padding): the two convolutions of the LeNet-style CNN
CONVS = [
    ("conv2d 1→32 3×3 pad 1, 64×28×28", (64, 1, 28, 28), (32, 1, 3, 3), 1),
    ("conv2d 32→64 3×3 pad 1, 64×14×14", (64, 32, 14, 14), (64, 32, 3, 3), 1),
]


def _conv_setup(lib, x_shape, w_shape, grad):
    lib.manual_seed(0)
    x = lib.randn(*x_shape, requires_grad=grad)
    w = lib.randn(*w_shape, requires_grad=grad)
    b = lib.randn(w_shape[0], requires_grad=grad)
    return x, w, b


def conv_forward(name, x_shape, w_shape, padding, repeat) -> Row:
    def make(lib):
        x, w, b = _conv_setup(lib, x_shape, w_shape, False)
        F = lib.nn.functional
        return lambda: F.conv2d(x, w, b, padding=padding)

    ember_s, err = try_time(lambda: make(ember), repeat)
    torch_s = try_time(lambda: make(torch), repeat)[0] if torch else None
    return Row(f"{name} forward", ember_s, torch_s, error=err)


def conv_backward(name, x_shape, w_shape, padding, repeat) -> Row:
    def make(lib):
        x, w, b = _conv_setup(lib, x_shape, w_shape, True)
        F = lib.nn.functional
        g = lib.randn(x_shape[0], w_shape[0], *x_shape[2:])

        def step():
            y = F.conv2d(x, w, b, padding=padding)
            return lib.autograd.grad(y, (x, w, b), g)

        return step

    ember_s, err = try_time(lambda: make(ember), repeat)
    torch_s = try_time(lambda: make(torch), repeat)[0] if torch else None
    return Row(f"{name} forward + backward", ember_s, torch_s, error=err)


def max_pool(repeat) -> Row:
    def make(lib):
        lib.manual_seed(0)
        x = lib.randn(64, 32, 28, 28, requires_grad=True)
        g = lib.randn(64, 32, 14, 14)
        F = lib.nn.functional

        def step():
            return lib.autograd.grad(F.max_pool2d(x, 2), (x,), g)

        return step

    ember_s, err = try_time(lambda: make(ember), repeat)
    torch_s = try_time(lambda: make(torch), repeat)[0] if torch else None
    return Row("max_pool2d 2×2, 64×32×28×28 forward + backward", ember_s, torch_s, error=err)


def main(argv: list[str] | None = None) -> int:
    args = argument_parser(__doc__).parse_args(argv)
    with single_thread() as env:
        rows = []
        for spec in CONVS:
            rows.append(conv_forward(*spec, args.repeat))
            rows.append(conv_backward(*spec, args.repeat))
        rows.append(max_pool(args.repeat))
    report(rows, env, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
