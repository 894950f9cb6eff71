"""Sources a reader can open: the whole article a citation comes from with the quote marked, the original PDF
page drawn with the quoted lines boxed, and the original file.

Articles are put back together from the catalog's chunks (their offsets in the parsed text), so what is shown is
exactly what was indexed, and a file moved away since still shows its article. Pages are drawn from the file by
pdfplumber (pypdfium2 renders, offline); the quote is found among the page's characters.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import KBError

SEARCH_PAGES = 40            # pages tried around the cited one when looking for the quote on the original
_SPACE = re.compile(r"\s+")
_PIECES = re.compile(r"[^，。；：！？、,;:!?\s]{4,}")


@dataclass(frozen=True)
class ArticleView:
    doc_id: str
    document: str              # the document's title (or file name)
    article: str
    section: str               # of the cited passage: 第一章 总则 › 第三条
    text: str                  # the whole article as indexed
    marks: tuple[tuple[int, int], ...]     # the quoted text's spans in text
    page: int | None           # printed page of the cited passage
    source: str                # the file name staff know
    is_pdf: bool


@dataclass(frozen=True)
class PageView:
    png: bytes
    page_number: int           # 1-based position in the file
    printed_page: int | None
    boxes: tuple[tuple[float, float, float, float], ...]    # (x0, top, x1, bottom) in PDF points, one per line
    found: bool                # False: the quote was not found on the pages tried; the cited page is shown


def _chunk(catalog, chunk_id: str) -> dict:
    row = catalog.chunks([chunk_id]).get(chunk_id)
    if row is None:
        raise KBError("该引用的原文已不在知识库中（文档可能已被删除或重新索引），请重新提问")
    return row


def _join(rows: list[dict]) -> tuple[str, dict[str, int]]:
    """The text the chunks were cut from, overlaps counted once; where each chunk starts in it. A gap between
    chunks held only whitespace (chunk text is stripped): a line break, as the paragraph ended there."""
    out, starts, end = "", {}, None
    for row in rows:
        text, start = row["text"], row["start"]
        if end is None or start >= end:
            if end is not None and start > end:
                out += "\n"
            starts[row["chunk_id"]] = len(out)
            out += text
        else:
            starts[row["chunk_id"]] = len(out) - (end - start)
            out += text[end - start:]
        end = max(end or 0, start + len(text))
    return out, starts


def _article_rows(rows: list[dict], chunk_id: str) -> list[dict]:
    """The run of chunks around chunk_id that share its article (two articles may share a title)."""
    at = next(i for i, r in enumerate(rows) if r["chunk_id"] == chunk_id)
    lo = hi = at
    while lo > 0 and rows[lo - 1]["article"] == rows[at]["article"]:
        lo -= 1
    while hi + 1 < len(rows) and rows[hi + 1]["article"] == rows[at]["article"]:
        hi += 1
    return rows[lo:hi + 1]


def article(catalog, chunk_id: str, spans=(), quote: str = "") -> ArticleView:
    """The article holding chunk_id; spans (offsets in the chunk's text) or quote say what to mark."""
    row = _chunk(catalog, chunk_id)
    exported = catalog.export(row["doc_id"])
    if exported is None:
        raise KBError("该引用的原文已不在知识库中，请重新提问")
    doc, rows = exported
    rows = sorted(_article_rows(sorted(rows, key=lambda r: r["ord"]), chunk_id), key=lambda r: r["start"])
    text, starts = _join(rows)
    base = starts[chunk_id]
    marks = tuple((base + a, base + b) for a, b in spans if 0 <= a < b)
    if not marks and quote.strip():
        at = text.find(quote.strip(), base)
        at = at if at >= 0 else text.find(quote.strip())
        marks = ((at, at + len(quote.strip())),) if at >= 0 else ()
    path = doc["path"] or ""
    return ArticleView(doc["doc_id"], doc["title"] or doc["source"], row["article"] or "", row["section"] or "",
                       text, marks, row["page"], doc["source"] or "", path.lower().endswith(".pdf"))


def original_file(catalog, doc_id: str) -> Path:
    """The file a document was indexed from, for download."""
    doc = catalog.document(doc_id)
    if not doc or doc.status != "ready":
        raise KBError(f"未找到文档：{doc_id}")
    path = Path(doc.path or "")
    if not doc.path or not path.is_file():
        raise KBError(f"原文件已不在原位置（{doc.path or doc.source}），无法下载；检索和引用不受影响")
    return path


# -- the original page ------------------------------------------------------------
def _page_order(n_pages: int, printed: int | None) -> list[int]:
    """0-based page indexes, nearest to the printed page first (folios run at a fixed offset from the index)."""
    guess = (printed or 1) - 1
    order = sorted(range(n_pages), key=lambda i: (abs(i - guess), i))
    return order[:SEARCH_PAGES]


def _matches(chars: list[dict], quote: str) -> list[int]:
    """Indexes into chars of the quote's characters: the whole quote where the page holds it, else each
    phrase of four or more characters between punctuation that it holds."""
    kept = [i for i, c in enumerate(chars) if not c["text"].isspace()]
    flat = "".join(chars[i]["text"] for i in kept)
    wanted = _SPACE.sub("", quote)
    at = flat.find(wanted) if wanted else -1
    if at >= 0:
        return kept[at:at + len(wanted)]
    found: list[int] = []
    for piece in _PIECES.findall(wanted):
        at = flat.find(piece)
        if at >= 0:
            found += kept[at:at + len(piece)]
    return found


def _line_boxes(chars: list[dict]) -> list[tuple[float, float, float, float]]:
    """One box per printed line of the matched characters."""
    boxes: list[list[float]] = []
    for c in chars:
        if boxes and abs(c["top"] - boxes[-1][1]) < 2 and c["x0"] >= boxes[-1][0] - 1:
            box = boxes[-1]
            box[2], box[3] = max(box[2], c["x1"]), max(box[3], c["bottom"])
        else:
            boxes.append([c["x0"], c["top"], c["x1"], c["bottom"]])
    return [tuple(b) for b in boxes]


def page_image(path: str | Path, printed_page: int | None, quote: str, resolution: int = 110) -> PageView:
    """The page of a PDF that holds the quote (looked for around the printed page), drawn as PNG with the
    quoted lines boxed; when the quote is not found, the page at the printed page's index, unmarked."""
    import pdfplumber
    try:
        pdf = pdfplumber.open(str(path))
    except Exception as err:
        raise KBError(f"无法打开原 PDF 文件（{Path(path).name}）：{err}") from None
    with pdf:
        if not pdf.pages:
            raise KBError(f"原 PDF 文件没有页面（{Path(path).name}）")
        best, best_hits = None, []
        need = len(_SPACE.sub("", quote))
        for index in _page_order(len(pdf.pages), printed_page):
            hits = _matches(pdf.pages[index].chars, quote)
            if len(hits) > len(best_hits):
                best, best_hits = index, hits
            if need and len(hits) >= need:
                break
        found = bool(best_hits) and len(best_hits) >= min(need, 4)
        index = best if found else _page_order(len(pdf.pages), printed_page)[0]
        page = pdf.pages[index]
        boxes = _line_boxes([page.chars[i] for i in best_hits]) if found else []
        image = page.to_image(resolution=resolution)
        if boxes:
            pad = 1.5
            image.draw_rects([(x0 - pad, top - pad, x1 + pad, bottom + pad) for x0, top, x1, bottom in boxes],
                             fill=(255, 214, 0, 70), stroke=(214, 40, 40), stroke_width=2)
        buffer = io.BytesIO()
        image.annotated.save(buffer, format="PNG")
    return PageView(buffer.getvalue(), index + 1, printed_page, tuple(boxes), found)


def cited_page(catalog, chunk_id: str, quote: str, resolution: int = 110) -> PageView:
    """The original page of a citation in a PDF document."""
    row = _chunk(catalog, chunk_id)
    path = original_file(catalog, row["doc_id"])
    if path.suffix.lower() != ".pdf":
        raise KBError("该文档不是 PDF，没有可显示的原页面；可查看全文或下载原文件")
    page = page_image(path, row["page"], quote or row["text"], resolution)
    if not page.found and quote:          # a quote the PDF sets differently: the passage's page, unmarked
        by_passage = page_image(path, row["page"], row["text"], resolution)
        page = PageView(by_passage.png, by_passage.page_number, row["page"], (), False)
    return page
