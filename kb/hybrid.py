"""The reading side of the library: hybrid search over the stores (BM25 and dense candidates fused, a coverage
bonus, the top reranked by kb.rerank), on questions and filters the library front has already checked."""
from __future__ import annotations

import dataclasses
from typing import Callable

from .answer.question import fact_parts, split_parts
from .model import Filters, Hit
from .rerank import features, rerank, sentences, unit
from .retrieve import fuse, fuse_lists, fuse_scores, make_hits, normalise
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

    def search(self, question: str, filters: Filters, top_k: int | None = None,
               memo: dict | None = None, by_parts: bool = True) -> list[Hit]:
        """The top_k passages for a checked question under checked filters (kb.filters.check). A question of
        several parts ranks the whole question's list fused with each part's (part_fusion, unless by_parts is
        false), so every part's best passage can reach the top, not only the part that dominates its words.

        memo: one answer's searches (the evidence, then the dated claims with a wider top-k) often repeat a
        text; the caller's dict keeps each ranked list for the length of that answer, cut to each top-k."""
        top_k = top_k or self.settings.top_k
        n = self._depth(top_k)
        ranked = self._ranked(question, filters, n, memo)
        queries = self.part_queries(question) if by_parts else []
        if len(queries) > 1 and self.settings.part_fusion:
            ranked = fuse_lists([ranked] + [self._ranked(q, filters, n, memo) for q in queries],
                                [self.settings.part_whole_weight] + [1.0] * len(queries), self.settings.part_rrf_k)
        return ranked[:top_k]

    def part_queries(self, question: str) -> list[str]:
        """One query per part of the question; a later part carries the earlier parts' words (its subject). A
        part asking whether the sources agree keeps its query: it often names them (春季刊和秋季刊一样吗)."""
        parts = split_parts(question, self.settings.answer_max_parts)
        return [" ".join(parts[:i + 1]) for i in range(len(parts))]

    def _depth(self, top_k: int) -> int:
        """How many candidates each retriever gives a ranking (one depth, so the memo's lists are shared)."""
        return max(self.settings.candidates, top_k)

    def _ranked(self, question: str, filters: Filters, n: int, memo: dict | None) -> list[Hit]:
        key = (question, filters, n)
        if memo is not None and key in memo:
            return memo[key]
        self._follow_other_writers()
        if self.stores.bm25.problem():
            self._heal()
        ranked = self._rank(question, filters, n)
        if memo is not None:
            memo[key] = ranked
        return ranked

    def _rank(self, question: str, filters: Filters, n: int) -> list[Hit]:
        """BM25 and dense candidates (n of each), fused, with the coverage bonus; best first."""
        st, settings = self.stores, self.settings
        question_terms = st.tokenizer.query_terms(question)
        ranked = {"bm25": st.bm25.search(st.tokenizer.expand(question_terms), n, st.catalog.filter_chunk_ids(filters))}
        query_vector = st.embedder.get_query_embedding(question)
        ranked["dense"] = st.vectors.query(query_vector, n, filters)
        weights = {"bm25": settings.bm25_weight, "dense": settings.dense_weight}
        if settings.fusion == "rrf":
            fused = normalise(fuse(ranked, weights, settings.rrf_k))
        else:
            fused = normalise(fuse_scores(ranked, weights))
        rows = st.catalog.chunks(list(fused))
        weighted = TermWeights(question_terms, st.bm25.idf, st.tokenizer.aliases, settings.soft_match)
        if settings.coverage_weight:
            # Rank fusion rewards agreement; coverage rewards passages that hold every part of the question.
            for chunk_id, row in rows.items():
                fused[chunk_id] += settings.coverage_weight * weighted.coverage(row["index_text"])
        order = sorted(fused, key=lambda cid: -fused[cid])
        hits = make_hits(order, fused, ranked, rows)
        reranker = st.reranker()
        if reranker is None or not hits:
            return hits
        head = hits[:settings.rerank_depth]
        x = self.rerank_features(head, weighted, query_vector)
        return rerank(hits, [reranker.model.logit(v) for v in x])

    def rerank_features(self, hits: list[Hit], weighted: TermWeights, query_vector) -> list[tuple[float, ...]]:
        """kb.rerank.NAMES of each hit: its sentences' vectors come from the cache filled at ingest."""
        texts = sorted({s for h in hits for s in sentences(h.text)})
        vectors = dict(zip(texts, map(unit, self.stores.embedder.get_text_embedding_batch(texts)))) if texts else {}
        return features(hits, weighted, unit(query_vector), vectors)

    def evidence(self, question: str, filters: Filters, memo: dict | None = None) -> list[Hit]:
        """The passages an answer is drawn from: the question's top passages and, for a question of several
        parts, each part's own top passages."""
        hits = self.search(question, filters, self.settings.top_k, memo)
        seen = {h.chunk_id for h in hits}

        def add(h: Hit) -> None:
            seen.add(h.chunk_id)
            hits.append(dataclasses.replace(h, rank=len(hits) + 1))

        queries = self.part_queries(question)
        n = self._depth(self.settings.top_k)
        if len(queries) > 1 and self.settings.part_top_k:
            for query in queries:
                for h in self._ranked(query, filters, n, memo)[:self.settings.part_top_k]:
                    if h.chunk_id not in seen:
                        add(h)
        facts, compared = fact_parts(question, self.settings.answer_max_parts)
        if compared and self.settings.compare_sources:
            # Each other article's best passage for the fact asked, from a wider list than the top passages.
            articles = {(h.doc_id, h.article) for h in hits}
            wide = self._ranked(" ".join(facts), filters, self._depth(self.settings.dated_candidates), memo)
            added = 0
            for h in wide:
                if added == self.settings.compare_sources:
                    break
                if (h.doc_id, h.article) not in articles and h.chunk_id not in seen:
                    articles.add((h.doc_id, h.article))
                    add(h)
                    added += 1
        return hits
