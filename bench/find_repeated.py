"""List measures the indexed corpus reports more than once with different figures (same subject, same unit,
what is measured worded alike; different values; different documents, or different articles of one document).

    python bench/find_repeated.py [--min-jaccard 0.5]

The probe questions in bench/probe_repeated.jsonl were written for the pairs this prints.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.claims import passage_claims  # noqa: E402
from kb.library import KnowledgeBase  # noqa: E402
from kb.retrieve import make_hits  # noqa: E402


def key(kb: KnowledgeBase, measure: str) -> frozenset[str]:
    return frozenset(kb.tokenizer.tokenize(measure))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--min-jaccard", type=float, default=0.5)
    args = parser.parse_args()
    kb = KnowledgeBase(create=False)
    ids = [r["chunk_id"] for r in kb.catalog.all_chunks("c.chunk_id")]
    rows = kb.catalog.chunks(ids)
    hits = make_hits(ids, {i: 0.0 for i in ids}, {}, rows)
    seen, claims = set(), []
    for hit in hits:
        for c in passage_claims(hit):
            ident = (hit.doc_id, hit.article, c.value, c.unit, c.measure)
            if ident not in seen and not c.target:
                seen.add(ident)
                claims.append((c, key(kb, c.measure)))
    pairs = 0
    for i, (a, ka) in enumerate(claims):
        for b, kb_ in claims[i + 1:]:
            if a.unit != b.unit or a.subject != b.subject or a.value == b.value or not ka or not kb_:
                continue
            if (a.hit.doc_id, a.hit.article) == (b.hit.doc_id, b.hit.article):
                continue
            jac = len(ka & kb_) / len(ka | kb_)
            if jac >= args.min_jaccard:
                pairs += 1
                print(f"{a.subject} | {a.measure} {a.surface} ({a.hit.doc_id} {a.date}) ≠ {b.measure} {b.surface} "
                      f"({b.hit.doc_id} {b.date}) J={jac:.2f}")
    print(f"{len(claims)} claims, {pairs} pairs", file=sys.stderr)


if __name__ == "__main__":
    main()
