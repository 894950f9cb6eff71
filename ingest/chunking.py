"""Chinese-aware chunking: sentences packed up to a size in characters, with sentence overlap."""
from __future__ import annotations

import bisect
import hashlib
import re

from .models import Chunk, ParsedDocument

_SENTENCE_END = re.compile(r"[^。！？!?；;\n]*(?:[。！？!?；;]+[”’」』）)\"']*|\n|$)")


def split_sentences(text: str, start: int = 0) -> list[tuple[int, int]]:
    """(start, end) spans of sentences in text[start:], ending at 。！？；or a line end."""
    spans = []
    for m in _SENTENCE_END.finditer(text):
        a, b = m.span()
        while a < b and text[a].isspace():
            a += 1
        if b > a:
            spans.append((start + a, start + b))
    return spans


def _split_long(text: str, a: int, b: int, size: int) -> list[tuple[int, int]]:
    """Cut a sentence longer than a chunk at commas where possible, hard-cut otherwise."""
    out = []
    while b - a > size:
        window = text[a:a + size]
        cut = max(window.rfind(ch) for ch in "，,、：:")
        cut = cut + 1 if cut >= size // 3 else size
        out.append((a, a + cut))
        a += cut
    out.append((a, b))
    return out


def pack(text: str, spans: list[tuple[int, int]], size: int, overlap: int) -> list[tuple[int, int]]:
    """Group consecutive sentence spans into windows of at most `size` characters.

    A paragraph that fits in one chunk is not split across two: the window closes before it
    (once the window holds a third of a chunk) and the paragraph starts the next one.
    """
    units = [piece for a, b in spans for piece in _split_long(text, a, b, size)]
    para_end = _paragraph_ends(text, units)
    windows, i = [], 0
    while i < len(units):
        j = i
        while j + 1 < len(units) and units[j + 1][1] - units[i][0] <= size:
            nxt = units[j + 1]
            opens_paragraph = nxt[0] == 0 or text[nxt[0] - 1] == "\n"
            if (opens_paragraph and para_end[j + 1] - units[i][0] > size
                    and para_end[j + 1] - nxt[0] <= size and units[j][1] - units[i][0] >= size // 3):
                break
            j += 1
        windows.append((units[i][0], units[j][1]))
        if j + 1 >= len(units):
            break
        # Next window starts with the trailing sentences of this one that fit in `overlap`,
        # unless the next unit opens a paragraph (then there is nothing to carry over).
        k = j + 1
        if not text[units[k][0] - 1] == "\n":
            while k - 1 > i and units[j][1] - units[k - 1][0] <= overlap:
                k -= 1
        i = k
    return windows


def _paragraph_ends(text: str, units: list[tuple[int, int]]) -> list[int]:
    """For each unit, the end offset of the paragraph (line) it belongs to."""
    ends = [0] * len(units)
    current = None
    for n in range(len(units) - 1, -1, -1):
        a, b = units[n]
        if current is None or text[b - 1] == "\n" or (n + 1 < len(units) and text[units[n + 1][0] - 1] == "\n"):
            current = b
        ends[n] = current
    return ends


def chunk_id(doc_id: str, text: str, seen: dict[str, int]) -> str:
    digest = hashlib.sha1(f"{doc_id}\x00{text}".encode()).hexdigest()[:16]
    n = seen.get(digest, 0)
    seen[digest] = n + 1
    return digest if n == 0 else f"{digest}-{n}"


def _page_at(page_starts: list[tuple[int, int]], offset: int) -> int | None:
    if not page_starts:
        return None
    i = bisect.bisect_right([p[0] for p in page_starts], offset) - 1
    return page_starts[max(i, 0)][1]


def _section_at(headings: list[tuple[int, int, str]], offset: int, article_start: int) -> str:
    """Deepest chain of headings in force at `offset` inside the article, joined with ' › '."""
    chain: list[tuple[int, str]] = []
    for pos, level, title in headings:
        if pos > offset:
            break
        if pos <= article_start:
            continue
        chain = [c for c in chain if c[0] < level] + [(level, title)]
    return " › ".join(t for _, t in chain)


def _past_headings(doc: ParsedDocument, offset: int) -> int:
    """Where the chunk's own content starts: past heading lines it opens with (a clause line is content)."""
    for pos, _level, title in doc.headings:
        if pos < offset:
            continue
        if pos > offset or doc.text[pos:pos + len(title)] != title or doc.text[pos + len(title):pos + len(title) + 1] not in ("\n", ""):
            break
        offset = pos + len(title) + 1
    return offset


def chunk_document(doc: ParsedDocument, size: int = 300, overlap: int = 60) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    heading_starts = [h[0] for h in doc.headings]
    for article in doc.articles:
        # Sections break chunks so a chunk rarely straddles two headings.
        bounds = [article.start] + [p for p in heading_starts if article.start < p < article.end] + [article.end]
        windows = []
        for a, b in zip(bounds, bounds[1:]):
            windows += pack(doc.text, split_sentences(doc.text[a:b], a), size, overlap)
        windows = _merge_small(windows, size)
        for a, b in windows:
            text = doc.text[a:b].strip()
            if not text:
                continue
            chunks.append(Chunk(
                chunk_id=chunk_id(doc.meta.doc_id, text, seen), doc_id=doc.meta.doc_id, ord=len(chunks),
                text=text, start=a, end=b, article=article.title,
                section=_section_at(doc.headings, _past_headings(doc, a), article.start),
                page=_page_at(doc.page_starts, a), page_end=_page_at(doc.page_starts, max(a, b - 1))))
    return chunks


def _merge_small(windows: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """Fold a tiny window (a lone heading) into the next one when both fit in one chunk."""
    out: list[tuple[int, int]] = []
    for a, b in windows:
        if out and out[-1][1] - out[-1][0] < size // 4 and b - out[-1][0] <= size:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out
