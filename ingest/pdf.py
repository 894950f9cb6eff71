"""PDF reading (pdfplumber): text in reading order, without running headers and footers.

Pages are scanned once into plain glyph tuples (and table rows), then the PDF is closed; headers and
footers are found across pages, each page is laid out (pdf_layout) and turned into typed blocks (pdf_compose).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field, replace

from .clean import clean_blocks
from .errors import IngestError
from .metadata import issue_metadata
from .models import RawText
from .pdf_compose import assign_levels, compose, page_blocks
from .pdf_furniture import find_furniture
from .pdf_glyphs import Glyph, TableBlock
from .pdf_layout import read_page
from .zh import join_text


@dataclass
class PageScan:
    index: int                                   # 1-based position in the PDF
    height: float
    glyphs: list[Glyph]
    tables: list[TableBlock] = field(default_factory=list)
    has_graphics: bool = False


def _open(data: bytes, name: str):
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pdf.pages                                # parses the page tree
    except Exception as err:
        cause = err.args[0] if isinstance(err, PdfminerException) and err.args else err
        if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
            raise IngestError(f"{name}：PDF 已加密，无法读取，请提供未加密的版本") from None
        raise IngestError(f"{name}：PDF 文件已损坏或不完整，无法读取") from None
    return pdf


def _cell(text: str | None) -> str:
    parts = (text or "").split("\n")
    out = ""
    for part in parts:
        out = join_text(out, part.strip())
    return out


def _tables(page) -> list[TableBlock]:
    out = []
    for table in page.find_tables():
        rows = [[_cell(c) for c in row] for row in table.extract()]
        rows = [r for r in rows if any(r)]
        if len(rows) >= 2 and max(len(r) for r in rows) >= 2:
            x0, top, x1, bottom = table.bbox
            out.append(TableBlock([" | ".join(r) for r in rows], x0, top, x1, bottom))
    return out


def _in_table(g: Glyph, tables: list[TableBlock]) -> bool:
    cx, cy = (g.x0 + g.x1) / 2, (g.top + g.bottom) / 2
    return any(t.x0 <= cx <= t.x1 and t.top <= cy <= t.bottom for t in tables)


def _layout_objects(objs):
    from pdfminer.layout import LTContainer
    for obj in objs:
        if isinstance(obj, LTContainer) and not hasattr(obj, "get_text"):
            yield obj
            yield from _layout_objects(obj._objs)
        else:
            yield obj


def _ruling(obj) -> int:
    """How many table rulings a graphic may be: a line or a thin bar one, a stroked box four; a filled box
    (a photo, a tinted sidebar) none, so pages with photos do not pay for the table finder."""
    from pdfminer.layout import LTLine, LTRect
    if isinstance(obj, LTLine):
        return 1
    if isinstance(obj, LTRect):
        if min(obj.width, obj.height) < 3:
            return 1
        return 4 if obj.stroke else 0
    return 0


def _scan(page, index: int) -> PageScan:
    """Glyphs straight from pdfminer's layout (pdfplumber's per-object dicts cost as much as parsing);
    pdfplumber's table finder runs only on pages that have ruling lines."""
    from pdfminer.layout import LTChar, LTCurve, LTFigure, LTImage, LTLine, LTRect

    height, (mb_x0, mb_top) = float(page.height), page.mediabox[:2]
    glyphs, edges, graphics = [], 0, False
    for obj in _layout_objects(page.layout._objs):
        if isinstance(obj, LTChar):
            text = obj.get_text()
            if text and obj.upright:
                glyphs.append(Glyph(text, obj.x0 + mb_x0, obj.x1 + mb_x0, height - obj.y1 + mb_top,
                                    height - obj.y0 + mb_top, max(obj.size, 1.0)))
        elif isinstance(obj, (LTRect, LTLine, LTCurve, LTImage, LTFigure)):
            graphics = True
            edges += _ruling(obj)
    tables = _tables(page) if edges >= 4 else []
    if tables:
        glyphs = [g for g in glyphs if not _in_table(g, tables)]
    return PageScan(index, height, glyphs, tables, graphics)


def _scan_all(pdf, name: str) -> list[PageScan]:
    scans = []
    with pdf:
        for index, page in enumerate(pdf.pages, start=1):
            try:
                scans.append(_scan(page, index))
            except Exception:
                raise IngestError(f"{name}：PDF 第{index}页已损坏，无法读取") from None
            finally:
                page.close()
    return scans


def _body_size(pages: list[list[Glyph]]) -> float:
    sizes = sorted(g.size for glyphs in pages for g in glyphs if not g.text.isspace())
    return sizes[len(sizes) // 2] if sizes else 10.0


def read_pdf(data: bytes, name: str) -> RawText:
    scans = _scan_all(_open(data, name), name)
    if not any(s.glyphs or s.tables for s in scans):
        raise IngestError(f"{name}：PDF 没有文字层（可能是扫描件），需要先做文字识别（OCR）")
    furniture = find_furniture([s.glyphs for s in scans], [s.height for s in scans])
    bodies = [[g for g in s.glyphs if id(g) not in drop] for s, drop in zip(scans, furniture.drop)]
    body = _body_size(bodies)
    blocks = [page_blocks(read_page(glyphs, s.tables, body), body) for s, glyphs in zip(scans, bodies)]
    assign_levels(blocks)
    pages = compose(blocks)

    out, text, warnings = [], [], []
    for scan, glyphs, page, folio in zip(scans, bodies, pages, furniture.folios):
        if not any(b.text.strip() for b in page):
            # A page whose few lines all carried on the previous page's paragraph has text; it is no image.
            if (scan.has_graphics or scan.glyphs) and not any(not g.text.isspace() for g in glyphs):
                warnings.append(f"第{scan.index}页为图片，未识别文字")
            continue
        number = folio if folio is not None else scan.index
        out += [replace(b, page=number) for b in page]
        text.append("\n".join(b.text for b in page) + "\n")
    first_page = "\n".join(b.text for b in pages[0]) if pages else ""
    blocks, width = clean_blocks(out)
    return RawText(blocks=tuple(blocks), fmt="pdf", text="".join(text), wrap_width=width, warnings=tuple(warnings),
                   meta=issue_metadata(furniture.header_text, first_page))
