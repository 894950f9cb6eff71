"""Word (.docx) and HTML policy texts → typed blocks (headings from Word's heading styles and HTML's h1–h6)."""
from __future__ import annotations

import io
from html.parser import HTMLParser

from .clean import clean_blocks
from .errors import IngestError
from .models import Block, RawText


def _raw(blocks: list[Block], fmt: str) -> RawText:
    text = "\n".join(b.text for b in blocks)
    cleaned, width = clean_blocks(blocks)
    return RawText(blocks=tuple(cleaned), fmt=fmt, text=text, wrap_width=width)


def _heading_level(style: str) -> int:
    """Word's 'Heading 2' / '标题 2' → 2 (a heading style without a number is level 1); 0 for body styles."""
    if not (style.lower().startswith("heading") or style.startswith("标题")):
        return 0
    return min(int("".join(ch for ch in style if ch.isdigit()) or "1"), 6)


def read_docx(data: bytes, name: str) -> RawText:
    try:
        import docx
    except ImportError:
        raise IngestError(f"{name}：未安装 python-docx，无法读取 Word 文档") from None
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception:
        raise IngestError(f"{name}：Word 文档已损坏，无法读取") from None
    blocks = []
    for para in document.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        level = _heading_level((para.style.name or "") if para.style is not None else "")
        # Word paragraphs carry on one another the way hard-wrapped lines do when one is left open.
        blocks.append(Block("heading", text, level=level) if level else Block("paragraph", text, continues=True))
    for table in document.tables:
        for row in table.rows:
            blocks.append(Block("table_row", " | ".join(cell.text.strip() for cell in row.cells), continues=True))
    if not blocks:
        raise IngestError(f"{name}：Word 文档中没有文字")
    return _raw(blocks, "docx")


class _HTMLBlocks(HTMLParser):
    """Text between block elements becomes one block: a heading inside h1–h6, a table row inside tr."""
    BLOCKS = {"p", "div", "br", "li", "tr", "section", "article", "table", "h1", "h2", "h3", "h4", "h5", "h6"}
    SKIP = {"script", "style", "noscript", "head", "nav", "footer"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.kind, self.level = "paragraph", 0
        self.skip = 0

    def _flush(self, kind: str = "paragraph", level: int = 0) -> None:
        text = "".join(self.parts)
        if text.strip():
            self.blocks.append(Block(self.kind, text, level=self.level, continues=self.kind != "heading"))
        self.parts, self.kind, self.level = [], kind, level

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCKS:
            heading = tag[0] == "h" and tag[1:].isdigit()
            self._flush("heading" if heading else "table_row" if tag == "tr" else "paragraph",
                        int(tag[1:]) if heading else 0)
        elif tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data.replace("\n", " "))


def read_html(html: str, name: str) -> RawText:
    parser = _HTMLBlocks()
    parser.feed(html)
    parser._flush()
    if not parser.blocks:
        raise IngestError(f"{name}：网页中没有正文文字")
    return _raw(parser.blocks, "html")
