"""Train a two-layer MLP on a noisy 3-arm spiral with ember's core alone (no nn module yet).

    python examples/train_mlp.py [--device cpu] [--steps 300]

Parameters are plain tensors with requires_grad=True; the loop is forward, loss, backward and a
hand-written SGD-with-momentum step — the same script runs on any registered device.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

import ember


def spiral(n_per_class: int, classes: int, rng: np.random.Generator):
    """The classic CS231n spiral: 2-D points on `classes` interleaved arms."""
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(c * 4, (c + 1) * 4, n_per_class) + rng.normal(0, 0.2, n_per_class)
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys.append(np.full(n_per_class, c))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.int64)


def init_linear(fan_in: int, fan_out: int, device):
    """PyTorch's default Linear init: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1 / math.sqrt(fan_in)
    w = (ember.rand(fan_in, fan_out, device=device) * 2 - 1) * bound
    b = (ember.rand(fan_out, device=device) * 2 - 1) * bound
    return w.requires_grad_(), b.requires_grad_()


def cross_entropy(logits, target, classes: int):
    """Mean negative log-likelihood of the softmax, via logsumexp for stability."""
    one_hot = (ember.arange(classes, device=logits.device) == target.unsqueeze(1)).to(logits.dtype)
    picked = (logits * one_hot).sum(1)
    return (logits.logsumexp(1) - picked).mean()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--hidden", type=int, default=64)
    args = parser.parse_args()

    ember.manual_seed(0)
    x_np, y_np = spiral(200, 3, np.random.default_rng(0))
    x = ember.from_numpy(x_np).to(args.device)
    y = ember.from_numpy(y_np).to(args.device)

    params = [*init_linear(2, args.hidden, args.device), *init_linear(args.hidden, 3, args.device)]
    velocity = [ember.zeros_like(p) for p in params]
    lr, momentum = 0.5, 0.9

    start = time.perf_counter()
    for step in range(args.steps + 1):
        w1, b1, w2, b2 = params
        hidden = (x @ w1 + b1).clamp(min=0)  # ReLU
        logits = hidden @ w2 + b2
        loss = cross_entropy(logits, y, 3)
        for p in params:
            p.grad = None
        loss.backward()
        with ember.no_grad():
            for p, v in zip(params, velocity):
                v.mul_(momentum).add_(p.grad)
                p.sub_(v, alpha=lr)
        if step % 50 == 0:
            accuracy = (logits.argmax(1) == y).float().mean().item()
            print(f"step {step:4d}  loss {loss.item():.4f}  accuracy {accuracy:.3f}")
    print(f"trained {args.steps} steps on {args.device} in {time.perf_counter() - start:.2f} s")
    if accuracy < 0.9:
        raise SystemExit(f"the MLP should fit the spiral (accuracy {accuracy:.3f} < 0.9)")


if __name__ == "__main__":
    main()
