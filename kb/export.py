"""Export question–answer pairs with their citations to Word (.docx), Markdown and JSON.

Plain functions over (question, Answer) pairs: the UI and the CLI hand them what they hold and get bytes or text
back (or a written file). Nothing here knows about Gradio.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable, Sequence

from .answer import Answer
from .retrieve import Hit

Pair = tuple[str, Answer]
FORMATS = {".docx": "docx", ".md": "markdown", ".json": "json"}
TITLE = "常州科技知识库 · 问答导出"
QUOTE_CHARS = 300          # a related (not cited) passage is shown up to this many characters


def _now(exported_at: datetime | None) -> str:
    return (exported_at or datetime.now()).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Reference:
    """One entry of an export's 参考资料 list: where a passage is, and the passage. Every format writes these."""
    n: int
    document: str
    publication: str
    issue: str
    date: str
    article: str
    section: str
    page: int | None
    quote: str
    cited: bool               # False: a related passage offered with a refusal (可能相关)

    def to_json(self) -> dict:
        return asdict(self)

    def place(self) -> str:
        """Document · issue · date · article · section · page, whichever are known, each once."""
        parts = [self.document, self.issue, self.date, self.article, self.section,
                 f"第{self.page}页" if self.page else ""]
        seen: list[str] = []
        for part in parts:
            if part and part not in seen:
                seen.append(part)
        return " · ".join(seen)


def _reference(n: int, hit: Hit, quote: str, cited: bool) -> Reference:
    return Reference(n, hit.title or hit.source, hit.publication, hit.issue, hit.date, hit.article, hit.section,
                     hit.page, quote.strip(), cited)


def where(hit: Hit) -> str:
    """Document title · issue · date · article · section · page of a passage, whichever are known."""
    return _reference(0, hit, "", True).place()


def references(answer: Answer) -> list[Reference]:
    """The citations of an answer; for a refusal, the related passages (可能相关)."""
    if answer.citations:
        return [_reference(c.n, c.hit, c.quote, True) for c in answer.citations]
    if answer.answered:
        return []
    return [_reference(n, h, h.text[:QUOTE_CHARS], False) for n, h in enumerate(answer.related, start=1)]


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
