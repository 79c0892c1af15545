"""Train a keyword spotter (M5 on raw 8 kHz audio) offline, on real speech.

There is no word corpus in the repository, so the "keywords" are eight 0.3-second pieces of one
real recording (CMU ARCTIC a0007, 16 kHz, in tests/audio/fixtures). Every example places one
piece in a 1-second clip and disguises it the way recordings differ: speed ±12 % (resampling,
which also shifts the pitch), random position, gain, a random low- or high-pass biquad, and
background noise at 0-20 dB SNR (white, or the other pieces of the recording as babble).
Training and held-out clips come from different random draws, so the held-out accuracy measures
recognition of the piece under unseen disguises (chance is 1/8). It is a synthetic task built
on real audio, not a benchmark of real keyword spotting.

Run:  python examples/audio_keyword_spotting.py [--steps 150] [--wav path.wav] [--target 0.6]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import ember
import ember.nn.functional as F
import ember_audio
import ember_audio.functional as AF
from ember_audio.models import M5

SAMPLE_RATE = 8000
N_CLASSES = 8
PIECE = 0.3                    # seconds of speech per keyword
DEFAULT_WAV = Path(__file__).resolve().parent.parent / "tests/audio/fixtures/arctic_a0007.wav"


def keyword_pieces(path: Path) -> list[np.ndarray]:
    """Eight non-overlapping 0.3 s pieces of the voiced part (0.4 s … 3.0 s), at 8 kHz."""
    waveform, sample_rate = ember_audio.load(path)
    waveform = AF.resample(waveform, sample_rate, SAMPLE_RATE)[0].numpy()
    starts = np.linspace(0.4, 3.0 - PIECE, N_CLASSES)
    n = int(PIECE * SAMPLE_RATE)
    return [waveform[int(s * SAMPLE_RATE):int(s * SAMPLE_RATE) + n] for s in starts]


SPEEDS = np.linspace(0.88, 1.12, 7)
FILTERS = [("lowpass", 1800.0), ("lowpass", 3000.0), ("highpass", 150.0), ("highpass", 400.0)]


def speed_variants(pieces: list[np.ndarray]) -> list[list[np.ndarray]]:
    """Each piece played at each speed (resampling to 8000 / speed Hz and calling it 8000 Hz
    shifts tempo and pitch together, like a faster or slower talker)."""
    rates = [int(round(SAMPLE_RATE / s / 100)) * 100 for s in SPEEDS]   # small gcd: fast
    return [[AF.resample(ember.tensor(p), SAMPLE_RATE, r).numpy() for r in rates] for p in pieces]


def make_set(variants, n: int, seed: int):
    """``n`` one-second clips: a random piece at a random speed, position and gain, through a
    random biquad, plus white noise or babble (the other pieces) at 0-20 dB SNR."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, N_CLASSES, n)
    clips = np.zeros((n, SAMPLE_RATE), dtype=np.float32)
    for i, k in enumerate(labels):
        x = variants[k][rng.integers(len(SPEEDS))] * rng.uniform(0.3, 1.5)
        start = rng.integers(0, SAMPLE_RATE - len(x))
        clips[i, start:start + len(x)] = x
    clips = ember.tensor(clips)
    which = rng.integers(0, len(FILTERS), n)
    for f, (kind, cutoff) in enumerate(FILTERS):       # one batched IIR call per filter
        rows = ember.tensor(np.flatnonzero(which == f))
        biquad = AF.lowpass_biquad if kind == "lowpass" else AF.highpass_biquad
        clips[rows] = biquad(clips[rows], SAMPLE_RATE, cutoff)
    clips = clips.numpy()
    babble = np.concatenate([v[len(SPEEDS) // 2] for v in variants])
    for i in range(n):
        if rng.random() < 0.5:
            noise = rng.standard_normal(SAMPLE_RATE).astype(np.float32)
        else:
            noise = np.resize(np.roll(babble, rng.integers(len(babble))), SAMPLE_RATE)
        power = (clips[i] ** 2).sum() / (PIECE * SAMPLE_RATE)  # the speech's own power
        clips[i] += np.sqrt(power / ((noise ** 2).mean() * 10 ** (rng.uniform(0, 20) / 10))) \
            * noise
    return ember.tensor(clips[:, None, :]), ember.tensor(labels)


def accuracy(model, clips, labels) -> float:
    model.eval()
    with ember.no_grad():
        pred = model(clips).squeeze(1).argmax(dim=-1)
    model.train()
    return float((pred == labels).float().mean())


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--wav", type=Path, default=DEFAULT_WAV)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target", type=float, default=0.6,
                        help="fail (exit status 1) below this held-out accuracy")
    args = parser.parse_args(argv)
    ember.manual_seed(args.seed)
    start = time.time()
    variants = speed_variants(keyword_pieces(args.wav))
    train_x, train_y = make_set(variants, 512, seed=args.seed + 1)
    test_x, test_y = make_set(variants, 256, seed=args.seed + 2)   # held-out draws
    print(f"data: {len(train_y)} training / {len(test_y)} held-out clips "
          f"({time.time() - start:.1f} s)")

    model = M5(n_input=1, n_output=N_CLASSES, stride=16, n_channel=32)
    optimizer = ember.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-4)
    scheduler = ember.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.01,
                                                    total_steps=args.steps)
    rng = np.random.default_rng(args.seed)
    for step in range(1, args.steps + 1):
        idx = ember.tensor(rng.integers(0, len(train_y), args.batch_size))
        loss = F.nll_loss(model(train_x[idx]).squeeze(1), train_y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        if step % 50 == 0 or step == args.steps:
            print(f"step {step:4d}  loss {float(loss):.3f}")
    acc = accuracy(model, test_x, test_y)
    print(f"held-out accuracy {acc:.3f} (chance {1 / N_CLASSES:.3f}), "
          f"{time.time() - start:.1f} s in all")
    if acc < args.target:
        raise SystemExit(f"held-out accuracy {acc:.3f} is below the target {args.target}")
    return acc


if __name__ == "__main__":
    main()
