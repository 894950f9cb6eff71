"""Reading order on one PDF page: rows of glyphs, column gutters, bands read column by column.

Works on plain glyph tuples (no pdfplumber objects), so a page can be laid out after the PDF is closed.
Every glyph is assigned to exactly one band and column, so no text is duplicated or lost at edges.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import NamedTuple

BIN = 2.0            # points per histogram bin
MIN_GUTTER = 6.0     # narrowest white space between columns, in points
HEADING_RATIO = 1.18 # a line this much larger than the body text is a title


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


def _coverage(rows: list[list[Glyph]], left: float, nbins: int) -> list[int]:
    """How many rows have ink over each BIN-wide slice of the page."""
    cov = [0] * nbins
    for row in rows:
        covered = bytearray(nbins)
        for g in row:
            if g.text.isspace():
                continue
            a = max(int((g.x0 - left + 0.5) // BIN), 0)
            b = min(int((g.x1 - left - 0.5) // BIN), nbins - 1)
            if b >= a:
                covered[a:b + 1] = b"\x01" * (b - a + 1)
        cov = [c + v for c, v in zip(cov, covered)]
    return cov


def _crosses(g: Glyph, gutter: tuple[float, float]) -> bool:
    return not g.text.isspace() and g.x0 < gutter[1] - 1 and g.x1 > gutter[0] + 1


def find_gutters(rows: list[list[Glyph]], left: float, right: float) -> list[tuple[float, float]]:
    """Vertical white strips that separate columns: (x0, x1) pairs, left to right."""
    width = right - left
    if width < 120 or len(rows) < 3:
        return []
    nbins = int(width // BIN) + 1
    cov = _coverage(rows, left, nbins)
    lo, hi = int(nbins * 0.15), int(nbins * 0.85)
    low = min(cov[lo:hi])
    tol = max(1, len(rows) // 25)
    gutters, i = [], lo
    while i < hi:
        if cov[i] > low + tol:
            i += 1
            continue
        a = i
        while a > 1 and cov[a - 1] <= low + tol:
            a -= 1
        b = i
        while b < nbins - 2 and cov[b + 1] <= low + tol:
            b += 1
        i = b + 1
        gutter = (left + a * BIN, left + (b + 1) * BIN)
        if gutter[1] - gutter[0] >= MIN_GUTTER and _separates(rows, gutter):
            gutters.append(gutter)
    return gutters


def _separates(rows: list[list[Glyph]], gutter: tuple[float, float]) -> bool:
    """Enough rows have text on both sides of the strip and none in it, and both sides hold real text."""
    split = crossing = n_left = n_right = 0
    for row in rows:
        if any(_crosses(g, gutter) for g in row):
            crossing += 1
            continue
        ls = sum(1 for g in row if g.x1 <= gutter[0] + 1 and not g.text.isspace())
        rs = sum(1 for g in row if g.x0 >= gutter[1] - 1 and not g.text.isspace())
        n_left += ls
        n_right += rs
        split += bool(ls and rs)
    total = n_left + n_right
    return (split >= max(3, 0.1 * crossing) and total > 0
            and min(n_left, n_right) >= 0.1 * total)


def read_page(glyphs: list[Glyph], tables: list[TableBlock], body: float) -> list[Line | TableBlock]:
    """The page's lines and tables in reading order: band by band, each band column by column.

    `body` is the body-text font size; a title row with nothing beside it in the other columns spans
    the page like a crossing row, even when it is short enough to fit in one column.
    """
    if not glyphs:
        return sorted(tables, key=lambda t: t.top)
    rows = group_rows(glyphs)
    left, right = min(g.x0 for g in glyphs), max(g.x1 for g in glyphs)
    gutters = find_gutters(rows, left, right)
    if not gutters:
        units = [(r[0].top, make_line(r, left, right)) for r in rows] + [(t.top, t) for t in tables]
        return [u for _, u in sorted(units, key=lambda u: u[0])]

    edges = [left] + [x for g in gutters for x in g] + [right]
    spans = list(zip(edges[::2], edges[1::2]))             # column x-ranges

    mids = [(a + b) / 2 for a, b in gutters]

    def column_of(x: float) -> int:
        return bisect.bisect_left(mids, x)

    # Units in vertical order; a unit crossing a gutter starts a full-width band.
    units = [(min(g.top for g in r), any(_crosses(g, gt) for g in r for gt in gutters), r) for r in rows]
    units = [(top, crossing or _lone_title(r, glyphs, column_of, body), r) for top, crossing, r in units]
    units += [(t.top, any(t.x0 < gt[1] - 1 and t.x1 > gt[0] + 1 for gt in gutters), t) for t in tables]
    units.sort(key=lambda u: u[0])
    col_edges = _column_edges(units, spans, column_of)

    out: list[Line | TableBlock] = []
    i = 0
    while i < len(units):
        j = i
        while j + 1 < len(units) and units[j + 1][1] == units[i][1]:
            j += 1
        band = units[i:j + 1]
        if band[0][1]:
            out += [u if isinstance(u, TableBlock) else make_line(u, left, right) for _, _, u in band]
        else:
            out += _read_columns(band, spans, column_of, col_edges)
        i = j + 1
    return out


def _lone_title(row: list[Glyph], glyphs: list[Glyph], column_of, body: float) -> bool:
    """A title-sized row with no text in the other columns at its height (a short full-width headline)."""
    # Only the title-sized glyphs count: a subhead set in one column shares its row with body text in the
    # other column, and that body text must keep the row from becoming a full-width band.
    ink = [g for g in row if not g.text.isspace() and is_heading_size(g.size, body)]
    if not ink:
        return False
    size = max(g.size for g in ink)
    cols = {column_of((g.x0 + g.x1) / 2) for g in ink}
    if len(cols) > 1:
        return False            # title-sized text in two columns, clear of the gutter: two subheads side by side
    top, bottom = min(g.top for g in ink) - 0.3 * size, max(g.bottom for g in ink) + 0.3 * size
    if any(g.bottom > top and g.top < bottom and column_of((g.x0 + g.x1) / 2) not in cols
           for g in glyphs if not g.text.isspace()):
        return False
    # A headline has its text under it; a subhead left at the foot of a column (its text goes on at the top
    # of the next column) has none, and is read in its column.
    return any(g.top >= bottom and column_of((g.x0 + g.x1) / 2) in cols for g in glyphs if not g.text.isspace())


def _column_edges(units, spans, column_of) -> list[tuple[float, float]]:
    """Left and right text edges of each column, from the rows that keep to one column."""
    edges = [[b, a] for a, b in spans]
    for _, crossing, u in units:
        if crossing or isinstance(u, TableBlock):
            continue
        for g in u:
            if not g.text.isspace():
                e = edges[column_of((g.x0 + g.x1) / 2)]
                e[0], e[1] = min(e[0], g.x0), max(e[1], g.x1)
    return [(a, b) if a < b else span for (a, b), span in zip(edges, spans)]


def _read_columns(band, spans, column_of, col_edges) -> list[Line | TableBlock]:
    per_col: list[list[Glyph]] = [[] for _ in spans]
    col_tables: list[list[TableBlock]] = [[] for _ in spans]
    for _, _, u in band:
        if isinstance(u, TableBlock):
            col_tables[column_of((u.x0 + u.x1) / 2)].append(u)
        else:
            for g in u:
                per_col[column_of((g.x0 + g.x1) / 2)].append(g)
    out: list[Line | TableBlock] = []
    for n, glyphs in enumerate(per_col):
        a, b = col_edges[n]
        items = [(r[0].top, make_line(r, a, b)) for r in group_rows(glyphs) if any(not g.text.isspace() for g in r)]
        items += [(t.top, t) for t in col_tables[n]]
        out += [u for _, u in sorted(items, key=lambda x: x[0])]
    return out
