"""Reading order on one PDF page: rows of glyphs, column gutters, bands read column by column.

Works on plain glyph tuples (no pdfplumber objects), so a page can be laid out after the PDF is closed.
Every glyph is assigned to exactly one band and column, so no text is duplicated or lost at edges.

Gutters are long vertical white runs in the rows' ink coverage with text on both sides (counted per side,
so columns whose baselines are offset still separate); a ragged line or an overflowing word only notches a
gutter. Bands are cut only at true full-width elements (a row or table that covers a gutter where it
starts or ends and reaches well into the columns on both sides, or a lone title), and where one set of
gutters ends and another begins (three columns above two), so each band finds its own columns. Inside a
band each line piece goes to the column its left edge is in.
"""
from __future__ import annotations

import bisect

from .pdf_glyphs import (HEADLINE_RATIO, Glyph, Line, TableBlock, Unit, group_rows, is_heading_size, make_line,
                         page_units)
from .pdf_gutters import Page

__all__ = ["Glyph", "Line", "TableBlock", "read_page"]


def read_page(glyphs: list[Glyph], tables: list[TableBlock], body: float) -> list[Line | TableBlock]:
    """The page's lines and tables in reading order: band by band, each band column by column.

    `body` is the body-text font size; a title row with nothing beside it in the other columns spans
    the page like a full-width row, even when it is short enough to fit in one column.
    """
    if not glyphs:
        return sorted(tables, key=lambda t: t.top)
    units = page_units(group_rows(glyphs), tables)
    page = Page(units, body)
    cols = page.kinds()
    bands: list[tuple[int, int, list[tuple[float, float]]]] = []
    i = 0
    while i < len(units):
        j = i
        while j + 1 < len(units) and cols[j + 1] == cols[i]:
            j += 1
        if cols[i]:
            for a, b in page.split_at_changes(i, j + 1):
                bands += _lone_title_split(page, a, b)
        else:
            bands.append((i, j + 1, []))
        i = j + 1
    out: list[Line | TableBlock] = []
    for a, b, gutters in bands:
        if gutters:
            out += _read_columns(units[a:b], gutters, body)
        else:
            out += [u.table if u.table is not None else make_line(list(u.glyphs), page.left, page.right)
                    for u in units[a:b]]
    return out


def _lone_title_split(page: Page, lo: int, hi: int) -> list[tuple[int, int, list[tuple[float, float]]]]:
    """A band's rows in column bands, with each lone title (a short full-width headline) as its own band."""
    gutters = page.gutters(lo, hi)
    if not gutters:
        return [(lo, hi, [])]
    mids = [(a + b) / 2 for a, b in gutters]
    glyphs = [g for u in page.units[lo:hi] for g in u.glyphs if not g.text.isspace()]

    def column_of(x: float) -> int:
        return bisect.bisect_left(mids, x)

    titles = [r for r in range(lo, hi) if page.units[r].table is None
              and (_lone_title(list(page.units[r].glyphs), glyphs, column_of, page.body)
                   or _last_title(page.units, r, lo, hi, page.body))]
    if not titles:
        return [(lo, hi, gutters)]
    out, start = [], lo
    for r in titles + [hi]:
        if r > start:
            out.append((start, r, page.gutters(start, r)))
        if r < hi:
            out.append((r, r + 1, []))
        start = r + 1
    return out


def _last_title(units: list[Unit], r: int, lo: int, hi: int, body: float) -> bool:
    """A headline below all of its band's text (left at the foot of the page, its article on the next):
    read after the columns, not at the foot of one of them. A subhead at a column's foot is smaller, and
    its text goes on at the top of the next column."""
    u = units[r]
    return (u.size >= HEADLINE_RATIO * body and r == hi - 1 and hi - lo > 1
            and all(v.bottom <= u.top + 0.2 * u.size for v in units[lo:r]))


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
    if any(g.bottom > top and g.top < bottom and column_of((g.x0 + g.x1) / 2) not in cols for g in glyphs):
        return False
    # A headline has its text under it; a subhead left at the foot of a column (its text goes on at the top
    # of the next column) has none, and is read in its column.
    return any(g.top >= bottom and column_of((g.x0 + g.x1) / 2) in cols for g in glyphs)


def _pieces(glyphs: tuple[Glyph, ...], gutters: list[tuple[float, float]], body: float) -> list[list[Glyph]]:
    """A row (sorted left to right) cut where a white gap meets a gutter: a ragged or overflowing line stays
    whole."""
    out: list[list[Glyph]] = [[]]
    end: float | None = None                       # right edge of the last inked glyph
    for g in glyphs:
        if not g.text.isspace():
            if end is not None:
                gap = g.x0 - end
                if (gap >= 1.0 and gap >= 0.15 * min(g.size, body)
                        and any(end < b and g.x0 > a for a, b in gutters)):
                    out.append([])
            end = g.x1
        out[-1].append(g)
    return [p for p in out if any(not g.text.isspace() for g in p)]


def _read_columns(units: list[Unit], gutters: list[tuple[float, float]], body: float) -> list[Line | TableBlock]:
    """Each piece goes to the column its left edge is in; each column is read top to bottom."""
    mids = [(a + b) / 2 for a, b in gutters]
    per_col: list[list[list[Glyph]]] = [[] for _ in range(len(gutters) + 1)]
    col_tables: list[list[TableBlock]] = [[] for _ in per_col]
    for u in units:
        if u.table is not None:
            col_tables[bisect.bisect_left(mids, u.table.x0)].append(u.table)
            continue
        for piece in _pieces(u.glyphs, gutters, body):
            ink = min(g.x0 for g in piece if not g.text.isspace())
            per_col[bisect.bisect_left(mids, ink)].append(piece)
    out: list[Line | TableBlock] = []
    for n, pieces in enumerate(per_col):
        rows = group_rows([g for p in pieces for g in p])
        rows = [r for r in rows if any(not g.text.isspace() for g in r)]
        a, b = _edges(rows)
        items = [(min(g.top for g in r), make_line(r, a, b)) for r in rows]
        items += [(t.top, t) for t in col_tables[n]]
        out += [u for _, u in sorted(items, key=lambda x: x[0])]
    return out


def _edges(rows: list[list[Glyph]]) -> tuple[float, float]:
    """A column's text edges: its leftmost ink, and the right edge most full lines reach (hanging
    punctuation and overflowing words left out)."""
    if not rows:
        return 0.0, 0.0
    left = min(g.x0 for r in rows for g in r if not g.text.isspace())
    ends = sorted(max(g.x1 for g in r if not g.text.isspace()) for r in rows)
    right = ends[int(0.75 * (len(ends) - 1))] if len(ends) >= 4 else ends[-1]
    return left, right
