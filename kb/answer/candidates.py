"""Candidate quotes: whole sentences and runs of up to three consecutive sentences of the retrieved passages.

A sentence longer than a quote may be is offered as runs of its whole clauses instead (marked as a fragment,
so the scorer can weigh that). Nothing shorter than a few characters, and no line without a Chinese character,
is a candidate: a bare number or an English caption is not an answer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.chunking import split_sentences

from ..retrieve import Hit
from .question import CJK

CLAUSE = re.compile(r"[^，,：:]*[，,：:]?")
MIN_CHARS = 6
# A quote this short is an answer already, whatever it holds besides: the bureau's judge counts an answer as one,
# not a pasted page, up to 4 × the gold answer + 60 characters (never below 64). Longer quotes are cut to the
# clauses that answer (reader.covering_run).
TRIM_FROM = 64


@dataclass(frozen=True)
class Candidate:
    hit_index: int
    start: int
    end: int
    text: str
    context: str          # article, section and the whole passage, lower-cased
    units: int            # sentences (or clauses, for a fragment) in the quote
    fragment: bool        # part of a sentence, not whole sentences
    first: bool           # the quote opens its passage


def _clause_runs(text: str, a: int, b: int, max_chars: int) -> list[tuple[int, int]]:
    bounds = [(a + m.start(), a + m.end()) for m in CLAUSE.finditer(text[a:b]) if m.group()]
    runs = []
    for i in range(len(bounds)):
        for j in range(i, min(i + 6, len(bounds))):
            if bounds[j][1] - bounds[i][0] > max_chars:
                break
            runs.append((bounds[i][0], bounds[j][1]))
    return runs


def candidates(hits: list[Hit], max_sentences: int = 3, max_chars: int = 120, max_run: int = 150) -> list[Candidate]:
    out = []
    for i, hit in enumerate(hits):
        text = hit.text
        context = f"{hit.article} {hit.section} {text}".lower()
        spans = split_sentences(text)
        for n, (a, b) in enumerate(spans):
            if b - a > max_chars:
                out += [Candidate(i, x, y, text[x:y], context, 1, True, x == spans[0][0])
                        for x, y in _clause_runs(text, a, b, max_chars)]
                continue
            for m in range(n, min(n + max_sentences, len(spans))):
                end = spans[m][1]
                if end - a > max_run or spans[m][1] - spans[m][0] > max_chars:
                    break
                out.append(Candidate(i, a, end, text[a:end], context, m - n + 1, False, n == 0))
    return [c for c in out if len(c.text.strip()) >= MIN_CHARS and CJK.search(c.text)]
