"""The 问答 tab: a question box, the conversation, a sources panel and the filters."""
from __future__ import annotations

import queue
import re
import threading
from dataclasses import dataclass
from typing import Iterator

import gradio as gr

from kb.answer import Answer
from kb.errors import KBError
from kb.retrieve import Filters

from . import render

EXAMPLES = [
    "首次认定高企奖励多少？",
    "常州有多少家企业入选独角兽瞪羚企业？",
    "2024年常州科教城将实施哪“四大工程”？",
    "智能制造龙城实验室进展如何？",
]
KIND_CHOICES = [(label, kind) for kind, label in render.KIND_LABELS.items()]
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def doc_choices(kb) -> list[tuple[str, str]]:
    return [(f"{d['title']}（{d['date']}）" if d["date"] else d["title"], d["doc_id"]) for d in kb.documents()]


def make_filters(docs, kinds, date_from: str, date_to: str) -> Filters:
    date_from, date_to = (date_from or "").strip(), (date_to or "").strip()
    for value in (date_from, date_to):
        if value and not _DATE.match(value):
            raise gr.Error(f"日期“{value}”格式不对，请写成 2021、2021-06 或 2021-06-30")
    return Filters(doc_ids=tuple(docs or ()), kinds=tuple(kinds or ()), date_from=date_from, date_to=date_to)


def stream_answer(kb, question: str, filters: Filters) -> Iterator[str | Answer]:
    """The LLM's draft text as it grows (str, one per burst of tokens), then the final Answer.

    kb.ask runs in a worker thread and hands tokens over a queue; without an LLM only the Answer comes.
    """
    events: queue.Queue = queue.Queue()

    def work():
        try:
            events.put(("done", kb.ask(question, filters=filters, on_token=lambda t: events.put(("token", t)))))
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
    pairs: gr.State            # list of (question, Answer), shared with the 导出 tab
    docs: gr.Dropdown          # document filter; its choices are refreshed by the 文档库 tab


def build_chat_tab(kb) -> ChatTab:
    pairs = gr.State([])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(label="对话", height=520, buttons=["copy"], feedback_options=None,
                                 placeholder="请输入问题，例如：首次认定高企奖励多少？回答中的 [1] [2] 可点击查看原文出处。")
            with gr.Row():
                question = gr.Textbox(show_label=False, placeholder="请输入问题，回车发送", scale=5, lines=1,
                                      max_lines=4, autofocus=True)
                send = gr.Button("提问", variant="primary", scale=1, min_width=80)
            with gr.Row():
                clear = gr.Button("清空对话", size="sm")
            gr.Examples(EXAMPLES, inputs=[question], label="示例问题")
            with gr.Accordion("检索范围（可选）", open=False):
                docs = gr.Dropdown(choices=doc_choices(kb), multiselect=True, label="只在这些文档中检索",
                                   allow_custom_value=True,
                                   info="不选则检索全部文档")
                kinds = gr.CheckboxGroup(KIND_CHOICES, label="文档类型")
                with gr.Row():
                    date_from = gr.Textbox(label="起始日期", placeholder="如 2021 或 2021-06")
                    date_to = gr.Textbox(label="截止日期", placeholder="如 2023-12")
        with gr.Column(scale=2):
            gr.Markdown("#### 来源")
            sources = gr.HTML(render.conversation_sources([]))

    def ask(text, history, doc_ids, kind_list, d_from, d_to):
        text = (text or "").strip()
        if not text:
            raise gr.Error("请输入问题")
        filters = make_filters(doc_ids, kind_list, d_from, d_to)
        if kb.settings.llm_url:         # show the question at once; the model's text follows as it streams
            yield gr.skip(), render.draft_messages(history, text, ""), gr.skip(), gr.skip()
        try:
            for item in stream_answer(kb, text, filters):
                if isinstance(item, str):
                    yield gr.skip(), render.draft_messages(history, text, item), gr.skip(), gr.skip()
                else:
                    answer = item
        except KBError as err:
            raise gr.Error(str(err)) from None
        history = [*history, (text, answer)]
        yield history, render.chat_messages(history), render.conversation_sources(history), ""

    inputs = [question, pairs, docs, kinds, date_from, date_to]
    outputs = [pairs, chatbot, sources, question]
    send.click(ask, inputs, outputs, api_name="ask")
    question.submit(ask, inputs, outputs, api_visibility="private")

    def reset():
        return [], [], render.conversation_sources([])

    clear.click(reset, None, [pairs, chatbot, sources], api_visibility="private")
    chatbot.clear(reset, None, [pairs, chatbot, sources], api_visibility="private")
    return ChatTab(pairs=pairs, docs=docs)
