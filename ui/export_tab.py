"""The 导出 tab: the latest answer or the whole conversation as .docx / .md / .json."""
from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

import gradio as gr

from kb.export import write_export

from .render import error_html

SCOPES = [("当前回答（最近一问）", "last"), ("整个对话", "all")]
FORMATS = [("Word 文档 (.docx)", ".docx"), ("Markdown (.md)", ".md"), ("JSON (.json)", ".json")]


def export_file(conversation, scope: str, suffix: str):
    """(the file, the line beside the button): a refusal is that line, not an error overlay on the file box."""
    pairs = conversation.snapshot()[0]
    if not pairs:
        return None, error_html("还没有可导出的问答：请先在“问答”页提问")
    chosen = pairs[-1:] if scope == "last" else list(pairs)
    if suffix not in {s for _, s in FORMATS}:
        return None, error_html(f"不支持的导出格式：{suffix}")
    folder = Path(tempfile.mkdtemp(prefix="kb-export-"))
    name = f"问答导出-{datetime.now():%Y%m%d-%H%M%S}{suffix}"
    return str(write_export(chosen, folder / name)), error_html("")


def build_export_tab(conversation: gr.State) -> None:
    gr.Markdown("把“问答”页的回答连同引用出处（文档、期号、日期、文章、页码和原文）导出，便于存档或转发。")
    with gr.Row():
        scope = gr.Radio(SCOPES, value="last", label="导出范围")
        fmt = gr.Radio(FORMATS, value=".docx", label="文件格式")
    make = gr.Button("生成导出文件", variant="primary")
    message = gr.HTML(error_html(""))
    download = gr.File(label="下载", interactive=False)
    make.click(export_file, [conversation, scope, fmt], [download, message], api_name="export")
