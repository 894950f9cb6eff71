"""The plain tuples PDF layout works on: glyphs, visual lines, tables, and rows of glyphs in page order.

Also the layout's tuning constants, in one place (pdf_gutters and pdf_layout use them).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

BIN = 2.0            # points per coverage bin
MIN_GUTTER = 2.0     # narrowest white run between columns, in points (one bin: hanging stops narrow it)
HEADING_RATIO = 1.18 # a line this much larger than the body text is a title
HEADLINE_RATIO = 1.4 # and this much larger, an article headline (never an in-column subhead)
WORD_GAP = 0.35      # gaps inside a row narrower than this (em) are a word space, not white
SIDE_EM = 4.0        # text on each side of a gutter spans at least this (em): a list's numbers are no column
SPAN_EM = 2.0        # a full-width row reaches at least this far (em) past a gutter on both sides,
REACH = 0.3          # and this share of the way to the page's edge
MIN_SHARE = 0.4      # a gutter belongs to a band when it runs beside this share of the band's rows
LEAK = 3             # rows a new layout's gutter may start above the old layout's end (short last lines)


class Glyph(NamedTuple):
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


@dataclass
class Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    left: float       # edges of the column (or full-width band) the line was read in
    right: float


@dataclass
class TableBlock:
    rows: list[str]   # "cell | cell | …"
    x0: float
    top: float
    x1: float
    bottom: float


def is_heading_size(size: float, body: float) -> bool:
    return size >= body * HEADING_RATIO and size - body >= 1.5


def group_rows(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """Glyphs on one visual line, rows top to bottom, each row left to right."""
    rows: list[list[Glyph]] = []
    ref_bottom = 0.0
    for g in sorted(glyphs, key=lambda g: (g.top, g.x0)):
        if rows and (g.top + g.bottom) / 2 < ref_bottom:
            rows[-1].append(g)
        else:
            rows.append([g])
            ref_bottom = g.bottom
    for row in rows:
        row.sort(key=lambda g: g.x0)
    return rows


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def row_text(row: list[Glyph]) -> str:
    """A row's text; spaces only where the PDF has them or between Latin words set apart."""
    out: list[str] = []
    prev: Glyph | None = None
    for g in row:
        if prev is not None:
            if g.text == prev.text and abs(g.x0 - prev.x0) < 0.2 * g.size:
                continue                                   # over-printed glyph (fake bold)
            if g.x0 - prev.x1 > 0.25 * g.size and (_latin(g.text[0]) or _latin(prev.text[-1])):
                out.append(" ")
        out.append(g.text)
        prev = g
    return re.sub(r"\s+", " ", "".join(out)).strip()


def make_line(row: list[Glyph], left: float, right: float) -> Line:
    ink = [g for g in row if not g.text.isspace()] or row
    sizes = sorted(g.size for g in ink)
    return Line(text=row_text(row), x0=ink[0].x0, x1=max(g.x1 for g in ink), top=min(g.top for g in ink),
                bottom=max(g.bottom for g in ink), size=sizes[len(sizes) // 2], left=left, right=right)



@dataclass(frozen=True)
class Unit:
    """A row of glyphs (or a table) in the page's vertical order."""
    top: float
    bottom: float
    x0: float
    x1: float
    size: float
    glyphs: tuple[Glyph, ...] = ()
    table: TableBlock | None = None


def page_units(rows: list[list[Glyph]], tables: list[TableBlock]) -> list[Unit]:
    out = []
    for r in rows:
        ink = [g for g in r if not g.text.isspace()]
        if ink:
            sizes = sorted(g.size for g in ink)
            out.append(Unit(min(g.top for g in ink), max(g.bottom for g in ink), min(g.x0 for g in ink),
                             max(g.x1 for g in ink), sizes[len(sizes) // 2], tuple(r)))
    out += [Unit(t.top, t.bottom, t.x0, t.x1, 0.0, (), t) for t in tables]
    return sorted(out, key=lambda u: (u.top, u.x0))
