"""Running headers and footers: found by position (top/bottom band) and repetition across pages.

They also yield the printed page number (folio) and the header text, which says what the issue is
(ingest.metadata.issue_metadata).
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .pdf_glyphs import Glyph, group_rows, row_text

ZONE = 0.1            # share of the page height searched for headers (top) and footers (bottom)
_FOLIO = re.compile(r"^(?:[—\-–－·•|]+\s*)?(?:第\s*)?(\d{1,4})(?:\s*页)?(?:\s*[/共]\s*\d+\s*页?)?(?:\s*[—\-–－·•|]+)?$")
_EDGE_NUMBER = re.compile(r"^(\d{1,4})\s+\S|\S\s+(\d{1,4})$")


@dataclass
class Segment:
    zone: str                 # top | bottom
    text: str
    glyphs: list[Glyph]

    @property
    def key(self) -> str:
        return re.sub(r"\d+", "#", re.sub(r"\s+", "", self.text))


@dataclass
class Furniture:
    drop: list[set[int]]                  # per page: ids of glyphs to leave out
    folios: list[int | None]              # per page: printed page number when the page shows one
    header_text: str = ""                 # text of the repeated headers and footers, for metadata
    segments: list[list[Segment]] = field(default_factory=list)


def _segments(row: list[Glyph]) -> list[list[Glyph]]:
    """Split a row where a wide gap separates two pieces (left header, right folio)."""
    out = [[row[0]]]
    for prev, g in zip(row, row[1:]):
        if g.x0 - prev.x1 > 2 * max(g.size, prev.size):
            out.append([])
        out[-1].append(g)
    return out


def zone_segments(glyphs: list[Glyph], height: float) -> list[Segment]:
    """Pieces of text lying wholly in the top or bottom band of the page."""
    near = [g for g in glyphs if g.bottom <= height * ZONE or g.top >= height * (1 - ZONE)]
    segs = []
    for row in group_rows(near):
        zone = "top" if row[0].bottom <= height * ZONE else "bottom"
        for piece in _segments(row):
            text = row_text(piece)
            if text:
                segs.append(Segment(zone, text, piece))
    return segs


def find_furniture(pages: list[list[Glyph]], heights: list[float]) -> Furniture:
    segments = [zone_segments(glyphs, h) for glyphs, h in zip(pages, heights)]
    seen: dict[tuple[str, str], set[int]] = defaultdict(set)
    for n, segs in enumerate(segments):
        for s in segs:
            seen[(s.zone, s.key)].add(n)
    n_pages = sum(1 for p in pages if p)
    need = max(2, math.ceil(0.3 * n_pages))
    drop, folios, header = [], [], {}
    for n, segs in enumerate(segments):
        ids, folio, fallback = set(), None, None
        for s in segs:
            m = _FOLIO.match(s.text)
            repeated = n_pages >= 2 and len(seen[(s.zone, s.key)]) >= need
            if m:
                folio = folio if folio is not None and s.zone == "top" else int(m.group(1))
            elif repeated:
                header.setdefault(s.key, s.text)
                e = _EDGE_NUMBER.search(s.text)
                fallback = int(e.group(1) or e.group(2)) if e else fallback
            else:
                continue
            ids.update(id(g) for g in s.glyphs)
        drop.append(ids)
        folios.append(folio if folio is not None else fallback)
    return Furniture(drop, _consistent(folios), " ".join(header.values()), segments)


def _consistent(folios: list[int | None]) -> list[int | None]:
    """Keep folios that agree with the most common offset from the PDF page index; infer the rest."""
    offsets = Counter(f - n for n, f in enumerate(folios, start=1) if f is not None)
    if not offsets:
        return folios
    offset, count = offsets.most_common(1)[0]
    if count < max(1, sum(offsets.values()) / 2):
        return folios
    return [n + offset if n + offset >= 1 else None for n in range(1, len(folios) + 1)]
