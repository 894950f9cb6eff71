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


# -- layouts made differently: for reading-order fixtures beyond the generator above ---------------------------

@dataclass(frozen=True)
class Style:
    """How an article's columns are set (the generator above: 2 balanced, justified, aligned columns)."""
    columns: int = 2
    gutter: float = 18.0
    size: float = BODY
    leading: float = LEADING
    ragged: int = 0           # ragged right: lines end up to this many characters short of the measure
    hang: bool = False        # closing punctuation hangs into the gutter, Latin words overflow the measure
    offset: float = 0.0       # each next column's baselines are this much lower (points)
    sequential: bool = False  # fill each column to the foot before the next (else balance the last chunk)


HANG = "、，。；：？！）”’"
_LATIN_TAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]*$")
_LATIN_HEAD = re.compile(r"^[A-Za-z0-9.\-]+")


def wrap_styled(text: str, width: float, style: Style, font: str, rng, indent: bool = True,
                size: float | None = None) -> list[tuple[str, float]]:
    """Wrap like other producers do: ragged right, hanging punctuation, Latin words overflowing the measure."""
    size = size or style.size
    max_over = 0.75 * style.gutter                  # an overflow never reaches the next column
    lines, line, offset, i = [], "", 2 * size if indent else 0.0, 0
    while i < len(text):
        ch = text[i]
        if pdfmetrics.stringWidth(line + ch, font, size) <= width - offset or not line:
            line, i = line + ch, i + 1
            continue
        carry = ""
        if style.hang and ch in HANG and (pdfmetrics.stringWidth(line + ch, font, size) - (width - offset)
                                          <= max_over):
            line, i = line + ch, i + 1              # hangs past the measure, short of the next column
        elif _latin(ch) and _LATIN_TAIL.search(line):
            head = _LATIN_TAIL.search(line)
            rest = _LATIN_HEAD.match(text[i:]).group()
            over = pdfmetrics.stringWidth(line + rest, font, size) - (width - offset)
            if style.hang and over <= max_over:
                line, i = line + rest, i + len(rest)
            elif head.start() > 0:
                line, carry = line[:head.start()], head.group()
        elif ch in HANG and len(line) > 1:
            line, carry = line[:-1], line[-1]       # no line starts with a stop: the last character goes too
        elif style.ragged and len(line) > 8:
            k = rng.randint(0, style.ragged)
            while k and (_latin(line[-k]) or line[-k] in HANG):
                k -= 1
            if k:
                line, carry = line[:-k], line[-k:]
        lines.append((line.rstrip(), offset))
        line, offset = carry, 0.0
        while i < len(text) and text[i] == " " and not line:
            i += 1
    if line:
        lines.append((line, offset))
    if len(lines) > 1 and all(ch in HANG for ch in lines[-1][0]):
        (prev, off), (last, _) = lines[-2], lines[-1]
        if style.hang and pdfmetrics.stringWidth(prev + last, font, size) - (width - off) <= max_over:
            lines[-2:] = [(prev + last, off)]                    # a lone closing stop hangs instead
        elif len(prev) > 1:
            lines[-2:] = [(prev[:-1], off), (prev[-1] + last, 0.0)]   # or takes a character along
    return lines


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass
class Item:
    """One unit of a column's flow: a text line, or a photo box (rows high) with its caption lines."""
    text: str = ""
    offset: float = 0.0
    size: float = BODY
    photo: int = 0
    caption: tuple[str, ...] = ()

    def rows(self, leading: float) -> int:
        return 1 if not self.photo else self.photo + len(self.caption) + 1


class VariedMagazine:
    """Magazine pages set differently from `Magazine`: mirrored running headers (odd/even), page numbers in
    the outer corner, one to three columns per article (several per page), ragged or hanging columns, offset
    baselines, photo boxes with captions, full-width decks and photos, a sidebar box.

    `truth` collects every text drawn except the furniture, in reading order: what a reader must give back.
    """

    def __init__(self, path: Path | str, font: str = "cid", first_folio: int = 1, seed: int = 7,
                 publication: str = "《常州科技》 2020年第11期", section: str = "创新前沿"):
        import random
        self.font = register_font(font)
        self.c = canvas.Canvas(str(path), pagesize=A4)
        self.folio, self.publication, self.section = first_folio, publication, section
        self.rng = random.Random(seed)
        self.truth: list[str] = []
        self.y, self.dirty, self.pages = TOP, False, 0

    # furniture and pages
    def _furniture(self):
        self.c.setFont(self.font, 9)
        odd = self.folio % 2 == 1
        outer, inner = (WIDTH - MARGIN, MARGIN) if odd else (MARGIN, WIDTH - MARGIN)
        draw_outer = self.c.drawRightString if odd else self.c.drawString
        draw_inner = self.c.drawString if odd else self.c.drawRightString
        draw_outer(outer, HEIGHT - 40, self.publication if odd else self.section)
        draw_inner(inner, HEIGHT - 40, self.section if odd else self.publication)
        self.c.line(MARGIN, HEIGHT - 46, WIDTH - MARGIN, HEIGHT - 46)
        self.c.setFont(self.font, 10)
        draw_outer(outer, 36, str(self.folio))

    def new_page(self):
        if self.dirty:
            self._furniture()
            self.c.showPage()
            self.folio += 1
            self.pages += 1
        self.y, self.dirty = TOP, False

    def save(self):
        if self.dirty:
            self._furniture()
            self.c.showPage()
            self.pages += 1
        self.c.save()

    # full-width elements
    def headline(self, title: str, size: float = TITLE):
        if self.y - size - 4 * LEADING < BOTTOM:
            self.new_page()
        self.c.setFont(self.font, size)
        for text, _ in wrap(title, WIDTH - 2 * MARGIN, size, indent=False, font=self.font):
            self.c.drawString(MARGIN, self.y - size, text)
            self.y -= size * 1.3
        self.y -= 10
        self.truth.append(title)
        self.dirty = True

    def deck(self, text: str, size: float = 12.0):
        """A full-width lead paragraph in a larger body size."""
        self.c.setFont(self.font, size)
        for line, _ in wrap(text, WIDTH - 2 * MARGIN, size, indent=False, font=self.font):
            self.c.drawString(MARGIN, self.y - size, line)
            self.y -= size * 1.5
        self.y -= 8
        self.truth.append(text)

    def wide_photo(self, caption: str, height: float = 150.0):
        """A photo box across all columns with a full-width caption under it."""
        self.c.setFillGray(0.8)
        self.c.rect(MARGIN, self.y - height, WIDTH - 2 * MARGIN, height, fill=1, stroke=0)
        self.c.setFillGray(0)
        self.y -= height + 4
        self.c.setFont(self.font, 9)
        for line, _ in wrap(caption, WIDTH - 2 * MARGIN, 9, indent=False, font=self.font):
            self.c.drawString(MARGIN, self.y - 9, line)
            self.y -= 13
        self.y -= 8
        self.truth.append(caption)

    # column flow
    def items(self, paragraphs: list[str], style: Style, width: float,
              photos: dict[int, str] | None = None) -> list[Item]:
        """Lines of the paragraphs; `photos` puts a photo box with a caption after paragraph n."""
        out: list[Item] = []
        for n, p in enumerate(paragraphs):
            out += [Item(t, o, style.size) for t, o in wrap_styled(p, width, style, self.font, self.rng)]
            self.truth.append(p)
            if photos and n in photos:
                cap = tuple(t for t, _ in wrap(photos[n], width, 9, indent=False, font=self.font))
                out.append(Item(photo=5, caption=cap))
                self.truth.append(photos[n])
        return out

    def article(self, paragraphs: list[str], style: Style = Style(), photos: dict[int, str] | None = None,
                sidebar: tuple[str, list[str]] | None = None):
        """Body text in columns, page after page; a sidebar box (title, paragraphs) takes the outer edge of
        the first page's column area and is read after the columns beside it."""
        side_w = 130.0 if sidebar else 0.0
        area = WIDTH - 2 * MARGIN - (side_w + style.gutter if sidebar else 0.0)
        col_w = (area - (style.columns - 1) * style.gutter) / style.columns
        items = self.items(paragraphs, style, col_w, photos)
        first = True
        while items:
            rows = int((self.y - BOTTOM - (style.columns - 1) * style.offset) // style.leading)
            if rows < 3:
                self.new_page()
                continue
            top = self.y
            before, fresh = len(items), self.y == TOP
            items = self._pour(items, rows, style, col_w)
            if len(items) == before and fresh:
                raise ValueError("an item taller than a page")
            if first and sidebar:
                self._sidebar(sidebar, MARGIN + area + style.gutter, side_w, top, top - self.y - 10)
            first = False
            self.dirty = True
            if items:
                self.new_page()

    def _pour(self, items: list[Item], rows: int, style: Style, col_w: float) -> list[Item]:
        total = sum(it.rows(style.leading) for it in items)
        per_col = rows if style.sequential or total > rows * style.columns else -(-total // style.columns)
        top, used = self.y, 0
        for n in range(style.columns):
            x = MARGIN + n * (col_w + style.gutter)
            y0 = top - n * style.offset
            r = 0
            # An item taller than a balanced column still goes at the top of an empty one, if the page holds it.
            while items and (r + items[0].rows(style.leading) <= per_col
                             or r == 0 and items[0].rows(style.leading) <= rows):
                it = items.pop(0)
                if it.photo:
                    self._photo(it, x, y0 - r * style.leading, col_w, style)
                elif it.text:
                    self.c.setFont(self.font, it.size)
                    self.c.drawString(x + it.offset, y0 - style.size - r * style.leading, it.text)
                r += it.rows(style.leading)
            used = max(used, r * style.leading + n * style.offset)
        self.y = top - used - 14
        return items

    def _photo(self, it: Item, x: float, y: float, width: float, style: Style):
        h = it.photo * style.leading - 4
        self.c.setFillGray(0.75)
        self.c.rect(x, y - h, width, h, fill=1, stroke=0)
        self.c.setFillGray(0)
        self.c.setFont(self.font, 9)
        for k, line in enumerate(it.caption):
            self.c.drawString(x, y - h - 4 - 9 - k * style.leading, line)

    def _sidebar(self, sidebar: tuple[str, list[str]], x: float, width: float, top: float, height: float):
        title, paras = sidebar
        self.c.setFillGray(0.92)
        self.c.rect(x - 6, top - height, width + 12, height, fill=1, stroke=0)
        self.c.setFillGray(0)
        self.c.setFont(self.font, 11)
        self.c.drawString(x, top - 6 - 11, title)
        y = top - 30
        self.truth.append(title)
        self.c.setFont(self.font, 9)
        for p in paras:
            for line, off in wrap(p, width, 9, font=self.font):
                self.c.drawString(x + off, y - 9, line)
                y -= 13
            self.truth.append(p)


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
