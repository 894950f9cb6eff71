"""Word (.docx) and HTML policy texts → text with headings marked as Markdown."""
from __future__ import annotations

import io
from html.parser import HTMLParser

from .errors import IngestError
from .readers import RawText


def read_docx(data: bytes, name: str) -> RawText:
    try:
        import docx
    except ImportError:
        raise IngestError(f"{name}：未安装 python-docx，无法读取 Word 文档") from None
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception:
        raise IngestError(f"{name}：Word 文档已损坏，无法读取") from None
    lines = []
    for para in document.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        style = (para.style.name or "") if para.style is not None else ""
        if style.lower().startswith("heading") or style.startswith("标题"):
            level = "".join(ch for ch in style if ch.isdigit()) or "1"
            lines.append("#" * min(int(level), 6) + " " + text)
        else:
            lines.append(text)
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    if not lines:
        raise IngestError(f"{name}：Word 文档中没有文字")
    return RawText(text="\n\n".join(lines), fmt="docx")


class _HTMLText(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "tr", "section", "article", "table", "h1", "h2", "h3", "h4", "h5", "h6"}
    SKIP = {"script", "style", "noscript", "head", "nav", "footer"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCKS:
            self.out.append("\n\n")
            if tag[0] == "h" and tag[1:].isdigit():
                self.out.append("#" * int(tag[1:]) + " ")
        elif tag in ("td", "th"):
            self.out.append(" | ")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.out.append("\n\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data.replace("\n", " "))


def read_html(html: str, name: str) -> RawText:
    parser = _HTMLText()
    parser.feed(html)
    text = "".join(parser.out)
    if not text.strip():
        raise IngestError(f"{name}：网页中没有正文文字")
    return RawText(text=text, fmt="html")
