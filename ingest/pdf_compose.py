"""Lines in reading order → paragraphs, Markdown headings and table rows, as text clean.py understands.

Each paragraph is written as one line. clean.py joins a line onto the previous one when that one is long
and lacks end punctuation (how it mends hard-wrapped text files); a real new paragraph after such a line is
written with a "- " list mark, which clean.py treats as a block start and strips. Only the first paragraph of
a page may be left to clean.py to join: it continues the previous page's paragraph.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .pdf_layout import Line, TableBlock, is_heading_size

HEADING_MAX = 60          # longer "titles" are lead paragraphs set in a larger font
_TERMINAL = re.compile(r"[。！？!?；;：:…][”’」』）)\"']*$")


@dataclass
class Block:
    kind: str                 # heading | para | row
    text: str
    size: float = 0.0
    level: int = 0
    continues: bool = False   # first paragraph of a page that may carry on the previous page's


def is_heading(line: Line, body: float) -> bool:
    return is_heading_size(line.size, body)


_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def join_text(a: str, b: str) -> str:
    """Join two visual lines: a space only between Latin words in Latin text (Chinese wraps anywhere)."""
    if (a and b and a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum()
            and not _CJK.search(a[-12:] + b[:12])):
        return f"{a} {b}"
    return a + b


def _typical_gap(items: list[Line | TableBlock]) -> float:
    gaps = sorted(b.top - a.bottom for a, b in zip(items, items[1:])
                  if isinstance(a, Line) and isinstance(b, Line) and a.left == b.left and b.top > a.bottom)
    return gaps[len(gaps) // 2] if gaps else 0.0


def _indented(line: Line) -> bool:
    return line.x0 - line.left >= 0.9 * line.size


def _breaks(prev: Line, line: Line, gap: float) -> bool:
    """Does `line` start a new paragraph after `prev`?"""
    if prev.left == line.left and line.top > prev.top and line.top - prev.bottom > gap + 0.6 * line.size:
        return True
    if _indented(line):
        return True
    short = prev.right - prev.x1
    return short >= 1.5 * prev.size and (bool(_TERMINAL.search(prev.text)) or short >= 0.4 * (prev.right - prev.left))


def page_blocks(items: list[Line | TableBlock], body: float) -> list[Block]:
    blocks: list[Block] = []
    gap = _typical_gap(items)
    prev: Line | None = None
    for item in items:
        if isinstance(item, TableBlock):
            blocks += [Block("row", row) for row in item.rows]
            prev = None
            continue
        last = blocks[-1] if blocks else None
        if is_heading(item, body):
            if (last and last.kind == "heading" and prev and abs(prev.size - item.size) < 1
                    and 0 <= item.top - prev.bottom < 1.2 * item.size):
                last.text = join_text(last.text, item.text)
            else:
                blocks.append(Block("heading", item.text, size=item.size))
        elif last and last.kind == "para" and prev and not _breaks(prev, item, gap):
            last.text = join_text(last.text, item.text)
        else:
            blocks.append(Block("para", item.text, continues=not blocks and not _indented(item)))
        prev = item
    for b in blocks:
        if b.kind == "heading" and len(b.text) > HEADING_MAX:
            b.kind = "para"
    return blocks


def assign_levels(pages: list[list[Block]]) -> None:
    """Article titles (the largest size used for more than one title) are level 1; smaller ones 2 and 3."""
    heads = [b for blocks in pages for b in blocks if b.kind == "heading"]
    sizes = Counter(round(b.size * 2) / 2 for b in heads)
    distinct = sorted(sizes, reverse=True)
    recurring = [s for s, n in sizes.items() if n >= 2]
    top = max(recurring) if recurring else distinct[0] if distinct else 0
    below = [s for s in distinct if s < top]
    for b in heads:
        s = round(b.size * 2) / 2
        b.level = 1 if s >= top else 2 + min(below.index(s), 1)


def compose(pages: list[list[Block]]) -> list[str]:
    """One text per page: headings as '# title', paragraphs and table rows one per line."""
    out: list[list[str]] = []
    last: tuple[int, int] | None = None      # (page, line) of the last paragraph written
    prev_text = ""
    for blocks in pages:
        lines: list[str] = []
        out.append(lines)
        for b in blocks:
            if b.kind == "heading":
                lines.append("#" * b.level + " " + b.text)
                prev_text, last = "#", None
                continue
            open_end = bool(prev_text) and not prev_text.startswith("#") and not _TERMINAL.search(prev_text)
            if b.continues and open_end and last and len(prev_text) < 40:
                # Too short for clean.py to join across the page break: carry on the line itself.
                p, i = last
                out[p][i] = join_text(out[p][i], b.text)
                prev_text = join_text(prev_text, b.text)
                continue
            lines.append(("- " if open_end and not b.continues else "") + b.text)
            prev_text = b.text
            last = (len(out) - 1, len(lines) - 1) if b.kind == "para" else None
    return ["\n".join(lines) for lines in out]
