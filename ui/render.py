"""HTML for answers and their sources: pure functions over kb.answer types (no Gradio here)."""
from __future__ import annotations

import html
import re

from kb.dated import date_label
from kb.filters import KIND_LABELS
from kb.model import Answer, Hit, place
from kb.references import remarks, where

_MARKER = re.compile(r"\[(\d+)\]")
_THINKING = re.compile(r"<think>.*?(</think>|$)", re.S)     # a reasoning model's scratchpad, finished or not


def anchor(turn: int, n: int) -> str:
    return f"cite-{turn}-{n}"


def answer_markdown(answer: Answer, turn: int) -> str:
    """The chat bubble: answer text with each [n] linking to citation n of this turn in the sources panel."""
    text = html.escape(answer.text, quote=False)
    if not answer.answered:
        text += "以下“可能相关”的段落供参考，见右侧来源面板。" if answer.related else ""
    else:
        text = _MARKER.sub(
            lambda m: f'<a href="#{anchor(turn, int(m.group(1)))}" class="cite-link">[{m.group(1)}]</a>', text)
    footer = "<br>".join(html.escape(line) for line in remarks(answer))
    badge = ""
    if answer.disagreement:
        missing = "，回答未全部给出" if answer.disagreement.missing else ""
        badge = f'<span class="kb-badge" title="资料中对同一数据的说法不一致{missing}">⚠ 数据不一致</span> '
    return badge + text + (f'<br><span class="answer-note">{footer}</span>' if footer else "")


def highlight(text: str, spans) -> str:
    """Escape text and wrap the quoted spans in <mark>."""
    out, pos = [], 0
    for a, b in sorted((max(0, a), min(len(text), b)) for a, b in spans):
        if a < pos:
            a = pos
        if a >= b:
            continue
        out += [html.escape(text[pos:a]), "<mark>", html.escape(text[a:b]), "</mark>"]
        pos = b
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


def _meta_line(hit: Hit, fact_date: str = "") -> str:
    # The quoted fact's own date when the sentence gives one other than the issue's (2022年，… in a 2023 issue).
    dated = f"数据时间 {date_label(fact_date)}" if fact_date and fact_date != hit.date else ""
    bits = [hit.publication if hit.publication and hit.publication not in hit.title else "", hit.issue, hit.date,
            dated, KIND_LABELS.get(hit.kind, hit.kind)]
    return html.escape(place(bits, hit.page))


def _card(label: str, hit: Hit, body_html: str, element_id: str = "", open_key: str = "",
          fact_date: str = "") -> str:
    """One source: where it is (document, issue, date, the fact's own date, kind, page; the section path
    第一章 › 第三条), the passage, and a link that opens the whole article (and the original page of a PDF) in the
    原文 panel."""
    show_article = hit.article and hit.article not in (hit.title, hit.source)
    article = f'<div class="src-article">文章：{html.escape(hit.article)}</div>' if show_article else ""
    section = f'<div class="src-article">位置：{html.escape(hit.section)}</div>' if hit.section else ""
    id_attr = f' id="{element_id}"' if element_id else ""
    link = (f'<a href="#" class="src-open" data-open="{html.escape(open_key)}" title="在下方“原文”中查看整篇文章'
            f'{"和原页面" if hit.source.lower().endswith(".pdf") else ""}">查看全文</a>') if open_key else ""
    return (f'<div class="src-card"{id_attr}><div class="src-head"><span class="src-n">{label}</span>'
            f'<span class="src-title">{html.escape(hit.title or hit.source)}</span>{link}</div>'
            f'<div class="src-meta">{_meta_line(hit, fact_date)}</div>{article}{section}'
            f'<div class="src-text">{body_html}</div></div>')


def sources_html(answer: Answer, turn: int) -> str:
    """Cards for the citations of one answer; when refused, the related passages as 可能相关."""
    if answer.answered:
        cards = [_card(f"[{c.n}]", c.hit, highlight(c.hit.text, c.spans), anchor(turn, c.n), f"{turn}:{c.n}",
                       c.fact_date)
                 for c in answer.citations]
        return "".join(cards)
    if not answer.related:
        return '<div class="src-empty">资料中未找到相关内容，也没有可能相关的段落。</div>'
    cards = [_card(f"{i}", h, highlight(h.text, ()), open_key=f"{turn}:r{i}")
             for i, h in enumerate(answer.related, start=1)]
    return '<div class="src-note">未找到可直接回答的内容。可能相关：</div>' + "".join(cards)


def conversation_sources(pairs: list[tuple[str, Answer]]) -> str:
    """All turns, newest first and open; older turns folded so their [n] anchors still exist."""
    if not pairs:
        return '<div class="src-empty">提问后，这里显示回答引用的原文段落。</div>'
    blocks = []
    for turn in range(len(pairs) - 1, -1, -1):
        question, answer = pairs[turn]
        open_attr = " open" if turn == len(pairs) - 1 else ""
        blocks.append(f'<details class="src-turn"{open_attr}><summary>问题 {turn + 1}：{html.escape(question)}'
                      f'</summary>{sources_html(answer, turn + 1)}</details>')
    return '<div class="src-panel">' + "".join(blocks) + "</div>"


def question_html(question: str) -> str:
    """A question as typed, shown as text: `<script>` or `<img onerror>` in it must not become markup."""
    return html.escape(question, quote=False)


def chat_messages(pairs: list[tuple[str, Answer]], waiting: list[str] = ()) -> list[dict]:
    """The answered turns, then the questions still waiting for their answer (in the order they were sent)."""
    messages = []
    for turn, (question, answer) in enumerate(pairs, start=1):
        messages.append({"role": "user", "content": question_html(question)})
        messages.append({"role": "assistant", "content": answer_markdown(answer, turn)})
    for i, question in enumerate(waiting):
        messages += _waiting(question, "正在检索资料并生成回答……" if i == 0 else "排队中，前面的问题答完后回答")
    return messages


def _waiting(question: str, note: str) -> list[dict]:
    return [{"role": "user", "content": question_html(question)},
            {"role": "assistant", "content": f'<span class="answer-note">{note}</span>'}]


def draft_messages(pairs: list[tuple[str, Answer]], question: str, draft: str, later: list[str] = ()) -> list[dict]:
    """The conversation while an answer streams in: the model's raw text, not yet checked or linked."""
    draft = _THINKING.sub("", draft).strip()
    text = html.escape(draft, quote=False) if draft else "正在检索资料并生成回答……"
    note = '<br><span class="answer-note">生成中，完成后将核对引用</span>'
    messages = [*chat_messages(pairs), {"role": "user", "content": question_html(question)},
                {"role": "assistant", "content": text + "▌" + note}]
    return messages + [m for q in later for m in _waiting(q, "排队中，前面的问题答完后回答")]


def error_html(message: str) -> str:
    return f'<div class="kb-error">{html.escape(message)}</div>' if message else '<div class="kb-error"></div>'


def answer_text(answer: Answer) -> str:
    """What 复制 puts on the clipboard: the answer as plain text with its [n] markers and notes, no markup."""
    return "\n".join([answer.text, *remarks(answer)])


def answer_with_sources(question: str, answer: Answer) -> str:
    """The answer with its sources listed below it, as plain text (for pasting into a document or a message)."""
    lines = [f"问：{question}", f"答：{answer_text(answer)}"]
    hits = [(f"[{c.n}]", c.hit, c.quote) for c in answer.citations] if answer.answered else \
        [(f"{i}.", h, h.text[:300]) for i, h in enumerate(answer.related, start=1)]
    if hits:
        lines += ["", "出处：" if answer.answered else "可能相关："]
        lines += [f"{label} {where(hit)}\n    “{quote.strip()}”" for label, hit, quote in hits]
    return "\n".join(lines)


CSS = """
.src-panel { max-height: 640px; overflow-y: auto; }
.src-turn { margin-bottom: 10px; }
.src-turn > summary { cursor: pointer; font-weight: 600; padding: 4px 0; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px; margin: 8px 0;
            background: var(--background-fill-secondary); scroll-margin-top: 12px; }
.src-card:target { outline: 2px solid var(--color-accent); }
.src-head { display: flex; gap: 8px; align-items: baseline; }
.src-n { font-weight: 700; color: var(--color-accent); }
.src-title { font-weight: 600; }
.src-meta, .src-article { font-size: 0.85em; color: var(--body-text-color-subdued); margin-top: 2px; }
.src-article { font-style: normal; }
.src-text { margin-top: 6px; line-height: 1.7; font-size: 0.92em; }
.src-text mark { background: #fff3a3; color: inherit; padding: 0 1px; }
.src-note, .src-empty { color: var(--body-text-color-subdued); padding: 6px 0; }
a.cite-link { text-decoration: none !important; font-weight: 600; color: var(--color-accent) !important; }
.answer-note { font-size: 0.85em; color: var(--body-text-color-subdued); }
.kb-badge { display: inline-block; font-size: 0.85em; font-weight: 600; color: #92400e; background: #fef3c7;
            border: 1px solid #f59e0b; border-radius: 4px; padding: 0 6px; margin-right: 4px; }
a.cite-link:hover { text-decoration: underline !important; }
.kb-error { color: var(--error-text-color, #b91c1c); font-size: 0.9em; min-height: 1.4em; padding: 2px 4px; }
.kb-hidden { display: none !important; }
a.src-open { margin-left: auto; font-size: 0.85em; white-space: nowrap; color: var(--color-accent) !important; }
.src-view { max-height: 520px; overflow-y: auto; }
.src-view-head { font-weight: 600; margin-bottom: 6px; }
.src-view-text { line-height: 1.8; white-space: normal; }
.src-view-text mark { background: #fff3a3; color: inherit; }
"""
