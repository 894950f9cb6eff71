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


# -- with an LLM: a rewrite prompt (kb.llm_answer.llm_rewrite sends it) -------------------------------------------
_PRONOUN = re.compile(r"它|它们|其|该|此|这|那|上述|前者|后者|同样|也")
SHORT = 8              # a question this short leans on the conversation even without 那/呢/它
REWRITE_PROMPT = ("你负责把对话中的追问改写成一个完整、独立的问题，供知识库检索。只用此前问题中的主语、对象、时间等补全"
                  "当前问题省略的部分，不要回答问题，不要加入对话中没有的内容。只输出改写后的问题本身，一行，不加解释。"
                  "如果当前问题本身已经完整，原样输出。")


def leans_on_context(question: str) -> bool:
    """Whether a question may need the conversation to be understood (worth a rewrite request)."""
    text = question.strip()
    return core(text) is not None or len(text) <= SHORT or bool(_PRONOUN.search(text))


def rewrite_messages(question: str, history: Sequence[str]) -> list[dict]:
    earlier = "\n".join(f"{i}. {q}" for i, q in enumerate(history[-4:], start=1))
    user = f"此前的问题：\n{earlier}\n\n当前问题：{question}\n\n改写后的问题："
    return [{"role": "system", "content": REWRITE_PROMPT}, {"role": "user", "content": user}]


def clean_rewrite(reply: str, question: str, limit: int) -> str | None:
    """The model's rewrite as a question, or None when it is empty, too long, or the question unchanged."""
    lines = [ln.strip() for ln in re.sub(r"<think>.*?</think>", "", reply or "", flags=re.S).splitlines() if ln.strip()]
    if not lines:
        return None
    text = re.sub(r"^(改写后的问题|改写|问题)[:：]\s*", "", lines[0]).strip("“”\"'「」 ")
    if not text or len(text) > limit or text == question.strip():
        return None
    return text
