"""Follow-up questions: “那再次认定呢？” after “首次认定高企奖励多少？” means “再次认定高企奖励多少？”.

Pure functions over strings; the library calls resolve() before retrieval and notes the
reading (“按上文理解为：…”) on the answer so the user can see how the question was taken.
"""
from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Sequence

# 那 / 那么 / 还有 / 另外 … at the start, 呢 at the end: the marks of a question that leans on the previous one.
_LEAD = re.compile(r"^(那么|那|还有|另外|然后|此外|其中)[，,、\s]*")
_TAIL = re.compile(r"(呢|吗|的呢)?[？?！!。.\s]*$")
MAX_CORE = 10          # a longer remainder is a question of its own (“那么常州科教城成立多少年了？”)
NOTE = "按上文理解为：{}"


def core(question: str) -> str | None:
    """The new part of a follow-up (“再次认定”), or None when the question stands on its own."""
    text = question.strip()
    lead, tail = _LEAD.match(text), re.search(r"(呢|的呢)[？?！!。.\s]*$", text)
    if not (lead or tail):
        return None
    rest = _TAIL.sub("", _LEAD.sub("", text)).strip()
    return rest if 0 < len(rest) <= MAX_CORE else None


def rewrite(follow: str, previous: str) -> str:
    """Put the follow-up into the previous question: around their longest shared run of characters (认定 in
    再次认定 / 首次认定), the follow-up's characters replace the previous ones; with nothing shared, the follow-up
    is put in front (潜在的呢 → 潜在 + 常州有多少家企业入选独角兽瞪羚企业？)."""
    previous = _LEAD.sub("", previous.strip())
    match = SequenceMatcher(None, follow, previous, autojunk=False).find_longest_match(0, len(follow), 0, len(previous))
    if match.size >= 2:
        start = max(0, match.b - match.a)
        end = match.b + (len(follow) - match.a)
        return previous[:start] + follow + previous[end:]
    return follow.rstrip("的") + previous


def resolve(question: str, history: Sequence[str]) -> str | None:
    """The question as understood from the conversation, or None when it needs no context. history: the
    previous questions, oldest first; a follow-up of a follow-up is read against the resolved one."""
    follow = core(question)
    if follow is None or not history:
        return None
    previous = history[-1]
    earlier = resolve(previous, history[-4:-1])
    return rewrite(follow, earlier or previous)
