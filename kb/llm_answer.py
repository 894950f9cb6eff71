"""Optional LLM answerer: numbered passages in, a cited answer out, every sentence checked by kb.verify.

The client is llama-index's OpenAILike (an OpenAI-compatible /v1/chat/completions endpoint), built only when
settings.llm_url is set and imported on first use. The request runs in a worker thread so that one overall
deadline (settings.llm_timeout) bounds it, streamed or not; tokens are handed to the caller's callback on
the caller's thread. Any failure (timeout, HTTP error, malformed reply) raises LLMUnavailable, and
llm_answer then returns the fallback answer with a visible note.
"""
from __future__ import annotations

import dataclasses
import queue
import re
import threading
import time
from functools import lru_cache
from typing import Callable
from urllib.parse import urlsplit

from .errors import KBError
from .model import NOT_FOUND, Answer, Citation, Hit, place
from .settings import Settings
from .verify import FLAG, render, supporting_span, verify_answer

SYSTEM_PROMPT = """你是常州市科技局知识库的问答助手，只能依据用户给出的编号资料回答问题，不得使用资料以外的任何知识。
要求：
1. 每一句话都要在句末用方括号标注所依据的资料编号，如[1]或[1][3]；只能使用给出的编号。
2. 金额、比例、数量、日期、政策和项目名称必须与资料原文一致，不要换算、估计或补充。
3. 如果资料不能回答问题，只回复“资料中未找到相关内容”，不要写其他任何内容。
4. 问题问“哪些”时，逐条列出资料中提到的全部项目，不要省略。
5. 如果两段资料对同一事项给出不同的数字，两个数字都要写出，并注明各自资料的日期。
6. 用简体中文，简洁作答。"""

_THINK = re.compile(r"<think>.*?</think>", re.S)      # reasoning models' scratchpad is not part of the answer
UNAVAILABLE = "大模型服务不可用（{reason}），已改用摘录式回答"
REFUSAL = NOT_FOUND.rstrip("。")


class LLMUnavailable(KBError):
    """The endpoint timed out, failed or answered with something that is not a chat completion."""

    def __init__(self, reason: str):
        super().__init__(UNAVAILABLE.format(reason=reason))
        self.reason = reason


# -- prompt --------------------------------------------------------------------
def passage_header(hit: Hit) -> str:
    issue = hit.issue if hit.issue and hit.issue not in hit.title else ""
    return place((hit.title, issue, hit.date, hit.article), hit.page, sep="｜")


def passages(hits: list[Hit]) -> list[str]:
    """Passage texts as the model sees them (header line + text); verification reads the same strings."""
    return [f"{passage_header(h)}\n{h.text.strip()}" for h in hits]


def build_messages(question: str, hits: list[Hit]) -> list[dict]:
    numbered = "\n\n".join(f"[{i}] {p}" for i, p in enumerate(passages(hits), start=1))
    user = f"资料：\n{numbered}\n\n问题：{question}\n请依据以上资料回答，每句话末尾标注资料编号。"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


# -- client --------------------------------------------------------------------
def api_base(url: str) -> str:
    """http://host:8000 → http://host:8000/v1; a URL with a path is kept (minus a trailing /chat/completions)."""
    url = url.strip().rstrip("/")
    if url.endswith("/chat/completions"):
        url = url[: -len("/chat/completions")]
    return url if urlsplit(url).path not in ("", "/") else url + "/v1"


def build_client(settings: Settings):
    if not settings.llm_url:
        raise KBError("未配置大模型服务（KB_LLM_URL）")
    return _client(api_base(settings.llm_url), settings.llm_model, settings.llm_api_key, settings.llm_timeout)


@lru_cache(maxsize=4)
def _client(base: str, model: str, api_key: str, timeout: float):
    from llama_index.llms.openai_like import OpenAILike
    return OpenAILike(model=model, api_base=base, api_key=api_key or "none", timeout=timeout, max_retries=0,
                      is_chat_model=True, temperature=0.0, context_window=32768)


def _reason(err: BaseException) -> str:
    import openai
    if isinstance(err, openai.APITimeoutError):
        return "超时"
    if isinstance(err, openai.APIStatusError):
        return f"HTTP {err.status_code}"
    if isinstance(err, openai.APIConnectionError):
        return "无法连接"
    return "返回格式错误"


def generate(client, messages: list[dict], timeout: float,
             on_token: Callable[[str], None] | None = None) -> str:
    """The completion text, streamed to on_token when given; LLMUnavailable after `timeout` seconds overall."""
    from llama_index.core.llms import ChatMessage
    chat = [ChatMessage(role=m["role"], content=m["content"]) for m in messages]
    events: queue.Queue = queue.Queue()

    def work():
        try:
            if on_token is None:
                events.put(("done", client.chat(chat).message.content))
                return
            for part in client.stream_chat(chat):
                if part.delta:
                    events.put(("token", part.delta))
            events.put(("done", None))
        except Exception as err:          # any failure of the endpoint becomes a fallback, never a crash
            events.put(("error", err))

    threading.Thread(target=work, name="kb-llm", daemon=True).start()
    deadline, tokens = time.monotonic() + timeout, []
    while True:
        try:
            kind, value = events.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise LLMUnavailable("超时") from None
        if kind == "error":
            raise LLMUnavailable(_reason(value)) from value
        if kind == "token":
            tokens.append(value)
            on_token(value)
            continue
        text = "".join(tokens) if value is None else value
        text = _THINK.sub("", text).strip() if isinstance(text, str) else ""
        if not text:
            raise LLMUnavailable("返回内容为空")
        return text


# -- answer --------------------------------------------------------------------
def _is_refusal(text: str) -> bool:
    return text.strip().strip("。.！!“”\"").startswith(REFUSAL)


def _citations(checked, hits: list[Hit]) -> tuple[Citation, ...]:
    spans: dict[int, list[tuple[int, int]]] = {}
    for _, check in checked:
        for n in check.citations:
            if 1 <= n <= len(hits):
                span = supporting_span(check.text, hits[n - 1].text)
                found = spans.setdefault(n, [])
                if span and span not in found:
                    found.append(span)
    out = []
    for n in sorted(spans):
        hit, chosen = hits[n - 1], sorted(spans[n]) or [(0, len(hits[n - 1].text))]
        out.append(Citation(n=n, hit=hit, quote="……".join(hit.text[a:b].strip() for a, b in chosen),
                            spans=tuple(chosen)))
    return tuple(out)


def llm_answer(question: str, hits: list[Hit], settings: Settings,
               stream_callback: Callable[[str], None] | None = None, fallback: Answer | None = None) -> Answer:
    """The model's answer over hits, checked sentence by sentence; the fallback (with a note) if it fails.

    Without a fallback, a failure raises LLMUnavailable.
    """
    if settings.llm_on_unverified not in ("flag", "drop"):
        raise KBError(f"KB_LLM_ON_UNVERIFIED 只能是 flag 或 drop（当前为“{settings.llm_on_unverified}”）")
    if not hits:
        return fallback or Answer(question, NOT_FOUND, False, answerer="llm")
    try:
        client = build_client(settings)
        text = generate(client, build_messages(question, hits), settings.llm_timeout, stream_callback)
    except LLMUnavailable as err:
        if fallback is None:
            raise
        return dataclasses.replace(fallback, notes=fallback.notes + (str(err),))
    coverage = fallback.coverage if fallback else 0.0
    if _is_refusal(text):
        return Answer(question, NOT_FOUND, False, related=tuple(hits[:3]), answerer="llm", coverage=coverage)

    checked = verify_answer(text, passages(hits))
    failed = sum(not c.verified for _, c in checked)
    drop = settings.llm_on_unverified == "drop"
    notes: tuple[str, ...] = ()
    if failed and drop:
        kept = [(span, c) for span, c in checked if c.verified]
        if not kept:
            note = "大模型的回答未能在所引资料中核实，已改用摘录式回答"
            if fallback is None:
                raise LLMUnavailable("回答未通过核实")
            return dataclasses.replace(fallback, notes=fallback.notes + (note,))
        notes = (f"已删去 {failed} 句未能在所引资料中核实的内容",)
    elif failed:
        notes = (f"有 {failed} 句未能在所引资料中核实，已标注“{FLAG.strip('（）')}”",)
    shown = render(text, checked, settings.llm_on_unverified)
    visible = [c for _, c in checked if c.verified or not drop]
    return Answer(question, shown, True, _citations([(s, c) for s, c in checked if c in visible], hits),
                  related=tuple(hits), answerer="llm", coverage=coverage, notes=notes,
                  verification=tuple(c for _, c in checked))


# -- follow-up rewrite --------------------------------------------------------------
def llm_rewrite(question: str, history: list[str], settings: Settings) -> str | None:
    """The question rewritten by the model to stand on its own (kb.followup's prompt), or None when the model is
    unavailable or gives nothing usable; the caller then keeps the rule-based reading."""
    from .followup import clean_rewrite, rewrite_messages
    try:
        reply = generate(build_client(settings), rewrite_messages(question, history), settings.llm_timeout)
    except LLMUnavailable:
        return None
    return clean_rewrite(reply, question, settings.max_question_chars)
