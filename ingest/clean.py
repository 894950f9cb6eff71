"""Clean blocks into paragraphs: drop page furniture, undo hard wraps, keep headings and pages.

Readers hand over typed blocks. A plain-text file becomes one block per line (text_blocks: its own Markdown
headings and list marks say what a line is); other readers make their blocks from the file's structure and
clean their text with clean_blocks. paragraphs() then joins a block that carries on the previous one.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

from .models import Block
from .zh import INVISIBLE, TERMINAL, join_wrapped

_FURNITURE = [
    re.compile(r"^[—\-–－]+\s*\d{1,4}\s*[—\-–－]+$"),      # — 12 —
    re.compile(r"^\d{1,4}$"),                               # lone page number
    re.compile(r"^第\s*\d{1,4}\s*页(\s*[/共]\s*\d+\s*页?)?$"),  # 第3页 / 第3页共10页
]
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_LIST_MARK = re.compile(r"^(?:[-*+•]\s+|>\s*)")
_NUMBERED = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\([一二三四五六七八九十]+\)"
                       r"|\d{1,2}(?:[.．](?!\d)|、)\s*\S|第[一二三四五六七八九十百零\d]+[章节条])")
JOIN_MIN = 40             # without a measured wrap width: a line this long and left open goes on in the next


@dataclass
class Paragraph:
    text: str
    level: int = 0                      # heading level; 0 for body text
    page: int | None = None             # page where the paragraph starts
    page_marks: list[tuple[int, int]] = field(default_factory=list)  # (offset in text, page) inside it
    label: str = ""                     # for a clause paragraph (第三条 …), its number: the heading it is cited by


def is_furniture(line: str) -> bool:
    return any(p.match(line) for p in _FURNITURE)


def _wrap_width(lines: list[str]) -> int | None:
    """The width a hard-wrapped extraction breaks lines at, or None when lines are not hard-wrapped."""
    lengths = [len(line) for line in lines if len(line) >= 10]
    if len(lengths) < 20:
        return None
    width, _ = Counter(lengths).most_common(1)[0]
    near = sum(1 for n in lengths if width - 4 <= n <= width + 3)
    return width if near / len(lengths) >= 0.35 else None


def _starts_block(line: str) -> bool:
    return line.startswith("#") or bool(_LIST_MARK.match(line)) or bool(_NUMBERED.match(line))


def clean_lines(raw: str, keep_furniture: bool = False) -> list[str]:
    """Lines without invisible characters, Markdown bold, surrounding space, blank lines and page furniture."""
    text = raw.translate(INVISIBLE).replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)           # Markdown bold the extraction left in
    lines = (line.strip().replace("\u3000", " ") for line in text.split("\n"))
    return [line for line in lines if line and (keep_furniture or not is_furniture(line))]


def _line_block(line: str, continues: bool = True) -> Block:
    """A cleaned line that is not a heading: a list item when it starts with a list mark."""
    if _LIST_MARK.match(line):
        return Block("list_item", _LIST_MARK.sub("", line))
    return Block("paragraph", line, continues=continues)


def text_blocks(raw: str) -> tuple[list[Block], int | None]:
    """A plain-text or Markdown file: one block per line ('# ' a heading, '- ' a list item), and its wrap width."""
    lines = clean_lines(raw)
    blocks = []
    for line in lines:
        m = _HEADING.match(line)
        blocks.append(Block("heading", m.group(2).strip(), level=len(m.group(1))) if m else _line_block(line))
    return blocks, _wrap_width(lines)


def _stray(line: str, set_apart: bool) -> bool:
    """Page furniture to drop. Unchanged from when structured sources went through text: a block set apart as a
    paragraph of its own after an open one was written as a list item ('- — 1 —'), which the furniture test does
    not match; so such a block is tested with that mark (whether to drop the mark is a behaviour change)."""
    return is_furniture("- " + line if set_apart else line)


def clean_blocks(blocks: list[Block]) -> tuple[list[Block], int | None]:
    """A structured reader's blocks with their text cleaned as text_blocks cleans lines: a block whose text holds
    line breaks becomes one block per line; furniture lines go; a list mark makes a list item. And the wrap width
    of the blocks' lines."""
    out: list[Block] = []
    for b in blocks:
        for n, line in enumerate(clean_lines(b.text, keep_furniture=True)):
            if n == 0 and b.kind == "heading":
                out.append(replace(b, text=line))
            elif not _stray(line, set_apart=n == 0 and not b.continues):
                piece = _line_block(line, b.continues if n == 0 else True)
                kind = b.kind if n == 0 and piece.kind == "paragraph" else piece.kind
                out.append(replace(b, kind=kind, text=piece.text, level=0, continues=piece.continues))
    return out, _wrap_width([b.text for b in out])


def _joins(prev: str, block: Block, join_min: int) -> bool:
    """Does `block` carry on the paragraph whose last line is `prev`?"""
    if not block.continues or prev.startswith("#") or _starts_block(block.text) or TERMINAL.search(prev):
        return False
    return len(prev) >= join_min


def paragraphs(blocks: list[Block], wrap_width: int | None = None) -> list[Paragraph]:
    """Clean blocks → paragraphs: a block that carries on an open paragraph is joined onto it (its page, when it
    starts another one, kept as a page mark inside the paragraph)."""
    join_min = wrap_width - 5 if wrap_width else JOIN_MIN
    paras: list[Paragraph] = []
    page: int | None = None
    new_page = False
    prev_line = ""
    for b in blocks:
        if b.page != page:
            page, new_page = b.page, True
        last = paras[-1] if paras else None
        if last and not last.level and _joins(prev_line, b, join_min):
            if new_page:
                last.page_marks.append((len(last.text), page))
            last.text = join_wrapped(last.text, b.text)
        elif b.text:
            paras.append(Paragraph(text=b.text, level=b.level if b.kind == "heading" else 0, page=page))
        new_page = False
        prev_line = b.text
    return [p for p in paras if p.text.strip()]


def text_paragraphs(raw: str) -> list[Paragraph]:
    """Paragraphs of a plain-text file's content."""
    return paragraphs(*text_blocks(raw))
