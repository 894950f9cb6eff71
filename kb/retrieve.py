"""Hybrid retrieval: BM25 and dense candidates fused on chunk id.

Two fusions: reciprocal rank ("rrf") and normalised scores ("score": BM25 divided by the best BM25
score, dense similarity min-max scaled over the candidates). Either result is scaled to [0, 1] so a
coverage bonus can be added on the same scale. On the dev set "score" ranked better (docs/quality.md).
"""
from __future__ import annotations

import dataclasses

from .model import Filters, Hit  # noqa: F401  (Filters re-exported: its home is kb.model)


def fuse(ranked: dict[str, list[tuple[str, float]]], weights: dict[str, float], k: int) -> dict[str, float]:
    """Weighted reciprocal-rank fusion: sum of w / (k + rank) over the lists that found a chunk."""
    fused: dict[str, float] = {}
    for name, hits in ranked.items():
        for rank, (chunk_id, _) in enumerate(hits, start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weights.get(name, 1.0) / (k + rank)
    return fused


def fuse_scores(ranked: dict[str, list[tuple[str, float]]], weights: dict[str, float]) -> dict[str, float]:
    """Weighted sum of per-retriever scores normalised to [0, 1] over each retriever's candidates."""
    fused: dict[str, float] = {}
    for name, hits in ranked.items():
        if not hits:
            continue
        values = [v for _, v in hits]
        high, low = max(values), (min(values) if name != "bm25" else 0.0)
        span = (high - low) or 1.0
        for chunk_id, value in hits:
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weights.get(name, 1.0) * (value - low) / span
    return fused


def fuse_lists(lists: list[list[Hit]], weights: list[float], k: int) -> list[Hit]:
    """Ranked lists of hits (the whole question's and its parts') fused by weighted reciprocal rank; each hit
    keeps its own scores from the list that scored it highest, with its new rank."""
    fused = fuse({str(i): [(h.chunk_id, h.score) for h in hits] for i, hits in enumerate(lists)},
                 {str(i): w for i, w in enumerate(weights)}, k)
    best: dict[str, Hit] = {}
    for hit in (h for hits in lists for h in hits):
        if hit.chunk_id not in best or hit.score > best[hit.chunk_id].score:
            best[hit.chunk_id] = hit
    order = sorted(fused, key=lambda cid: -fused[cid])
    return [dataclasses.replace(best[cid], rank=i) for i, cid in enumerate(order, start=1)]


def normalise(scores: dict[str, float]) -> dict[str, float]:
    top = max(scores.values(), default=0.0) or 1.0
    return {k: v / top for k, v in scores.items()}


def make_hits(order: list[str], fused: dict[str, float], ranked: dict[str, list[tuple[str, float]]],
              rows: dict[str, dict]) -> list[Hit]:
    raw = {name: dict(hits) for name, hits in ranked.items()}
    hits = []
    for chunk_id in order:
        row = rows.get(chunk_id)
        if row is None:        # not (or no longer) published: the catalog decides what queries see
            continue
        hits.append(Hit(rank=len(hits) + 1, chunk_id=chunk_id, text=row["text"], score=fused[chunk_id],
                        doc_id=row["doc_id"], title=row["title"], source=row["source"], date=row["date"],
                        article=row["article"] or "", section=row["section"] or "", page=row["page"],
                        publication=row["publication"] or "", issue=row["issue"] or "", kind=row["kind"] or "",
                        bm25_score=raw.get("bm25", {}).get(chunk_id), dense_score=raw.get("dense", {}).get(chunk_id),
                        found_by=tuple(n for n in ranked if chunk_id in raw[n])))
    return hits
