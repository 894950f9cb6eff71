"""A realistic magazine PDF from a corpus text file: A4, two columns, running header and '— N —' footer.

Used by tests/test_pdf.py (fixtures) and bench/pdf_vs_text.py (the PDF-versus-text comparison). Needs reportlab.

    python -m bench.magazine_pdf corpus/changzhou-keji-2023-03.txt /tmp/issue.pdf [--font auto|cid|wqy]

Layout: every page has a running header (publication and issue left, section name right) and a centred folio
footer. Markdown '#' headings are full-width article headlines (18 pt), '##' full-width section headlines
(14 pt); '###' and deeper are subheads set inside the column flow (12.5 pt). Everything else is body text
(10.5 pt, 16 pt leading, two-character first-line indent) poured into two balanced columns under the headline,
continuing on the next page. Markdown markup (list marks, '**', '<…>' links, images) is removed; each
non-empty source line is one paragraph, as in the text reader.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

CID_FONT = "STSong-Light"                     # reportlab's built-in Adobe-GB1 font: nothing embedded
WQY_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
WQY_FONT = "WenQuanYiZenHei"

WIDTH, HEIGHT = A4
MARGIN, TOP, BOTTOM = 56.0, HEIGHT - 80.0, 70.0
BODY, LEADING, TITLE, SECTION, SUBHEAD = 10.5, 16.0, 18.0, 14.0, 12.5
HEADER = "《常州科技》 2023年第3期"
SECTION_NAME = "科技动态"

# What the built-in CID font can show: reportlab silently drops the middle dot (U+00B7) in STSong-Light.
_CID_OK = re.compile(r"[\u0020-\u007e\u2014-\u201d\u2026\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_registered: dict[str, object] = {}


def register_font(which: str = "cid") -> str:
    """Register and return a font name: 'cid' (STSong-Light), 'wqy' (embedded WenQuanYi Zen Hei) or
    'auto' (WenQuanYi when installed, else STSong-Light)."""
    if which == "auto":
        which = "wqy" if WQY_PATH.is_file() else "cid"
    name = WQY_FONT if which == "wqy" else CID_FONT
    if name not in _registered:
        if which == "wqy":
            from reportlab.pdfbase.ttfonts import TTFont
            font = TTFont(WQY_FONT, str(WQY_PATH), subfontIndex=0)
        else:
            font = UnicodeCIDFont(CID_FONT)
        pdfmetrics.registerFont(font)
        _registered[name] = font
    return name


def printable(text: str, font: str = CID_FONT) -> str:
    """The text less the characters the font has no glyph for (Ü becomes U)."""
    text = text.replace("Ü", "U")
    if font == CID_FONT:
        return "".join(ch for ch in text if _CID_OK.match(ch))
    cmap = _registered[font].face.charToGlyph
    return "".join(ch for ch in text if ord(ch) in cmap or ch == " ")


def wrap(text: str, width: float, size: float = BODY, indent: bool = True,
         font: str = CID_FONT) -> list[tuple[str, float]]:
    """Greedy wrap; (line, x offset) pairs with a two-character first-line indent.

    Chinese breaks anywhere; a Latin word moves whole to the next line (unless it fills a line by itself)."""
    lines, line, offset = [], "", 2 * size if indent else 0.0
    for ch in text:
        if pdfmetrics.stringWidth(line + ch, font, size) > width - offset and line:
            carry = ""
            if ch.isascii() and ch.isalnum():
                word = re.search(r"[A-Za-z0-9]+$", line)
                if word and word.start() > 0:
                    line, carry = line[:word.start()], word.group()
            lines.append((line.rstrip(), offset))
            line, offset = carry, 0.0
            if ch == " ":
                continue
        line += ch
    if line:
        lines.append((line, offset))
    return lines


@dataclass
class Row:
    text: str
    offset: float = 0.0
    size: float = BODY


class Magazine:
    """Pages with a running header, a '— N —' footer and articles: full-width headline, two balanced columns."""

    def __init__(self, path: Path | str, columns: int = 2, first_folio: int = 12, header: str | None = HEADER,
                 encrypt: str | None = None, font: str = "cid", section: str = SECTION_NAME):
        self.font = register_font(font)
        self.c = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt)
        self.columns, self.folio, self.header, self.section = columns, first_folio, header, section
        self.gutter = 18.0
        self.col_width = (WIDTH - 2 * MARGIN - (columns - 1) * self.gutter) / columns
        self.y = TOP
        self.dirty = False
        self.pages = 0

    def _furniture(self):
        self.c.setFont(self.font, 9)
        if self.header:
            self.c.drawString(MARGIN, HEIGHT - 40, self.header)
            self.c.drawRightString(WIDTH - MARGIN, HEIGHT - 40, self.section)
        self.c.drawCentredString(WIDTH / 2, 36, f"— {self.folio} —")

    def new_page(self):
        if self.dirty:
            self._furniture()
            self.c.showPage()
            self.folio += 1
            self.pages += 1
        self.y, self.dirty = TOP, False

    def headline(self, title: str, size: float = TITLE):
        """A full-width headline; starts a new page when fewer than three body lines would fit under it."""
        if self.y - size - 3 * LEADING < BOTTOM:
            self.new_page()
        lines = wrap(title, WIDTH - 2 * MARGIN, size, indent=False, font=self.font)
        self.c.setFont(self.font, size)
        for text, _ in lines:
            self.c.drawString(MARGIN, self.y - size, text)
            self.y -= size * 1.3
        self.y -= 14 - 0.3 * size
        self.dirty = True

    def rows(self, paragraphs: list[str]) -> list[Row]:
        return [Row(t, o) for p in paragraphs for t, o in wrap(p, self.col_width, font=self.font)]

    def subhead_rows(self, title: str) -> list[Row]:
        return [Row("")] + [Row(t, 0.0, SUBHEAD) for t, _ in wrap(title, self.col_width, SUBHEAD, False, self.font)]

    def body(self, paragraphs: list[str] | list[Row]):
        """Paragraphs (or prepared rows) poured into balanced columns, page after page."""
        lines = list(paragraphs) if paragraphs and isinstance(paragraphs[0], Row) else self.rows(paragraphs)
        while lines and not lines[0].text:
            lines.pop(0)
        while lines:
            rows = int((self.y - BOTTOM) // LEADING)
            if rows < 2:
                self.new_page()
                continue
            take = min(len(lines), rows * self.columns)
            per_col = -(-take // self.columns)
            chunk, lines = lines[:take], lines[take:]
            for n in range(self.columns):
                x = MARGIN + n * (self.col_width + self.gutter)
                for r, row in enumerate(chunk[n * per_col:(n + 1) * per_col]):
                    if row.text:
                        self.c.setFont(self.font, row.size)
                        self.c.drawString(x + row.offset, self.y - BODY - r * LEADING, row.text)
            self.y -= per_col * LEADING + 12
            self.dirty = True
            if lines:
                self.new_page()

    def save(self):
        if self.dirty:
            self._furniture()
            self.c.showPage()
            self.pages += 1
        self.c.save()


# -- a Markdown corpus file as a magazine ------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def plain(line: str) -> str:
    """One source line without Markdown markup (as clean.py would leave it)."""
    line = _IMAGE.sub("", line.strip())
    line = _LINK.sub(r"\1", line)
    line = re.sub(r"\*\*(.+?)\*\*", r"\1", line)
    line = re.sub(r"^<(https?://[^>]+)>$", r"\1", line)
    line = re.sub(r"^(?:[-*+•]\s+|>\s*)", "", line)
    return line.replace("\u3000", " ").strip()


@dataclass
class Piece:
    kind: str          # heading | para
    text: str
    level: int = 0


def markdown_pieces(text: str, font: str = CID_FONT) -> list[Piece]:
    """Headings and paragraphs of a corpus file, in order, reduced to what the font can print."""
    out: list[Piece] = []
    for raw in text.splitlines():
        m = _HEADING.match(raw.strip())
        if m:
            title = printable(plain(m.group(2)), font)
            if title:
                out.append(Piece("heading", title, len(m.group(1))))
            continue
        line = printable(plain(raw), font)
        if line:
            out.append(Piece("para", line))
    return out


def render_pieces(mag: Magazine, pieces: list[Piece]) -> None:
    """'#' → article headline, '##' → section headline (both full width), deeper → in-column subhead."""
    pending: list[Row] = []
    for p in pieces:
        if p.kind == "heading" and p.level <= 2:
            mag.body(pending)
            pending = []
            mag.headline(p.text, TITLE if p.level == 1 else SECTION)
        elif p.kind == "heading":
            pending += mag.subhead_rows(p.text)
        else:
            pending += mag.rows([p.text])
    mag.body(pending)


def render_corpus_file(source: Path | str, path: Path | str, first_folio: int = 1, font: str = "cid",
                       header: str = HEADER) -> tuple[list[Piece], int]:
    """Render a whole corpus file; returns the pieces drawn (for checking what comes back) and the page count."""
    name = register_font(font)
    pieces = markdown_pieces(Path(source).read_text(encoding="utf-8"), name)
    mag = Magazine(path, first_folio=first_folio, header=header, font=font)
    render_pieces(mag, pieces)
    mag.save()
    return pieces, mag.pages


def main(argv: list[str] | None = None) -> None:
    import argparse
    ap = argparse.ArgumentParser(description="Render a corpus text file as a two-column magazine PDF")
    ap.add_argument("source")
    ap.add_argument("out")
    ap.add_argument("--font", choices=["auto", "cid", "wqy"], default="auto")
    ap.add_argument("--first-folio", type=int, default=1)
    args = ap.parse_args(argv)
    pieces, pages = render_corpus_file(args.source, args.out, args.first_folio, args.font)
    print(f"{args.out}: {pages} pages, {sum(p.kind == 'heading' for p in pieces)} headings, "
          f"{sum(p.kind == 'para' for p in pieces)} paragraphs")


if __name__ == "__main__":
    main()
