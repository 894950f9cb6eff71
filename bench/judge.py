"""The dev set's judging rules (../shared/eval/README.md), as plain functions."""
from __future__ import annotations

import re
from difflib import SequenceMatcher

_MARKUP = re.compile(r"[\s#*>|`_\-—–·•■]")
_MARKER = re.compile(r"\[\d+\]")
_PAREN = re.compile(r"（[^）]*）|\([^)]*\)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def norm(text: str) -> str:
    return _MARKUP.sub("", text or "")


def covers(passage: str, snippet: str) -> bool:
    p, s = norm(passage), norm(snippet)
    if not s or s in p:
        return bool(s)
    match = SequenceMatcher(None, p, s, autojunk=False).find_longest_match(0, len(p), 0, len(s))
    return match.size >= max(10, 0.7 * len(s))


def first_covering_rank(passages: list[str], snippet: str) -> int | None:
    return next((i for i, p in enumerate(passages, start=1) if covers(p, snippet)), None)


def retrieved(passages: list[str], evidence: list[str]) -> tuple[bool, float]:
    """Recall (every snippet covered by some passage) and the reciprocal rank of the first snippet's passage."""
    rank = first_covering_rank(passages, evidence[0])
    return all(any(covers(p, s) for p in passages) for s in evidence), 1.0 / rank if rank else 0.0


def bigrams(text: str) -> set[str]:
    t = norm(text)
    return {t[i:i + 2] for i in range(len(t) - 1)}


def answer_correct(answer: str, gold: str) -> bool:
    answer = _MARKER.sub("", answer or "")
    core = _PAREN.sub("", gold)
    if any(n not in answer for n in _NUMBER.findall(core)):
        return False
    gold_bigrams = bigrams(core)
    if gold_bigrams and len(gold_bigrams & bigrams(answer)) < 0.5 * len(gold_bigrams):
        return False
    return len(answer) <= 4 * len(gold) + 60
