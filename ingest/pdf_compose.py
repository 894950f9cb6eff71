"""Lines in reading order → typed blocks: headings (with levels), paragraphs and table rows.

Each paragraph is one block. Only the first paragraph of a page may carry on the previous page's last one: when
that one is left open, a short one is joined here and a long one is marked `continues`, for cleaning to join
by the rule it applies to hard-wrapped text.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from .clean import JOIN_MIN
from .models import Block
from .pdf_glyphs import Line, TableBlock, is_heading_size
from .structure import TITLE_MAX
from .zh import TERMINAL, join_text



@dataclass
class PageBlock:
    """A block while one page is being read: its font size picks the heading level across pages."""
    kind: str                 # heading | para | row
    text: str
    box: tuple[float, float, float, float]
    size: float = 0.0
    level: int = 0
    continues: bool = False   # first paragraph of a page that may carry on the previous page's


def _union(a: tuple[float, float, float, float], b: tuple[float, float, float, float]):
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _box(item: Line | TableBlock) -> tuple[float, float, float, float]:
    return (item.x0, item.top, item.x1, item.bottom)


def is_heading(line: Line, body: float) -> bool:
    return is_heading_size(line.size, body)


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
    return short >= 1.5 * prev.size and (bool(TERMINAL.search(prev.text)) or short >= 0.4 * (prev.right - prev.left))


def page_blocks(items: list[Line | TableBlock], body: float) -> list[PageBlock]:
    blocks: list[PageBlock] = []
    gap = _typical_gap(items)
    prev: Line | None = None
    for item in items:
        if isinstance(item, TableBlock):
            blocks += [PageBlock("row", row, _box(item)) for row in item.rows]
            prev = None
            continue
        last = blocks[-1] if blocks else None
        if is_heading(item, body):
            if (last and last.kind == "heading" and prev and abs(prev.size - item.size) < 1
                    and 0 <= item.top - prev.bottom < 1.2 * item.size):
                last.text, last.box = join_text(last.text, item.text), _union(last.box, _box(item))
            else:
                blocks.append(PageBlock("heading", item.text, _box(item), size=item.size))
        elif last and last.kind == "para" and prev and not _breaks(prev, item, gap):
            last.text, last.box = join_text(last.text, item.text), _union(last.box, _box(item))
        else:
            blocks.append(PageBlock("para", item.text, _box(item), continues=not blocks and not _indented(item)))
        prev = item
    for b in blocks:
        if b.kind == "heading" and len(b.text) > TITLE_MAX:
            b.kind = "para"           # a "title" this long is a lead paragraph set in a larger font
    return blocks


def assign_levels(pages: list[list[PageBlock]]) -> None:
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


def compose(pages: list[list[PageBlock]]) -> list[list[Block]]:
    """Typed blocks per page. A paragraph after one left open (no end punctuation) starts a new paragraph unless
    it is the page's first and may carry on: then it is joined (when the open one is short) or marked."""
    out: list[list[Block]] = []
    last: tuple[int, int] | None = None      # (page, block) of the last paragraph written
    prev_text = ""
    for blocks in pages:
        page: list[Block] = []
        out.append(page)
        for b in blocks:
            if b.kind == "heading":
                page.append(Block("heading", b.text, level=b.level, box=b.box))
                prev_text, last = "#", None
                continue
            open_end = bool(prev_text) and not prev_text.startswith("#") and not TERMINAL.search(prev_text)
            if b.continues and open_end and last and len(prev_text) < JOIN_MIN:
                # Shorter than cleaning joins across a break: the next page's first paragraph carries on here.
                p, i = last
                out[p][i] = replace(out[p][i], text=join_text(out[p][i].text, b.text))
                prev_text = join_text(prev_text, b.text)
                continue
            kind = "paragraph" if b.kind == "para" else "table_row"
            # Set apart (continues=False): a new paragraph right after one left open, which cleaning must not join.
            page.append(Block(kind, b.text, box=b.box, continues=not open_end or b.continues))
            prev_text = b.text
            last = (len(out) - 1, len(page) - 1) if b.kind == "para" else None
    return out
