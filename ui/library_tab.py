"""The 文档库 tab: the document table, uploads with per-file results, removal and re-indexing."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import gradio as gr

from kb.errors import KBError
from kb.filters import KIND_LABELS
from kb.uploads import upload as upload_files

from .auth import EDITOR_ONLY
from .chat import doc_choices

DOC_HEADERS = ["标题", "期号", "日期", "类型", "片段数", "状态", "入库时间", "文档编号"]
RESULT_HEADERS = ["文件", "结果", "说明"]
CANCELLED = "__cancelled__"
CONFIRM_JS = (f"(d) => (!d || confirm('确定删除所选文档？删除后需重新上传才能检索到它。')) ? d : '{CANCELLED}'")
DOC_STATUS = {"ready": "可检索", "staging": "索引中"}


def doc_rows(kb) -> list[list]:
    return [[d.title, d.issue, d.date, KIND_LABELS.get(d.kind, d.kind), d.n_chunks,
             DOC_STATUS.get(d.status, d.status), (d.ingested_at or "").replace("T", " "), d.doc_id]
            for d in kb.documents()]


def summary(kb) -> str:
    docs = kb.documents()
    return f"共 **{len(docs)}** 个文档、**{sum(d.n_chunks for d in docs)}** 个片段。数据目录：`{kb.settings.data_dir}`"


def run_ingest(kb, paths, progress) -> list[list[str]]:
    """Index paths, reporting progress; one result row per file (成功/失败 + reason)."""
    def report(done, total, name):
        progress((done, total), desc=f"正在索引 {name}" if name else "索引完成", unit="个文件")

    try:
        return [[e.name, e.label, e.message] for e in kb.ingest(paths, progress=report)]
    except KBError as err:        # e.g. a read-only data dir: one row, not an error overlay on the table
        return [["", "失败", str(err)]]


@dataclass(frozen=True)
class LibraryTab:
    refresh: Callable          # () -> updates for `refreshed`, also run on page load
    refreshed: list
    editor_only: list          # hidden from readers on page load (the handlers refuse them too)


def refuse_readers(login, request) -> None:
    """Upload, remove and reindex are for editors: checked on every call, so the API obeys it as the page does."""
    if login is not None and login.role(getattr(request, "username", None)) != "editor":
        raise gr.Error(EDITOR_ONLY, title="没有权限")


def build_library_tab(kb, doc_filter: gr.Dropdown, login=None) -> LibraryTab:
    limit = kb.settings.max_file_mb
    summary_md = gr.Markdown(summary(kb))
    table = gr.Dataframe(doc_rows(kb), headers=DOC_HEADERS, interactive=False, wrap=True, label="已索引的文档",
                         max_height=380, column_widths=["26%", "15%", "8%", "8%", "6%", "7%", "13%", "17%"])
    with gr.Row(equal_height=False) as editor_row:
        with gr.Column():
            # No file_types: gradio would reject the whole batch in English; store_uploads reports each file.
            files = gr.File(file_count="multiple", type="filepath",
                            label=f"上传文件（PDF、TXT、MD、DOCX、HTML，每个不超过 {limit:g} MB；同名文件将被替换）")
            upload = gr.Button("上传并索引", variant="primary")
        with gr.Column():
            to_remove = gr.Dropdown(choices=doc_choices(kb), label="选择要删除的文档", allow_custom_value=True,
                                    info="可输入文档编号、文件名或标题")
            remove = gr.Button("删除所选文档", variant="stop")
            reindex = gr.Button("重新索引全部（未变化的文件自动跳过）")
    results = gr.Dataframe(headers=RESULT_HEADERS, interactive=False, wrap=True, label="处理结果",
                           column_widths=["25%", "10%", "65%"])

    def on_upload(paths, request: gr.Request, progress=gr.Progress()):
        refuse_readers(login, request)
        if not paths:
            return [["", "未上传", "请先选择要上传的文件"]], None
        def report(done, total, name):
            progress((done, total), desc=f"正在索引 {name}" if name else "索引完成", unit="个文件")

        # kb.uploads owns the files from here: checks, safe names, copies, indexing, and deleting what is not kept.
        return [[r.name, r.status, r.message] for r in upload_files(kb, list(paths), report)], None

    def on_remove(doc_id, request: gr.Request):
        refuse_readers(login, request)
        if doc_id == CANCELLED:
            return gr.skip()
        if not doc_id:
            return [["", "未删除", "请先选择要删除的文档"]]
        try:
            n = kb.remove(doc_id)
        except KBError as err:
            return [[doc_id, "未删除", str(err)]]
        return [[doc_id, "已删除", f"{doc_id}：已删除（{n} 个片段）"]]

    def on_reindex(request: gr.Request, progress=gr.Progress()):
        refuse_readers(login, request)
        return run_ingest(kb, kb.known_sources(), progress)

    def refresh():
        choices = doc_choices(kb)
        return (summary(kb), doc_rows(kb), gr.update(choices=choices, value=None),
                gr.update(choices=choices))

    refreshed = [summary_md, table, to_remove, doc_filter]
    write = {"concurrency_id": "kb-write", "concurrency_limit": 1}
    upload.click(on_upload, [files], [results, files], api_name="upload", **write).then(
        refresh, None, refreshed, api_visibility="private")
    remove.click(on_remove, [to_remove], [results], api_name="remove", js=CONFIRM_JS, **write).then(
        refresh, None, refreshed, api_visibility="private")
    reindex.click(on_reindex, None, [results], api_name="reindex", **write).then(
        refresh, None, refreshed, api_visibility="private")
    return LibraryTab(refresh, refreshed, [editor_row])
