"""PDF reading speed: generate N dense two-column pages (and N single-column ones) and time read_pdf.

    python -m bench.pdf_speed [--pages 40] [--repeat 3]

Needs reportlab (test extra). Prints a table of pages per second; not part of the test suite.
"""
from __future__ import annotations

import argparse
import io
import time

from ingest.pdf import read_pdf

FONT = "STSong-Light"
SENTENCE = "常州市科技局围绕新能源之都建设，推动创新链与产业链深度融合，第{n}项举措已经落地见效。"


def make_pdf(pages: int, columns: int, size: float = 9.5) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    width, height = A4
    margin, gutter, leading = 48.0, 16.0, size * 1.45
    col_w = (width - 2 * margin - (columns - 1) * gutter) / columns
    per_line = int(col_w // size)
    text = "".join(SENTENCE.format(n=n) for n in range(pages * 200))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    pos = 0
    for page in range(pages):
        c.setFont(FONT, 9)
        c.drawString(margin, height - 36, "《常州科技》 2023年第3期")
        c.drawCentredString(width / 2, 30, f"— {page + 1} —")
        c.setFont(FONT, 18)
        c.drawString(margin, height - 80, f"第{page + 1}篇 常州科技创新动态")
        c.setFont(FONT, size)
        rows = int((height - 110 - 60) // leading)
        for col in range(columns):
            x = margin + col * (col_w + gutter)
            for r in range(rows):
                c.drawString(x, height - 110 - r * leading, text[pos:pos + per_line])
                pos += per_line
        c.showPage()
    c.save()
    return buf.getvalue()


def measure(data: bytes, pages: int, repeat: int) -> tuple[float, int]:
    best, chars = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        raw = read_pdf(data, "bench.pdf")
        best = min(best, time.perf_counter() - start)
        chars = len(raw.text)
    return pages / best, chars


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"{'版式':<12}{'页数':>6}{'字数':>10}{'页/秒':>10}")
    for label, columns in (("双栏（密排）", 2), ("单栏", 1)):
        data = make_pdf(args.pages, columns)
        rate, chars = measure(data, args.pages, args.repeat)
        print(f"{label:<12}{args.pages:>6}{chars:>10}{rate:>10.1f}")


if __name__ == "__main__":
    main()
