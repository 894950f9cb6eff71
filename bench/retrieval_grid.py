"""MRR and recall@5 of the tuning and check parts over a grid of the fusion weights (BM25 share, coverage bonus).

    KB_DATA_DIR=<indexed data dir> .venv/bin/python bench/retrieval_grid.py

Search only (no answers), so a grid of 20 settings takes about a minute. The weights are chosen on the tuning
part; the check part is printed beside it to see whether the choice carries over.
"""
from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dataset import load  # noqa: E402
from bench.judge import covers, first_covering_rank  # noqa: E402
from kb.library import KnowledgeBase  # noqa: E402
from kb.settings import load_settings  # noqa: E402


def measure(kb: KnowledgeBase, parts: dict, settings) -> dict:
    kb.settings = kb.retriever.settings = kb.stores.settings = settings
    out = {}
    for p, items in parts.items():
        rr = rec = 0
        for it in items:
            hits = kb.search(it["question"], top_k=5)
            ps = [h.text for h in hits]
            r = first_covering_rank(ps, it["evidence"][0]); rr += 1 / r if r else 0
            rec += all(any(covers(x, s) for x in ps) for s in it["evidence"])
        out[p] = (rr / len(items), rec / len(items))
    return out


def main() -> None:
    base = load_settings()
    kb = KnowledgeBase(base)
    parts = {p: [i for i in load(part=p) if i["evidence"]] for p in ("tune", "check")}
    print(f"defaults: KB_BM25_WEIGHT={base.bm25_weight} KB_COVERAGE_WEIGHT={base.coverage_weight}")
    print("| bm25 weight | coverage weight | tune MRR | tune recall@5 | check MRR | check recall@5 |")
    print("|---|---|---|---|---|---|")
    for bw, cw in itertools.product((0.4, 0.5, 0.6, 0.7), (0.0, 0.15, 0.3, 0.45, 0.6)):
        m = measure(kb, parts, base.replace(bm25_weight=bw, dense_weight=round(1 - bw, 2), coverage_weight=cw))
        print(f"| {bw} | {cw} | " + " | ".join(f"{v[0]:.3f} | {v[1]:.3f}" for v in m.values()) + " |", flush=True)


if __name__ == "__main__":
    main()
