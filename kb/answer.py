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
from .text import TermWeights

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
    verification: tuple = ()               # kb.verify.SentenceCheck per sentence of an LLM answer

    @property
    def verified_count(self) -> int:
        return sum(c.verified for c in self.verification)

    def to_json(self) -> dict:
        checked = None if self.answerer == "extractive" else {
            "verified": self.verified_count, "total": len(self.verification),
            "sentences": [c.to_json() for c in self.verification]}
        return {"question": self.question, "answer": self.text, "answered": self.answered,
                "answerer": self.answerer, "coverage": round(self.coverage, 3),
                "citations": [c.to_json() for c in self.citations],
                "related": [h.to_json() for h in self.related], "notes": list(self.notes),
                "verification": checked}


@dataclass
class _Candidate:
    hit_index: int
    start: int
    end: int
    text: str


def question_segments(question: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"[？?；;！!。]", question) if len(p.strip()) >= 2]
    return parts or [question]


def _clause_windows(text: str, a: int, b: int, max_chars: int) -> list[tuple[int, int]]:
    """A long sentence as windows of whole clauses, each at most max_chars, one starting at every clause."""
    bounds, pos = [], a
    for m in _CLAUSE.finditer(text[a:b]):
        if m.group():
            bounds.append((a + m.start(), a + m.end()))
    windows = []
    for i in range(len(bounds)):
        j = i
        while j + 1 < len(bounds) and bounds[j + 1][1] - bounds[i][0] <= max_chars:
            j += 1
        end = min(bounds[j][1], bounds[i][0] + max_chars)
        windows.append((bounds[i][0], end))
        if bounds[j][1] >= b:
            break
    return windows


def _candidates(hits: list[Hit], max_chars: int) -> list[_Candidate]:
    out = []
    for i, hit in enumerate(hits):
        for a, b in split_sentences(hit.text):
            spans = [(a, b)] if b - a <= max_chars else _clause_windows(hit.text, a, b, max_chars)
            out += [_Candidate(i, x, y, hit.text[x:y]) for x, y in spans if y - x >= 6]
    return out


def _score(c: _Candidate, seg: TermWeights, whole: TermWeights, numeric: bool, listing: bool) -> float:
    score = 0.6 * seg.coverage(c.text) + 0.4 * whole.coverage(c.text)
    if numeric and _DIGIT.search(c.text):
        score += 0.15
    if listing and "、" in c.text:
        score += 0.1
    if seg.opens_with_key_term(c.text):
        score += 0.08
    return score + 0.04 / (1 + c.hit_index) - 0.0005 * len(c.text)


def _overlaps(c: _Candidate, chosen: list[_Candidate]) -> bool:
    return any(c.hit_index == x.hit_index and c.start < x.end and x.start < c.end for x in chosen)


def extractive_answer(question: str, hits: list[Hit], tokenizer, idf, min_coverage: float = 0.5,
                      max_sentences: int = 3, max_chars: int = 120) -> Answer:
    if not hits:
        return Answer(question, NOT_FOUND, False)
    whole = TermWeights(tokenizer.query_terms(question), idf, tokenizer.aliases)
    candidates = _candidates(hits, max_chars)
    best_cov = max((whole.coverage(c.text) for c in candidates), default=0.0)
    # Some facts span two sentences of one passage: the passage's coverage also counts, discounted.
    passage_cov = max((whole.coverage(h.text) for h in hits[:3]), default=0.0)
    coverage = max(best_cov, 0.9 * passage_cov)
    if coverage < min_coverage:
        return Answer(question, NOT_FOUND, False, related=tuple(hits[:3]), coverage=coverage)

    chosen: list[_Candidate] = []
    for segment in question_segments(question)[:max_sentences]:
        seg = TermWeights(tokenizer.query_terms(segment), idf, tokenizer.aliases)
        numeric, listing = bool(NUMERIC_Q.search(segment)), bool(LIST_Q.search(segment))
        ranked = sorted(candidates, key=lambda c: -_score(c, seg, whole, numeric, listing))
        pick = next((c for c in ranked if not _overlaps(c, chosen)), None)
        if pick is not None:
            chosen.append(pick)

    numbers: dict[int, int] = {}
    citations: dict[int, list] = {}
    pieces = []
    for cand in chosen:
        a, b = cand.start, cand.end
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
