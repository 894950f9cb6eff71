"""历史对话 in the 问答 tab: the user's saved conversations (kb.history), restored or deleted from a list."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import gradio as gr

from kb.errors import KBError
from kb.history import History, new_id

from .render import error_html

CANCELLED = "__cancelled__"
CONFIRM_JS = f"(c, ...rest) => [(!c || confirm('确定删除所选的历史对话？删除后无法恢复。')) ? c : '{CANCELLED}', ...rest]"


def user_of(request) -> str:
    return getattr(request, "username", None) or ""


def remember(kb, history: History, conv, request) -> str:
    """Save the conversation after an answer; returns a line to show when that failed ('' when saved)."""
    if kb.read_only:                  # a read-only data dir answers questions but keeps no history
        return ""
    conv_id, pairs = conv.saved_as(new_id)
    try:
        history.save(user_of(request), conv_id, pairs)
    except OSError as err:
        return f"对话未能保存到历史记录（{err.strerror or err}）"
    return ""


@dataclass(frozen=True)
class HistoryPanel:
    chosen: gr.Dropdown
    choices: Callable          # (request) -> update for `chosen`


def build_history_panel(history: History, conversation: gr.State, outputs: list, view: Callable) -> HistoryPanel:
    """outputs/view: the chat's components and the function that fills them from a Conversation."""
    with gr.Accordion("历史对话", open=False):
        # allow_custom_value: the choices are per user and filled on load; the handlers check the id themselves.
        chosen = gr.Dropdown(choices=[], label="已保存的对话（最近的在前）", interactive=True, allow_custom_value=True,
                             info="每次回答后自动保存；恢复后可接着提问")
        with gr.Row():
            restore = gr.Button("恢复所选对话", size="sm")
            delete = gr.Button("删除所选对话", size="sm", variant="stop")
        message = gr.HTML(error_html(""))

    def choices(request: gr.Request):
        saved = history.list(user_of(request))
        return gr.update(choices=[(s.label(), s.id) for s in saved], value=None)

    def on_restore(conv_id, conv, request: gr.Request):
        if not conv_id:
            return (*[gr.skip()] * len(outputs), error_html("请先选择要恢复的历史对话"))
        try:
            conv.restore(history.load(user_of(request), conv_id), conv_id)
        except KBError as err:
            return (*[gr.skip()] * len(outputs), error_html(str(err)))
        return (*view(conv), error_html(""))

    def on_delete(conv_id, conv, request: gr.Request):
        if conv_id == CANCELLED:
            return gr.skip(), gr.skip()
        if not conv_id:
            return gr.skip(), error_html("请先选择要删除的历史对话")
        try:
            history.delete(user_of(request), conv_id)
        except KBError as err:
            return choices(request), error_html(str(err))
        if conv.history_id == conv_id:      # what is on screen stays; a next question starts a new entry
            conv.history_id = ""
        return choices(request), error_html("")

    restore.click(on_restore, [chosen, conversation], [*outputs, message], api_name="history_restore")
    delete.click(on_delete, [chosen, conversation], [chosen, message], api_name="history_delete", js=CONFIRM_JS)
    return HistoryPanel(chosen, choices)
