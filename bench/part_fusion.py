"""How a multi-part question's ranked list is made: the whole question's list alone, or fused with each part's.

    KB_DATA_DIR=<indexed dir> python bench/part_fusion.py

For the dev questions of several parts (kb.answer.question.split_parts), ranks the whole question and each part
once, then scores each scheme's top 5 on the tuning and the check part (bench/dataset.py). The settings
KB_PART_WHOLE_WEIGHT / KB_PART_RRF_K were chosen from this table's tuning column (docs/quality.md).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dataset import DEFAULT_SETS, PARTS, load, part_of  # noqa: E402
from bench.judge import retrieved  # noqa: E402
from kb.library import KnowledgeBase  # noqa: E402
from kb.model import Filters  # noqa: E402
from kb.retrieve import fuse_lists  # noqa: E402


def _dedupe(seq, k):
    out, seen = [], set()
    for h in seq:
        if h.chunk_id not in seen:
            seen.add(h.chunk_id)
            out.append(h)
    return out[:k]


def _round_robin(lists, k):
    return _dedupe([lst[r] for r in range(max(map(len, lists))) for lst in lists if r < len(lst)], k)


SCHEMES = {
    "whole question only": lambda w, parts, k: w[:k],
    "whole top 1, then each part's top 1": lambda w, parts, k: _dedupe([w[0]] + [p[0] for p in parts if p] + w[1:], k),
    "round robin over the lists": lambda w, parts, k: _round_robin([w] + parts, k),
    **{f"RRF, whole weight {ww}, k {kk}": (lambda ww, kk: lambda w, parts, k: fuse_lists(
        [w] + parts, [ww] + [1.0] * len(parts), kk)[:k])(ww, kk)
       for kk in (2, 10, 60) for ww in (0.5, 1.0)},
}


def main() -> None:
    kb = KnowledgeBase(create=False)
    rows = []
    for item in load(DEFAULT_SETS):
        queries = kb.retriever.part_queries(item["question"])
        if not item["evidence"] or len(queries) < 2:
            continue
        ranked = [kb.retriever._ranked(q, Filters(), kb.retriever._depth(kb.settings.top_k), None) for q in [item["question"], *queries]]
        rows.append((item, ranked[0], ranked[1:]))
    print(f"| scheme ({len(rows)} questions of several parts) | " + " | ".join(f"{p} recall@5 / MRR" for p in PARTS)
          + " |\n|---|" + "---|" * len(PARTS))
    for name, scheme in SCHEMES.items():
        cells = []
        for part in PARTS:
            chosen = [(it, w, ps) for it, w, ps in rows if part_of(it["id"]) == part]
            recall = mrr = 0.0
            for it, w, ps in chosen:
                hit, rr = retrieved([h.text for h in scheme(w, ps, 5)], it["evidence"])
                recall += hit
                mrr += rr
            cells.append(f"{recall / len(chosen):.3f} / {mrr / len(chosen):.3f}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
