"""ember-audio transforms vs the same arithmetic in PyTorch, side by side in one run, single thread.

    python benchmarks/bench_audio.py [--json PATH] [--repeat N]

torchaudio cannot be installed beside the CPU torch wheel of ``nox -s bench``, so the PyTorch
column runs torchaudio's own formulas written in torch: ``torch.stft`` (+ ``|.|²`` and a matmul
with the same mel filterbank) for the spectrograms, one strided ``conv1d`` with the same sinc
kernels for the resampler. Input: 8 clips of 4 s at 16 kHz (64000 samples). ``lfilter`` has no
torch counterpart without torchaudio; its row compares with ``scipy.signal.lfilter`` (C loop).
"""

from __future__ import annotations

import sys

# isort: off
from bench_core import (  # first: fixes the BLAS/thread environment before NumPy loads
    Row,
    argument_parser,
    report,
    single_thread,
    torch,
    try_time,
)
# isort: on
import numpy as np

import ember
import ember_audio.functional as AF
import ember_audio.transforms as T
from ember_audio.functional.resampling import _get_sinc_resample_kernel

SIGNAL = np.random.default_rng(0).standard_normal((8, 64000)).astype(np.float32) * 0.1
MEL_FB = AF.melscale_fbanks(201, 0.0, 8000.0, 80, 16000).numpy()


def _inputs(lib, grad=False):
    x = lib.tensor(SIGNAL)
    return x.requires_grad_() if grad else x


def stft_row(repeat) -> Row:
    def make(lib):
        x, window = _inputs(lib), lib.hann_window(400)
        return lambda: lib.stft(x, 400, 160, window=window, return_complex=True)

    ember_s, err = try_time(lambda: make(ember), repeat)
    torch_s = try_time(lambda: make(torch), repeat)[0] if torch else None
    return Row("stft n_fft 400 hop 160, 8×64000", ember_s, torch_s, error=err)


def _torch_melspec(x, window, fb):
    spec = torch.stft(x, 400, 160, window=window, return_complex=True).abs().pow(2.0)
    return torch.matmul(spec.transpose(-1, -2), fb).transpose(-1, -2)


def melspec_row(repeat, backward: bool) -> Row:
    def make_ember():
        x = _inputs(ember, backward)
        mel = T.MelSpectrogram(16000, n_fft=400, hop_length=160, f_max=8000.0, n_mels=80)
        if not backward:
            return lambda: mel(x)
        g = ember.ones(8, 80, 401)
        return lambda: ember.autograd.grad(mel(x), (x,), g)

    def make_torch():
        x, window, fb = _inputs(torch, backward), torch.hann_window(400), torch.tensor(MEL_FB)
        if not backward:
            return lambda: _torch_melspec(x, window, fb)
        g = torch.ones(8, 80, 401)
        return lambda: torch.autograd.grad(_torch_melspec(x, window, fb), (x,), g)

    ember_s, err = try_time(make_ember, repeat)
    torch_s = try_time(make_torch, repeat)[0] if torch else None
    name = "MelSpectrogram 80 mels, 8×64000" + (" forward + backward" if backward else "")
    return Row(name, ember_s, torch_s, error=err)


def resample_row(repeat) -> Row:
    kernel, width = _get_sinc_resample_kernel(16000, 22050, 50)   # gcd 50: 320 → 441 phases

    def make_ember():
        x, resampler = _inputs(ember), T.Resample(16000, 22050)
        return lambda: resampler(x)

    def make_torch():
        x, k = _inputs(torch), torch.tensor(kernel.numpy())

        def run():
            padded = torch.nn.functional.pad(x, (width, width + 320))
            out = torch.nn.functional.conv1d(padded[:, None], k, stride=320)
            return out.transpose(1, 2).reshape(8, -1)[..., :88200]

        return run

    ember_s, err = try_time(make_ember, repeat)
    torch_s = try_time(make_torch, repeat)[0] if torch else None
    return Row("Resample 16 kHz → 22.05 kHz, 8×64000", ember_s, torch_s, error=err)


def lfilter_row(repeat) -> Row:
    import scipy.signal

    b, a = scipy.signal.butter(2, 0.125)

    def make_ember():
        x, at, bt = _inputs(ember), ember.tensor(a, dtype=ember.float32), \
            ember.tensor(b, dtype=ember.float32)
        return lambda: AF.lfilter(x, at, bt, clamp=False)

    ember_s, err = try_time(make_ember, repeat)
    scipy_s = try_time(lambda: lambda: scipy.signal.lfilter(b, a, SIGNAL, axis=-1), repeat)[0]
    return Row("lfilter biquad, 8×64000 (torch column: scipy.signal.lfilter)", ember_s, scipy_s,
               error=err)


def main(argv: list[str] | None = None) -> int:
    args = argument_parser(__doc__).parse_args(argv)
    with single_thread() as env:
        rows = [stft_row(args.repeat), melspec_row(args.repeat, False),
                melspec_row(args.repeat, True), resample_row(args.repeat),
                lfilter_row(args.repeat)]
    report(rows, env, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
