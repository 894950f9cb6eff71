"""The 问答 tab: a question box, the conversation, a sources panel and the filters."""
from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Iterator

import gradio as gr

from kb import filters as kb_filters
from kb.model import Answer, Filters
from kb.errors import KBError
from kb.filters import KIND_LABELS
from kb.history import History

from . import render
from .conversation import Conversation
from .filter_bar import build_filter_bar, chips_html, make_filters, refused_under_filters
from .history_panel import HistoryPanel, build_history_panel, remember
from .source_view import build_source_view

EXAMPLES = [
    "首次认定高企奖励多少？",
    "常州有多少家企业入选独角兽瞪羚企业？",
    "2024年常州科教城将实施哪“四大工程”？",
    "智能制造龙城实验室进展如何？",
]
KIND_CHOICES = [(label, kind) for kind, label in KIND_LABELS.items()]


def doc_choices(kb) -> list[tuple[str, str]]:
    return [(f"{d.title}（{d.date}）" if d.date else d.title, d.doc_id) for d in kb.documents()]


def stream_answer(kb, question: str, filters: Filters, history: list[str] = ()) -> Iterator[str | Answer]:
    """The LLM's draft text as it grows (str, one per burst of tokens), then the final Answer.

    kb.ask runs in a worker thread and hands tokens over a queue; without an LLM only the Answer comes.
    """
    events: queue.Queue = queue.Queue()

    def work():
        try:
            events.put(("done", kb.ask(question, filters=filters, history=history,
                                       on_token=lambda t: events.put(("token", t)))))
        except BaseException as err:       # re-raised on the caller's thread
            events.put(("error", err))

    threading.Thread(target=work, name="kb-ask", daemon=True).start()
    draft = ""
    while True:
        kind, value = events.get()
        if kind == "error":
            raise value
        if kind == "done":
            yield value
            return
        draft += value
        if events.empty():                 # one update per burst of tokens, not one per token
            yield draft


@dataclass
class ChatTab:
    conversation: gr.State     # this session's Conversation, shared with the 导出 tab
    docs: gr.Dropdown          # document filter; its choices are refreshed by the 文档库 tab
    history: HistoryPanel      # the user's saved conversations; listed on page load


# Clear the box the moment a question is sent, in the browser: the answer never touches what is typed next.
SEND_JS = """(...args) => {
  const box = document.querySelector('#kb-question textarea');
  if (box && box.value.trim()) { box.value = ''; box.dispatchEvent(new Event('input', {bubbles: true})); }
  return args;
}"""
COPY_JS = "(text) => { window.kbCopy(text); }"


@dataclass(frozen=True)
class _Widgets:
    chatbot: gr.Chatbot
    chips: gr.HTML
    clear_filters: gr.Button
    question: gr.Textbox
    send: gr.Button
    error: gr.HTML
    search_all: gr.Button
    retry: gr.Textbox
    copy_answer: gr.Button
    copy_sources: gr.Button
    clear: gr.Button
    plain: gr.Textbox
    plain_sources: gr.Textbox
    history_slot: gr.Column
    docs: gr.Dropdown
    kinds: gr.CheckboxGroup
    date_from: gr.Textbox
    date_to: gr.Textbox
    sources: gr.HTML

    @property
    def outputs(self) -> list:
        return [self.chatbot, self.sources, self.error, self.plain, self.plain_sources]

    @property
    def filters(self) -> list:
        return [self.docs, self.kinds, self.date_from, self.date_to]


def _layout(kb, conversation: gr.State) -> _Widgets:
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(label="对话", height=520, buttons=["copy"], feedback_options=None,
                                 placeholder="请输入问题，例如：首次认定高企奖励多少？回答中的 [1] [2] 可点击查看原文出处。")
            chips, clear_filters = build_filter_bar(kb)
            with gr.Row():
                question = gr.Textbox(label="问题", show_label=False, placeholder="请输入问题，回车发送", scale=5, lines=1,
                                      max_lines=4, autofocus=True, elem_id="kb-question")
                send = gr.Button("提问", variant="primary", scale=1, min_width=80)
            error = gr.HTML(render.error_html(""), elem_id="kb-error-line")
            search_all = gr.Button("清除筛选，在全部文档中重新检索上一问", size="sm", visible=False)
            retry = gr.Textbox(elem_classes="kb-hidden", show_label=False, container=False)
            with gr.Row():
                copy_answer = gr.Button("复制最新回答", size="sm")
                copy_sources = gr.Button("复制回答及出处", size="sm")
                clear = gr.Button("清空对话", size="sm")
            plain = gr.Textbox(label="最新回答", elem_classes="kb-hidden", show_label=False, container=False)
            plain_sources = gr.Textbox(label="回答及出处", elem_classes="kb-hidden", show_label=False, container=False)
            gr.Examples(EXAMPLES, inputs=[question], label="示例问题")
            history_slot = gr.Column()
            with gr.Accordion("检索范围（可选）", open=False):
                docs = gr.Dropdown(choices=doc_choices(kb), multiselect=True, label="只在这些文档中检索",
                                   allow_custom_value=True,
                                   info="不选则检索全部文档")
                kinds = gr.CheckboxGroup(KIND_CHOICES, label="文档类型")
                with gr.Row():
                    date_from = gr.Textbox(label="起始日期", placeholder="如 2021、2021-06 或 2021年6月")
                    date_to = gr.Textbox(label="截止日期", placeholder="如 2023-12")
        with gr.Column(scale=2):
            gr.Markdown("#### 来源")
            sources = gr.HTML(render.conversation_sources([]))
            build_source_view(kb, conversation)
    return _Widgets(chatbot, chips, clear_filters, question, send, error, search_all, retry, copy_answer,
                    copy_sources, clear, plain, plain_sources, history_slot, docs, kinds, date_from, date_to, sources)


def _view(conv: Conversation, message: str = "", draft: tuple[str, str] | None = None):
    """What the outputs show: the chat (with the draft being streamed), sources, error line, copy texts."""
    pairs, waiting = conv.snapshot()
    if draft:
        chat = render.draft_messages(pairs, draft[0], draft[1], waiting[1:])
    else:
        chat = render.chat_messages(pairs, waiting)
    last = pairs[-1] if pairs else None
    return (chat, render.conversation_sources(pairs), render.error_html(message),
            render.answer_text(last[1]) if last else "",
            render.answer_with_sources(*last) if last else "")


def _asker(kb, history: History):
    """The handler of a sent question: checks the filters, waits its turn, streams the answer, saves the turn."""
    def ask(text, conv, doc_ids, kind_list, d_from, d_to, request: gr.Request):
        text = (text or "").strip()
        if not text:                 # an Enter in an empty box is not a question
            yield (gr.skip(),) * 5
            return
        filters = make_filters(doc_ids, kind_list, d_from, d_to)
        try:
            kb_filters.check(filters, kb.documents())      # a bad date or range: the line, and no turn
        except KBError as err:
            yield gr.skip(), gr.skip(), render.error_html(str(err)), gr.skip(), gr.skip()
            return
        ticket = conv.take_ticket(text)
        try:
            yield _view(conv)
        except GeneratorExit:         # closed before its turn: give the turn up so later questions go on
            conv.abandon(ticket)
            raise
        message = ""
        with conv.turn(ticket):
            try:
                for item in stream_answer(kb, text, filters, conv.questions()):
                    if isinstance(item, str):
                        yield _view(conv, draft=(text, item))
                    else:
                        conv.add(text, item)
                        message = remember(kb, history, conv, request)
            except KBError as err:
                message = str(err)
        yield _view(conv, message)
    return ask


def _wire_filters(kb, w: _Widgets, conversation: gr.State, ask) -> None:
    """Filter chips follow the filter widgets; 清除筛选 and “search everything” clear them (the latter re-asks)."""
    def show_chips(*values):
        html, active = chips_html(kb, *values)
        return html, gr.update(visible=active)

    def no_filters(conv):
        pairs = conv.snapshot()[0]
        return (pairs[-1][0] if pairs else "", [], [], "", "", *show_chips([], [], "", ""), gr.update(visible=False))

    for event in (w.docs.change, w.kinds.change, w.date_from.blur, w.date_to.blur, w.date_from.submit,
                  w.date_to.submit):
        event(show_chips, w.filters, [w.chips, w.clear_filters], api_visibility="private", show_progress="hidden")
    cleared = [w.retry, *w.filters, w.chips, w.clear_filters, w.search_all]
    w.clear_filters.click(no_filters, [conversation], cleared, api_visibility="private")
    w.search_all.click(no_filters, [conversation], cleared, api_name="search_all").then(
        ask, [w.retry, conversation, *w.filters], w.outputs, show_progress="hidden", api_visibility="private")


def build_chat_tab(kb) -> ChatTab:
    conversation = gr.State(Conversation)
    w = _layout(kb, conversation)
    history = History.of(kb.settings)
    with w.history_slot:
        saved = build_history_panel(history, conversation, w.outputs, _view)
    ask = _asker(kb, history)

    def after_answer(conv, doc_ids, kind_list, d_from, d_to, request: gr.Request):
        """The history list gains the turn; a refusal under filters offers to search everything."""
        offer = refused_under_filters(conv, doc_ids, kind_list, d_from, d_to)
        return saved.choices(request), gr.update(visible=offer)

    # trigger_mode="multiple": a question sent while another is answered waits its turn instead of being dropped.
    inputs = [w.question, conversation, *w.filters]
    for event, api in ((w.send.click, {"api_name": "ask"}), (w.question.submit, {"api_visibility": "private"})):
        event(ask, inputs, w.outputs, js=SEND_JS, trigger_mode="multiple", show_progress="hidden", **api).then(
            after_answer, [conversation, *w.filters], [saved.chosen, w.search_all], api_visibility="private")
    _wire_filters(kb, w, conversation, ask)
    w.copy_answer.click(None, [w.plain], None, js=COPY_JS, api_visibility="private")
    w.copy_sources.click(None, [w.plain_sources], None, js=COPY_JS, api_visibility="private")

    def reset(conv):
        conv.clear()
        return _view(conv)

    w.clear.click(reset, [conversation], w.outputs, api_visibility="private")
    w.chatbot.clear(reset, [conversation], w.outputs, api_visibility="private")
    return ChatTab(conversation=conversation, docs=w.docs, history=saved)
