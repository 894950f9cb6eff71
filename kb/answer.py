"""The default answerer: no LLM; picks the sentences of the retrieved passages that answer the question.

Each question segment (split at ？ and ；) gets the sentence whose words cover it best, weighted by
IDF; numeric questions prefer sentences with numbers, list questions sentences with enumerations.
Long sentences are cut to the clauses that carry the match. When even the best sentence covers too
little of the question, the answer is a plain refusal.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.chunking import split_sentences

from .retrieve import Hit

NOT_FOUND = "资料中未找到相关内容。"
NUMERIC_Q = re.compile(r"多少|几|多大|多高|多长|多久|比例|占比|金额|数量|规模|哪年|哪一年|何时|什么时候|哪天|日期|排名|第几|名次|最高|最低")
LIST_Q = re.compile(r"哪些|哪几|包括|有什么|分别|几类|几项")
_DIGIT = re.compile(r"\d")
_CLAUSE = re.compile(r"[^，,：:]*[，,：:]?")


@dataclass(frozen=True)
class Citation:
    n: int
    hit: Hit
    quote: str
    spans: tuple[tuple[int, int], ...]     # offsets of the quoted text in hit.text

    def to_json(self) -> dict:
        h = self.hit
        return {"n": self.n, "chunk_id": h.chunk_id, "text": h.text, "doc_id": h.doc_id, "title": h.title,
                "source": h.source, "date": h.date, "article": h.article, "section": h.section, "page": h.page,
                "publication": h.publication, "issue": h.issue, "score": round(h.score, 6),
                "quote": self.quote, "quote_spans": [list(s) for s in self.spans]}


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    answered: bool
    citations: tuple[Citation, ...] = ()
    related: tuple[Hit, ...] = ()          # closest passages, shown as 可能相关 when not answered
    answerer: str = "extractive"
    coverage: float = 0.0
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict:
        return {"question": self.question, "answer": self.text, "answered": self.answered,
                "answerer": self.answerer, "coverage": round(self.coverage, 3),
                "citations": [c.to_json() for c in self.citations],
                "related": [h.to_json() for h in self.related], "notes": list(self.notes)}


@dataclass
class _Candidate:
    hit_index: int
    start: int
    end: int
    text: str


class TermWeights:
    """Question terms with IDF weights, and a coverage measure over a piece of text."""

    def __init__(self, terms: list[str], idf, aliases: dict[str, set[str]]):
        self.terms = [t for t in terms if len(t) > 1 or not t.isascii()]
        self.weights = {t: idf(t) for t in self.terms}
        self.aliases = aliases
        self.total = sum(self.weights.values()) or 1.0

    def present(self, term: str, text: str) -> bool:
        return term in text or any(a in text for a in self.aliases.get(term, ()))

    def coverage(self, text: str) -> float:
        text = text.lower()
        return sum(w for t, w in self.weights.items() if self.present(t, text)) / self.total

    def matched_weight(self, text: str) -> float:
        text = text.lower()
        return sum(w for t, w in self.weights.items() if self.present(t, text))


def question_segments(question: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"[？?；;！!。]", question) if len(p.strip()) >= 2]
    return parts or [question]


def _candidates(hits: list[Hit]) -> list[_Candidate]:
    out = []
    for i, hit in enumerate(hits):
        for a, b in split_sentences(hit.text):
            if b - a >= 6:
                out.append(_Candidate(i, a, b, hit.text[a:b]))
    return out


def _trim(c: _Candidate, weights: TermWeights, numeric: bool, max_chars: int) -> tuple[int, int]:
    """The window of whole clauses (≤ max_chars) of a long sentence that carries most of the match."""
    if c.end - c.start <= max_chars:
        return c.start, c.end
    clauses, pos = [], c.start
    for m in _CLAUSE.finditer(c.text):
        if m.group():
            clauses.append((pos + m.start(), pos + m.end()))
    best, best_score = (c.start, c.start + max_chars), -1.0
    source = c.text
    for i in range(len(clauses)):
        for j in range(i, len(clauses)):
            a, b = clauses[i][0], clauses[j][1]
            if b - a > max_chars:
                break
            piece = source[a - c.start:b - c.start]
            score = weights.matched_weight(piece) + (0.5 if numeric and _DIGIT.search(piece) else 0) - 0.001 * (b - a)
            if score > best_score:
                best, best_score = (a, b), score
    return best


def _score(c: _Candidate, seg: TermWeights, whole: TermWeights, numeric: bool, listing: bool) -> float:
    score = 0.6 * seg.coverage(c.text) + 0.4 * whole.coverage(c.text)
    if numeric and _DIGIT.search(c.text):
        score += 0.15
    if listing and "、" in c.text:
        score += 0.1
    return score + 0.04 / (1 + c.hit_index)


def extractive_answer(question: str, hits: list[Hit], tokenizer, idf, min_coverage: float = 0.5,
                      max_sentences: int = 3, max_chars: int = 120) -> Answer:
    if not hits:
        return Answer(question, NOT_FOUND, False)
    whole = TermWeights(tokenizer.query_terms(question), idf, tokenizer.aliases)
    candidates = _candidates(hits)
    best_cov = max((whole.coverage(c.text) for c in candidates), default=0.0)
    # Some facts span two sentences of one passage: the passage's coverage also counts, discounted.
    passage_cov = max((whole.coverage(h.text) for h in hits[:3]), default=0.0)
    coverage = max(best_cov, 0.9 * passage_cov)
    if coverage < min_coverage:
        return Answer(question, NOT_FOUND, False, related=tuple(hits[:3]), coverage=coverage)

    chosen: list[tuple[_Candidate, tuple[int, int]]] = []
    for segment in question_segments(question)[:max_sentences]:
        seg = TermWeights(tokenizer.query_terms(segment), idf, tokenizer.aliases)
        numeric, listing = bool(NUMERIC_Q.search(segment)), bool(LIST_Q.search(segment))
        ranked = sorted(candidates, key=lambda c: -_score(c, seg, whole, numeric, listing))
        pick = next((c for c in ranked if all(c is not x for x, _ in chosen)), None)
        if pick is not None:
            chosen.append((pick, _trim(pick, seg if seg.terms else whole, numeric, max_chars)))

    numbers: dict[int, int] = {}
    citations: dict[int, list] = {}
    pieces = []
    for cand, (a, b) in chosen:
        hit = hits[cand.hit_index]
        n = numbers.setdefault(cand.hit_index, len(numbers) + 1)
        citations.setdefault(cand.hit_index, []).append((a, b))
        quote = hit.text[a:b].strip().rstrip("，,：:；;。")
        pieces.append(f"{quote}[{n}]")
    text = "；".join(pieces) + "。"
    cites = tuple(
        Citation(n=numbers[i], hit=hits[i], quote="……".join(hits[i].text[a:b].strip() for a, b in spans),
                 spans=tuple(spans))
        for i, spans in sorted(citations.items(), key=lambda kv: numbers[kv[0]]))
    return Answer(question, text, True, cites, related=tuple(hits), coverage=coverage)
