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
import re
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

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
class _Unit:
    """A row of glyphs (or a table) in the page's vertical order."""
    top: float
    bottom: float
    x0: float
    x1: float
    size: float
    glyphs: tuple[Glyph, ...] = ()
    table: TableBlock | None = None


def _units(rows: list[list[Glyph]], tables: list[TableBlock]) -> list[_Unit]:
    out = []
    for r in rows:
        ink = [g for g in r if not g.text.isspace()]
        if ink:
            sizes = sorted(g.size for g in ink)
            out.append(_Unit(min(g.top for g in ink), max(g.bottom for g in ink), min(g.x0 for g in ink),
                             max(g.x1 for g in ink), sizes[len(sizes) // 2], tuple(r)))
    out += [_Unit(t.top, t.bottom, t.x0, t.x1, 0.0, (), t) for t in tables]
    return sorted(out, key=lambda u: (u.top, u.x0))


def _coverage(units: list[_Unit], left: float, nbins: int, body: float) -> np.ndarray:
    """Rows × bins: where each unit has ink (word spaces filled, tables solid)."""
    cov = np.zeros((len(units), nbins), dtype=bool)
    for n, u in enumerate(units):
        if u.table is not None:
            spans = [(u.x0, u.x1)]
        else:
            spans = []
            for g in sorted((g for g in u.glyphs if not g.text.isspace()), key=lambda g: g.x0):
                if spans and g.x0 - spans[-1][1] < WORD_GAP * max(g.size, body * 0.5):
                    spans[-1] = (spans[-1][0], max(spans[-1][1], g.x1))
                else:
                    spans.append((g.x0, g.x1))
        for x0, x1 in spans:
            a = max(int((x0 - left + 0.5) // BIN), 0)
            b = min(int((x1 - left - 0.5) // BIN), nbins - 1)
            if b >= a:
                cov[n, a:b + 1] = True
    return cov


def _gutter_cells(units: list[_Unit], cov: np.ndarray, left: float, body: float) -> np.ndarray:
    """Rows × bins: white cells on a vertical white run that has text on both sides.

    Each run of consecutive white rows in a bin counts the rows with ink to its left and to its right
    separately (no need for both at the same height), and both sides must hold text wider than a list mark.
    """
    n, nbins = cov.shape
    white = ~cov
    starts = white & ~np.vstack([np.zeros((1, nbins), dtype=bool), white[:-1]])
    run = np.cumsum(starts, axis=0)
    rows, bins = np.nonzero(white)
    if not len(rows):
        return np.zeros_like(cov)
    key = bins * (n + 1) + run[rows, bins]
    ids, inv = np.unique(key, return_inverse=True)
    x0s = np.array([u.x0 for u in units])
    x1s = np.array([u.x1 for u in units])
    tops = np.array([u.top for u in units])
    bottoms = np.array([u.bottom for u in units])
    bx = left + (bins + 0.5) * BIN
    has_left, has_right = x0s[rows] < bx, x1s[rows] > bx
    nl = np.bincount(inv, weights=has_left, minlength=len(ids))
    nr = np.bincount(inv, weights=has_right, minlength=len(ids))
    count = np.bincount(inv, minlength=len(ids))
    far_left = np.full(len(ids), np.inf)
    np.minimum.at(far_left, inv, np.where(has_left, x0s[rows], np.inf))
    far_right = np.full(len(ids), -np.inf)
    np.maximum.at(far_right, inv, np.where(has_right, x1s[rows], -np.inf))
    first = np.full(len(ids), n)
    np.minimum.at(first, inv, rows)
    last = np.full(len(ids), -1)
    np.maximum.at(last, inv, rows)
    run_bx = left + (ids // (n + 1) + 0.5) * BIN
    side = SIDE_EM * body
    long_run = (count >= 3) & (nl + nr >= 4) & (bottoms[last] - tops[first] >= 2.5 * body)
    # Two rows suffice at the page's top or foot: an article's last lines carried over to the next page.
    # (Mid-page, two rows are as likely a short line above an indented one, inside one column.)
    edge_run = (count >= 2) & (nl + nr >= 3) & ((first == 0) | (last == n - 1))
    ok = ((long_run | edge_run) & (nl >= 1) & (nr >= 1)
          & (run_bx - far_left >= side) & (far_right - run_bx >= side))
    cells = np.zeros_like(cov)
    keep = ok[inv]
    cells[rows[keep], bins[keep]] = True
    return cells


@dataclass
class _Strip:
    """A gutter: connected white cells over consecutive rows; per row its (first, last) bin intervals."""
    spans: dict[int, list[tuple[int, int]]]

    @property
    def first(self) -> int:
        return min(self.spans)

    @property
    def last(self) -> int:
        return max(self.spans)

    def core(self) -> list[tuple[int, int]]:
        """Bin intervals the strip holds in at least half of its rows: a photo's white that joins two
        gutters for a few rows is not part of either."""
        count: dict[int, int] = {}
        for v in self.spans.values():
            for a, b in v:
                for x in range(a, b + 1):
                    count[x] = count.get(x, 0) + 1
        need = 0.5 * len(self.spans)
        out: list[tuple[int, int]] = []
        for x in sorted(k for k, c in count.items() if c >= need):
            if out and x == out[-1][1] + 1:
                out[-1] = (out[-1][0], x)
            else:
                out.append((x, x))
        return out


def _cores_overlap(s: _Strip, t: _Strip) -> bool:
    return any(_overlap(a, b) for a in s.core() for b in t.core())


def _strips(cells: np.ndarray) -> list[_Strip]:
    """Connected components of gutter cells (row intervals joined when they overlap the next row's)."""
    parent: list[int] = []
    spans: list[tuple[int, int, int]] = []          # (row, first bin, last bin)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    prev: list[int] = []
    for r in range(cells.shape[0]):
        edges = np.flatnonzero(np.diff(np.concatenate(([0], cells[r].view(np.int8), [0]))))
        cur = []
        for a, b in zip(edges[::2], edges[1::2] - 1):
            i = len(spans)
            spans.append((r, int(a), int(b)))
            parent.append(i)
            cur.append(i)
            for j in prev:
                if spans[j][1] <= b and spans[j][2] >= a:
                    parent[find(j)] = find(i)
        prev = cur
    groups: dict[int, dict[int, list[tuple[int, int]]]] = {}
    for i, (r, a, b) in enumerate(spans):
        groups.setdefault(find(i), {}).setdefault(r, []).append((a, b))
    return [_Strip(g) for g in groups.values()]


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


class _Page:
    """One page's units, ink coverage and gutters, and the bands cut from them."""

    def __init__(self, units: list[_Unit], body: float):
        self.units, self.body = units, body
        self.left = min(u.x0 for u in units)
        self.right = max(u.x1 for u in units)
        nbins = int((self.right - self.left) // BIN) + 1
        self.cov = _coverage(units, self.left, nbins, body)
        self.cells = _gutter_cells(units, self.cov, self.left, body)
        self.strips = [s for s in _strips(self.cells)
                       if max(b - a + 1 for v in s.spans.values() for a, b in v) * BIN >= MIN_GUTTER]
        self.active: list[list[int]] = [[] for _ in units]      # strips beside each row
        for k, s in enumerate(self.strips):
            for r in s.spans:
                self.active[r].append(k)

    def x(self, b: float) -> float:
        return self.left + b * BIN

    def _covers(self, r: int, span: tuple[int, int]) -> bool:
        """Row r has ink over the whole of a gutter, and is a full-width element: a body-size row reaches
        well into the columns on both sides (an overflowing word does not), a title has nothing beside it."""
        a, b = span
        if not self.cov[r, a:b + 1].all():
            return False
        u = self.units[r]
        if is_heading_size(u.size, self.body):
            return not any(v.bottom > u.top and v.top < u.bottom and (v.x1 < u.x0 or v.x0 > u.x1)
                           for v in self.units[max(r - 3, 0):r + 4] if v is not u)
        # Well into both sides: 2 em and a third of the way to the page's edge (the first line of a narrow
        # column below a wider layout can cover the old gutter by more than 2 em).
        x0, x1 = self.x(a), self.x(b + 1)
        return (u.x0 < x0 - max(SPAN_EM * self.body, REACH * (x0 - self.left))
                and u.x1 > x1 + max(SPAN_EM * self.body, REACH * (self.right - x1)))

    def cutters(self) -> list[bool]:
        """Rows that are full-width elements: they cover a gutter right where it starts or stops.

        A row with a gutter cell inside its own extent is two pieces side by side, never one element."""
        out = []
        for r, u in enumerate(self.units):
            inside = any(self.x(a) > u.x0 and self.x(b + 1) < u.x1
                         for k in self.active[r] for a, b in self.strips[k].spans[r])
            cut = False
            for s in self.strips if not inside else ():
                here = s.spans.get(r, [])
                for edge in (r + 1, r - 1):
                    # The gutter beside the next (or previous) row stops at this one: this row interrupts it.
                    for iv in s.spans.get(edge, []):
                        if not any(_overlap(iv, h) for h in here):
                            cut = cut or u.table is not None or self._covers(r, iv)
            out.append(cut)
        return out

    def kinds(self) -> list[bool]:
        """Per row: read in columns (True) or as a full-width line (False)."""
        cut = self.cutters()
        cols = [bool(self.active[r]) and not cut[r] for r in range(len(self.units))]
        # A row that bridges a gutter between two pieces of it (an overflowing word, a hanging 。 touching
        # the next column) stays in the columns when it is set like the rows around it; a full-width row
        # there (a caption, a one-line deck) has its own size. The two pieces become one gutter.
        for r in range(1, len(self.units) - 1):
            if cols[r] or (cut[r] and not self._like_neighbours(r)):
                continue
            above = [k for k in self.active[r - 1] if self.strips[k].last == r - 1]
            below = [k for k in self.active[r + 1] if self.strips[k].first == r + 1]
            for i in above:
                for j in below:
                    if i != j and _cores_overlap(self.strips[i], self.strips[j]):
                        self._merge(i, j)
                        cols[r] = True
        return cols

    def _like_neighbours(self, r: int) -> bool:
        u, near = self.units[r], [self.units[r - 1], self.units[r + 1]]
        return (u.table is None and not is_heading_size(u.size, self.body)
                and all(v.table is None and abs(v.size - u.size) < 0.5 for v in near))

    def _merge(self, i: int, j: int) -> None:
        keep, gone = self.strips[i], self.strips[j]
        if keep is gone:
            return
        for r, v in gone.spans.items():
            keep.spans.setdefault(r, []).extend(v)
        for r in gone.spans:
            self.active[r] = [k for k in self.active[r] if self.strips[k] is not gone]
            if i not in self.active[r]:
                self.active[r].append(i)
        self.strips[j] = keep

    def split_at_changes(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """Cut a run of column rows where a gutter ends and another, elsewhere, goes on (3 columns above 2).

        Both must be gutters of their part (beside at least three of its rows and most of them), and the
        new one must begin there: the old layout's last lines may be short enough for it to start a couple
        of rows early, but a gutter running beside both parts is the same layout going on."""
        cuts = [lo]
        for r in range(lo + 1, hi):
            ended = [self.strips[k] for k in self.active[r - 1] if self.strips[k].last == r - 1]
            going = [self.strips[k] for k in self.active[r]]
            if not ended or not going:
                continue
            top = cuts[-1]
            if any(self._major(e, top, r) and not any(_cores_overlap(e, g) for g in going)
                   for e in ended) and any(self._major(g, r, hi) and top < g.first >= r - LEAK for g in going):
                cuts.append(r)
        cuts.append(hi)
        return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]

    def _major(self, s: _Strip, lo: int, hi: int) -> bool:
        beside = sum(1 for r in range(lo, hi) if r in s.spans)
        return beside >= 3 and beside >= MIN_SHARE * (hi - lo)

    def gutters(self, lo: int, hi: int) -> list[tuple[float, float]]:
        """The band's gutters (x0, x1): bins on long white runs beside enough of its rows, narrowed to the
        bins with the least ink (hanging punctuation and overflowing words notch a gutter's edge). A photo's
        white beside a column's text is no gutter: that text has ink over it in many of the band's rows."""
        n = hi - lo
        white_runs = self.cells[lo:hi].sum(axis=0)
        ink = self.cov[lo:hi].sum(axis=0)
        ok = white_runs >= (max(2, MIN_SHARE * n) if n > 2 else 1)
        out = []
        edges = np.flatnonzero(np.diff(np.concatenate(([0], ok.view(np.int8), [0]))))
        for a, b in zip(edges[::2], edges[1::2]):
            least = ink[a:b].min()
            if (b - a) * BIN < MIN_GUTTER or least > max(1, 0.25 * n):
                continue
            # Each run of least-ink bins is a gutter: two gutters joined through a photo's white stay two.
            core = np.concatenate(([0], (ink[a:b] == least).view(np.int8), [0]))
            runs = np.flatnonzero(np.diff(core))
            for c0, c1 in zip(runs[::2], runs[1::2]):
                out.append((self.x(a + c0), self.x(a + c1)))
        return out


def read_page(glyphs: list[Glyph], tables: list[TableBlock], body: float) -> list[Line | TableBlock]:
    """The page's lines and tables in reading order: band by band, each band column by column.

    `body` is the body-text font size; a title row with nothing beside it in the other columns spans
    the page like a full-width row, even when it is short enough to fit in one column.
    """
    if not glyphs:
        return sorted(tables, key=lambda t: t.top)
    units = _units(group_rows(glyphs), tables)
    page = _Page(units, body)
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


def _lone_title_split(page: _Page, lo: int, hi: int) -> list[tuple[int, int, list[tuple[float, float]]]]:
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


def _last_title(units: list[_Unit], r: int, lo: int, hi: int, body: float) -> bool:
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


def _read_columns(units: list[_Unit], gutters: list[tuple[float, float]], body: float) -> list[Line | TableBlock]:
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
