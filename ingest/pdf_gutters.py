"""Column gutters on one PDF page: long vertical white runs in the rows' ink coverage with text on both sides.

Gutters are counted per side, so columns whose baselines are offset still separate; a ragged line or an
overflowing word only notches a gutter. Page cuts the rows into bands at true full-width elements and where
one set of gutters ends and another begins (pdf_layout reads each band).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .pdf_glyphs import (BIN, LEAK, MIN_GUTTER, MIN_SHARE, REACH, SIDE_EM, SPAN_EM, WORD_GAP, Unit,
                         is_heading_size)


def _coverage(units: list[Unit], left: float, nbins: int, body: float) -> np.ndarray:
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


def _gutter_cells(units: list[Unit], cov: np.ndarray, left: float, body: float) -> np.ndarray:
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


class Page:
    """One page's units, ink coverage and gutters, and the bands cut from them."""

    def __init__(self, units: list[Unit], body: float):
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
