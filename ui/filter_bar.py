"""Active filters as chips above the question box, 清除筛选, and 在全部文档中重新检索 after a refusal under them.
The checks and labels are the library's (kb.filters); this only shows them."""
from __future__ import annotations

import html

import gradio as gr

from kb import filters as kb_filters
from kb.errors import KBError
from kb.model import Filters


def make_filters(docs, kinds, date_from: str, date_to: str) -> Filters:
    """The widgets' values as typed; KnowledgeBase.search checks them (kb.filters.check)."""
    return Filters(doc_ids=tuple(docs or ()), kinds=tuple(kinds or ()), date_from=(date_from or "").strip(),
                   date_to=(date_to or "").strip())


def chips_html(kb, docs, kinds, date_from, date_to) -> tuple[str, bool]:
    """(the chips, whether any filter is set); a filter that cannot be used is a chip saying why."""
    raw = make_filters(docs, kinds, date_from, date_to)
    if not raw:
        return '<div class="kb-chips"></div>', False
    documents = kb.documents()
    try:
        chips = [(label, "") for label in kb_filters.labels(kb_filters.check(raw, documents), documents)]
    except KBError as err:
        chips = [(str(err), " kb-chip-bad")]
    body = "".join(f'<span class="kb-chip{cls}">{html.escape(text)}</span>' for text, cls in chips)
    return f'<div class="kb-chips"><span class="kb-chips-head">检索范围：</span>{body}</div>', True


def refused_under_filters(conv, docs, kinds, date_from, date_to) -> bool:
    pairs = conv.snapshot()[0]
    return bool(pairs) and not pairs[-1][1].answered and bool(make_filters(docs, kinds, date_from, date_to))


CSS = """
.kb-chips { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; min-height: 0; }
.kb-chips-head { font-size: 0.85em; color: var(--body-text-color-subdued); }
.kb-chip { background: var(--color-accent-soft); color: var(--body-text-color); border-radius: 999px;
           padding: 1px 10px; font-size: 0.85em; }
.kb-chip-bad { background: #fde8e8; color: #b91c1c; }
"""


def build_filter_bar(kb):
    """The chips row (call where it should appear); returns (chips, clear button)."""
    with gr.Row(equal_height=True):
        chips = gr.HTML(chips_html(kb, [], [], "", "")[0], elem_id="kb-filter-chips")
        clear = gr.Button("清除筛选", size="sm", visible=False, scale=0, min_width=90)
    return chips, clear
