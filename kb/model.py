"""Types that cross the kb → ui/CLI/export seam: what an answer is and what it cites."""
from __future__ import annotations

from dataclasses import dataclass, field

from .retrieve import Hit

NOT_FOUND = "资料中未找到相关内容。"


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
    verification: tuple = ()               # kb.verify.SentenceCheck per sentence of an LLM answer
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
