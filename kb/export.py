"""Export question–answer pairs with their citations to Word (.docx), Markdown and JSON.

Plain functions over (question, Answer) pairs: the UI and the CLI hand them what they hold and get bytes or text
back (or a written file). Nothing here knows about Gradio.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Iterable, Sequence

from .answer import Answer
from .references import references, remarks, where  # noqa: F401  (where: kept importable from here)

Pair = tuple[str, Answer]
FORMATS = {".docx": "docx", ".md": "markdown", ".json": "json"}
TITLE = "常州科技知识库 · 问答导出"


def _now(exported_at: datetime | None) -> str:
    return (exported_at or datetime.now()).strftime("%Y-%m-%d %H:%M:%S")


def _pairs(pairs: Iterable[Pair]) -> list[Pair]:
    out = [(q, a) for q, a in pairs]
    if not out:
        raise ValueError("没有可导出的问答")
    return out


# -- JSON ---------------------------------------------------------------------
def to_json(pairs: Iterable[Pair], exported_at: datetime | None = None) -> str:
    """The strings are kept as typed; < > & are written as \\u escapes so a page that embeds the file (or a
    viewer that sniffs it as HTML) never meets markup from a question or a passage."""
    items = [{**answer.to_json(), "question": question, "references": [r.to_json() for r in references(answer)]}
             for question, answer in _pairs(pairs)]
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
        refs = references(answer)
        if refs:
            lines += ["**参考资料：**" if refs[0].cited else "**可能相关：**", ""]
            for r in refs:
                lines += [f"[{r.n}] {_md_text(r.place())}", "", _md_quote(r.quote), ""]
    return "\n".join(lines).rstrip() + "\n"


# -- Word ---------------------------------------------------------------------
def to_docx(pairs: Iterable[Pair], exported_at: datetime | None = None) -> bytes:
    """A reply in the layout of a Chinese official document (kb/export_docx.py)."""
    from .export_docx import official_docx
    return official_docx(_pairs(pairs), _now(exported_at), TITLE)


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
