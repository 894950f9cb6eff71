"""Types that cross the seams (kb → ui, CLI, export, history): what a search finds, what an answer is and what it
cites, what indexing, the catalog, status and repair report. Frozen dataclasses with to_json; no dicts read by key."""
from __future__ import annotations

from dataclasses import dataclass, field, fields

NOT_FOUND = "资料中未找到相关内容。"


@dataclass(frozen=True)
class Filters:
    doc_ids: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""

    def __bool__(self) -> bool:
        return bool(self.doc_ids or self.kinds or self.date_from or self.date_to)

    def to_json(self) -> dict:
        return {"doc_ids": list(self.doc_ids), "kinds": list(self.kinds), "date_from": self.date_from,
                "date_to": self.date_to}


@dataclass(frozen=True)
class Hit:
    rank: int
    chunk_id: str
    text: str
    score: float                  # fused score used for ranking
    doc_id: str
    title: str
    source: str
    date: str
    article: str
    section: str = ""
    page: int | None = None
    publication: str = ""
    issue: str = ""
    kind: str = ""
    bm25_score: float | None = None
    dense_score: float | None = None
    found_by: tuple[str, ...] = field(default=())

    def to_json(self) -> dict:
        return {"rank": self.rank, "chunk_id": self.chunk_id, "text": self.text, "score": round(self.score, 6),
                "doc_id": self.doc_id, "title": self.title, "source": self.source, "date": self.date,
                "article": self.article, "section": self.section, "page": self.page,
                "publication": self.publication, "issue": self.issue, "kind": self.kind,
                "bm25_score": self.bm25_score, "dense_score": self.dense_score, "found_by": list(self.found_by)}


def place(parts, page: int | None = None, sep: str = " · ") -> str:
    """The one “where” line of a passage: the known parts (document, issue, date, article, section, …) each once,
    then 第N页. Callers choose the parts; the joining, the dedup and the page's wording live here."""
    seen: list[str] = []
    for part in [*parts, f"第{page}页" if page else ""]:
        if part and part not in seen:
            seen.append(part)
    return sep.join(seen)


@dataclass(frozen=True)
class SentenceCheck:
    """One sentence of a generated answer checked against the passages it cites (kb.verify)."""
    text: str
    citations: tuple[int, ...]
    verified: bool
    problems: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"text": self.text, "citations": list(self.citations), "verified": self.verified,
                "problems": list(self.problems)}


@dataclass(frozen=True)
class Citation:
    n: int
    hit: Hit
    quote: str
    spans: tuple[tuple[int, int], ...]     # offsets of the quoted text in hit.text
    # The date of the quoted fact (kb.dated): the document's date unless the sentence dates itself (2022年，…).
    fact_date: str = ""

    def to_json(self) -> dict:
        h = self.hit
        return {"n": self.n, "chunk_id": h.chunk_id, "text": h.text, "doc_id": h.doc_id, "title": h.title,
                "source": h.source, "date": h.date, "fact_date": self.fact_date, "article": h.article,
                "section": h.section, "page": h.page, "publication": h.publication, "issue": h.issue,
                "score": round(h.score, 6), "quote": self.quote, "quote_spans": [list(s) for s in self.spans]}


@dataclass(frozen=True)
class Figure:
    """One of the differing figures for a measure: the value as written, where and when."""
    value: str                 # as written: 154家
    quote: str                 # the clause that gives it
    n: int                     # its citation number in the answer
    title: str                 # its document
    doc_date: str
    fact_date: str

    def to_json(self) -> dict:
        return {"value": self.value, "quote": self.quote, "n": self.n, "title": self.title,
                "doc_date": self.doc_date, "fact_date": self.fact_date}


@dataclass(frozen=True)
class Disagreement:
    """Passages giving different figures for one subject and measure, newest first."""
    subject: str
    measure: str
    figures: tuple[Figure, ...]
    missing: tuple[str, ...] = ()       # LLM answers: figures the answer does not cite (flagged)

    def to_json(self) -> dict:
        return {"subject": self.subject, "measure": self.measure, "figures": [f.to_json() for f in self.figures],
                "missing": list(self.missing)}


@dataclass(frozen=True)
class ScoredQuote:
    """One candidate quote for a question part, with the feature values the scorer saw."""
    text: str
    source: str
    score: float                          # the scorer's probability that this quote answers the part
    features: tuple[tuple[str, float], ...]

    def to_json(self) -> dict:
        return {"text": self.text, "source": self.source, "score": round(self.score, 4),
                "features": {k: round(v, 4) if v == v else None for k, v in self.features}}


@dataclass(frozen=True)
class PartExplain:
    """Why a part of the question got its quote, or why it was refused."""
    part: str
    kind: str                             # answer kind (kb.answer.kinds)
    answered: bool
    reason: str                           # Chinese; empty when answered
    answerable: float = 0.0               # the refusal model's probability that the part is answered
    top: tuple[ScoredQuote, ...] = ()

    def to_json(self) -> dict:
        return {"part": self.part, "kind": self.kind, "answered": self.answered, "reason": self.reason,
                "answerable": self.answerable,
                "top": [q.to_json() for q in self.top]}


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    answered: bool
    citations: tuple[Citation, ...] = ()
    related: tuple[Hit, ...] = ()          # closest passages, shown as 可能相关 when not answered
    answerer: str = "extractive"
    # Support for the answer: the share of the question its passages hold (rules answerer), or the answerability
    # of the weakest answered part (fitted answerer); 0 when refused.
    coverage: float = 0.0
    notes: tuple[str, ...] = field(default=())
    verification: tuple[SentenceCheck, ...] = ()    # per sentence of an LLM answer (kb.verify)
    explain: tuple[PartExplain, ...] = ()
    disagreement: Disagreement | None = None   # set when the passages differ on the figure asked for

    @property
    def verified_count(self) -> int:
        return sum(c.verified for c in self.verification)

    def to_json(self, explain: bool = False) -> dict:
        checked = None if self.answerer == "extractive" else {
            "verified": self.verified_count, "total": len(self.verification),
            "sentences": [c.to_json() for c in self.verification]}
        out = {"question": self.question, "answer": self.text, "answered": self.answered,
               "answerer": self.answerer, "coverage": round(self.coverage, 3),
               "citations": [c.to_json() for c in self.citations],
               "related": [h.to_json() for h in self.related], "notes": list(self.notes),
               "verification": checked,
               "disagreement": self.disagreement.to_json() if self.disagreement else None}
        if explain:
            out["explain"] = [p.to_json() for p in self.explain]
        return out


@dataclass(frozen=True)
class IngestEvent:
    """One per file: status is ok | unchanged | renamed | duplicate | failed."""
    index: int
    total: int
    name: str
    status: str
    message: str
    doc_id: str = ""
    chunks: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    def to_json(self) -> dict:
        return {"index": self.index, "total": self.total, "name": self.name, "status": self.status,
                "message": self.message, "doc_id": self.doc_id, "chunks": self.chunks,
                "warnings": list(self.warnings)}


STATUS_LABELS = {"ok": "成功", "unchanged": "未变化", "renamed": "已更名", "duplicate": "重复", "failed": "失败"}


@dataclass(frozen=True)
class DocumentInfo:
    """One document as the catalog holds it (its columns, in the table's order)."""
    doc_id: str
    title: str = ""
    publication: str = ""
    issue: str = ""
    date: str = ""
    kind: str = ""
    source: str = ""
    path: str = ""
    content_hash: str = ""
    status: str = ""                      # ready | staging
    n_chunks: int = 0
    n_chars: int = 0
    warnings: str = "[]"                  # JSON list, as stored
    ingested_at: str = ""

    @classmethod
    def from_row(cls, row) -> "DocumentInfo":
        """A catalog row or a manifest's copy of one (a mapping with the table's columns)."""
        return cls(**{f.name: row[f.name] for f in fields(cls) if f.name in row.keys()})

    @property
    def name(self) -> str:
        """How a document is named to staff: its title, else its file name."""
        return self.title or self.source

    def to_json(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Status:
    documents: tuple[DocumentInfo, ...]
    data_dir: str
    vector_store: str
    embedding: str

    @property
    def n_documents(self) -> int:
        return len(self.documents)

    @property
    def n_chunks(self) -> int:
        return sum(d.n_chunks for d in self.documents)

    @property
    def date_range(self) -> tuple[str, str] | None:
        dates = sorted(d.date for d in self.documents if d.date)
        return (dates[0], dates[-1]) if dates else None

    def to_json(self) -> dict:
        return {"documents": [d.to_json() for d in self.documents], "n_documents": self.n_documents,
                "n_chunks": self.n_chunks, "date_range": self.date_range, "data_dir": self.data_dir,
                "vector_store": self.vector_store, "embedding": self.embedding}


@dataclass(frozen=True)
class RepairReport:
    removed_vectors: int = 0
    added_vectors: int = 0
    bm25_rebuilt: bool = False
    restored_documents: tuple[str, ...] = ()    # put back into the catalog from the manifest
    manifests_written: int = 0
    staged_removed: int = 0
    notes: tuple[str, ...] = ()                 # Chinese lines: what was wrong, what was (or would be) done
    dry_run: bool = False

    def lines(self) -> list[str]:
        verb = "将" if self.dry_run else "已"
        out = list(self.notes)
        if self.restored_documents:
            out.append(f"{verb}从清单恢复 {len(self.restored_documents)} 个文档：{'、'.join(sorted(self.restored_documents))}")
        if self.staged_removed:
            out.append(f"{verb}清除未完成的索引 {self.staged_removed} 个")
        out.append(f"{verb}删除多余向量 {self.removed_vectors} 个，{verb}补齐向量 {self.added_vectors} 个，BM25 "
                   + ((f"{verb}重建") if self.bm25_rebuilt else "无需重建"))
        if self.manifests_written:
            out.append(f"{verb}写入文档清单 {self.manifests_written} 个")
        return out

    def to_json(self) -> dict:
        return {"removed_vectors": self.removed_vectors, "added_vectors": self.added_vectors,
                "bm25_rebuilt": self.bm25_rebuilt, "restored_documents": list(self.restored_documents),
                "manifests_written": self.manifests_written, "staged_removed": self.staged_removed,
                "notes": list(self.notes), "dry_run": self.dry_run, "lines": self.lines()}
