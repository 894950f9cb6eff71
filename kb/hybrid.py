"""The reading side of the library: hybrid search over the stores (BM25 and dense candidates fused, a coverage
bonus), on questions and filters the library front has already checked."""
from __future__ import annotations

import dataclasses
from typing import Callable

from .model import Filters, Hit
from .retrieve import fuse, fuse_scores, make_hits, normalise
from .stores import Stores
from .text import TermWeights


class HybridRetriever:
    def __init__(self, stores: Stores, heal: Callable[[], None]):
        """heal: called when the BM25 files are damaged (the indexer rebuilds them when it may write)."""
        self.stores = stores
        self.settings = stores.settings
        self._heal = heal

    def _follow_other_writers(self) -> None:
        """Another process (a `kb ingest` beside `kb serve`) published: reopen the embedded vector store,
        whose index a client reads only once. The catalog and BM25 follow by themselves."""
        version = self.stores.bm25.version()
        if version != self.stores.seen_version and not self.stores.writing:
            if self.stores.seen_version is not None:
                self.stores.vectors.refresh()
            self.stores.seen_version = version

    def search(self, question: str, filters: Filters, top_k: int | None = None) -> list[Hit]:
        """The top_k passages for a checked question under checked filters (kb.filters.check)."""
        st, settings = self.stores, self.settings
        top_k = top_k or settings.top_k
        self._follow_other_writers()
        if st.bm25.problem():
            self._heal()
        n = max(settings.candidates, top_k)
        question_terms = st.tokenizer.query_terms(question)
        ranked = {"bm25": st.bm25.search(st.tokenizer.expand(question_terms), n, st.catalog.filter_chunk_ids(filters))}
        ranked["dense"] = st.vectors.query(st.embedder.get_query_embedding(question), n, filters)
        weights = {"bm25": settings.bm25_weight, "dense": settings.dense_weight}
        if settings.fusion == "rrf":
            fused = normalise(fuse(ranked, weights, settings.rrf_k))
        else:
            fused = normalise(fuse_scores(ranked, weights))
        rows = st.catalog.chunks(list(fused))
        if settings.coverage_weight:
            # Rank fusion rewards agreement; coverage rewards passages that hold every part of the question.
            weighted = TermWeights(question_terms, st.bm25.idf, st.tokenizer.aliases, settings.soft_match)
            for chunk_id, row in rows.items():
                fused[chunk_id] += settings.coverage_weight * weighted.coverage(row["index_text"])
        order = sorted(fused, key=lambda cid: -fused[cid])
        return make_hits(order, fused, ranked, rows)[:top_k]

    def evidence(self, question: str, filters: Filters) -> list[Hit]:
        """The passages an answer is drawn from: the question's top passages and, for a question of several
        parts, each part's own top passages (a later part with the earlier parts' subject words)."""
        from .answer.question import split_parts
        hits = self.search(question, filters, self.settings.top_k)
        parts = split_parts(question, self.settings.answer_max_parts)
        if len(parts) < 2 or not self.settings.part_top_k:
            return hits
        seen = {h.chunk_id for h in hits}
        for i, part in enumerate(parts):
            subject = " ".join(parts[:i])
            for h in self.search(f"{subject} {part}".strip(), filters, self.settings.part_top_k):
                if h.chunk_id not in seen:
                    seen.add(h.chunk_id)
                    hits.append(dataclasses.replace(h, rank=len(hits) + 1))
        return hits
