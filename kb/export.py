"""Export question–answer pairs with their citations to Word (.docx), Markdown and JSON.

Plain functions over (question, Answer) pairs: the UI and the CLI hand them what they hold and get bytes or text
back (or a written file). Nothing here knows about Gradio.
"""
from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from typing import Iterable, Sequence

from .answer import Answer
from .retrieve import Hit

Pair = tuple[str, Answer]
FORMATS = {".docx": "docx", ".md": "markdown", ".json": "json"}
TITLE = "常州科技知识库 · 问答导出"
EAST_ASIAN_FONT = "宋体"


def _now(exported_at: datetime | None) -> str:
    return (exported_at or datetime.now()).strftime("%Y-%m-%d %H:%M:%S")


def where(hit: Hit) -> str:
    """Document title · issue · date · article · page, whichever are known."""
    parts = [hit.title or hit.source, hit.issue, hit.date, hit.article, f"第{hit.page}页" if hit.page else ""]
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    return " · ".join(seen)


def remarks(answer: Answer) -> list[str]:
    """How a generated answer was checked against the sources, and the answerer's notes."""
    checks = getattr(answer, "verification", ()) or ()
    lines = []
    if answer.answerer != "extractive" and checks:
        lines.append(f"已与原文核对：{sum(bool(c.verified) for c in checks)}/{len(checks)} 句一致")
    return lines + [str(n) for n in answer.notes]


def _pairs(pairs: Iterable[Pair]) -> list[Pair]:
    out = [(q, a) for q, a in pairs]
    if not out:
        raise ValueError("没有可导出的问答")
    return out


# -- JSON ---------------------------------------------------------------------
def to_json(pairs: Iterable[Pair], exported_at: datetime | None = None) -> str:
    """The strings are kept as typed; < > & are written as \\u escapes so a page that embeds the file (or a
    viewer that sniffs it as HTML) never meets markup from a question or a passage."""
    items = [{**answer.to_json(), "question": question} for question, answer in _pairs(pairs)]
    text = json.dumps({"title": TITLE, "exported_at": _now(exported_at), "items": items},
                      ensure_ascii=False, indent=2)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# -- Markdown -----------------------------------------------------------------
def _md_text(text: str) -> str:
    """User and document text as text: Markdown renderers pass raw HTML through, so `<script>` in a question
    would run in whatever shows the export."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _md_quote(text: str) -> str:
    return "\n".join("> " + _md_text(line) for line in text.strip().splitlines() if line.strip()) or "> "


def to_markdown(pairs: Iterable[Pair], exported_at: datetime | None = None) -> str:
    lines = [f"# {TITLE}", "", f"导出时间：{_now(exported_at)}", ""]
    for i, (question, answer) in enumerate(_pairs(pairs), start=1):
        lines += [f"## 问题 {i}：{_md_text(question)}", "", f"**回答：** {_md_text(answer.text)}", ""]
        lines += [f"*{_md_text(r)}*\n" for r in remarks(answer)]
        if answer.citations:
            lines += ["**引用：**", ""]
            for c in answer.citations:
                lines += [f"[{c.n}] {_md_text(where(c.hit))}", "", _md_quote(c.quote), ""]
        if not answer.answered and answer.related:
            lines += ["**可能相关：**", ""]
            for hit in answer.related:
                lines += [f"- {_md_text(where(hit))}", "", _md_quote(hit.text[:300]), ""]
    return "\n".join(lines).rstrip() + "\n"


# -- Word ---------------------------------------------------------------------
def _set_east_asian_font(style, name: str) -> None:
    from docx.oxml.ns import qn
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def _docx_citation(doc, n: int, hit: Hit, quote: str) -> None:
    head = doc.add_paragraph()
    head.add_run(f"[{n}] ").bold = True
    head.add_run(where(hit))
    doc.add_paragraph(quote.strip(), style="Quote")


def to_docx(pairs: Iterable[Pair], exported_at: datetime | None = None) -> bytes:
    from docx import Document
    doc = Document()
    for style_name in ("Normal", "Title", "Heading 1", "Heading 2", "Quote"):
        _set_east_asian_font(doc.styles[style_name], EAST_ASIAN_FONT)
    doc.core_properties.title = TITLE
    doc.add_heading(TITLE, level=0)
    doc.add_paragraph(f"导出时间：{_now(exported_at)}")
    for i, (question, answer) in enumerate(_pairs(pairs), start=1):
        doc.add_heading(f"问题 {i}：{question}", level=1)
        para = doc.add_paragraph()
        para.add_run("回答：").bold = True
        para.add_run(answer.text)
        for remark in remarks(answer):
            doc.add_paragraph().add_run(remark).italic = True
        if answer.citations:
            doc.add_heading("引用", level=2)
            for c in answer.citations:
                _docx_citation(doc, c.n, c.hit, c.quote)
        if not answer.answered and answer.related:
            doc.add_heading("可能相关", level=2)
            for n, hit in enumerate(answer.related, start=1):
                _docx_citation(doc, n, hit, hit.text[:300])
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# -- files --------------------------------------------------------------------
def export_bytes(pairs: Sequence[Pair], fmt: str, exported_at: datetime | None = None) -> bytes:
    """fmt: docx | markdown | json."""
    if fmt == "docx":
        return to_docx(pairs, exported_at)
    if fmt == "markdown":
        return to_markdown(pairs, exported_at).encode("utf-8")
    if fmt == "json":
        return to_json(pairs, exported_at).encode("utf-8")
    raise ValueError(f"不支持的导出格式：{fmt}")


def write_export(pairs: Sequence[Pair], path: str | Path, exported_at: datetime | None = None) -> Path:
    """Write to path; the format follows its suffix (.docx, .md, .json)."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"不支持的导出格式：{path.suffix or '无扩展名'}（支持 .docx .md .json）")
    path.write_bytes(export_bytes(pairs, fmt, exported_at))
    return path
