"""PDF reading order on layouts from several producers: sentences whole and in order, furniture, speed.

    python -m bench.pdf_order [--work /tmp/pdf_order] [--only NAME ...] [--repeat 3] [--json FILE]
                              [--font auto|cid|wqy] [--random N [--seed-base K]]

Each fixture is a PDF plus the texts it was made from, in reading order (`truth`). Producers: our own
reportlab generator (`bench.magazine_pdf.Magazine`), reportlab set differently (`VariedMagazine`: ragged and
hanging columns, offset baselines, three columns above two, photos, sidebar, mirrored headers), headless
Chromium printing HTML with CSS columns, and LibreOffice converting a .docx with column sections. The
Chromium and LibreOffice fixtures need Debian `chromium` / `libreoffice-writer-nogui` and fonts-wqy-zenhei;
without them they are skipped with the reason printed.

Per fixture: source sentences, share found whole, share whole and in order (longest increasing
subsequence of their positions), furniture lines left in the text, table rows not on one line, pages/s
of `read_pdf` against pdfplumber's own `extract_text` on the same file, and the first displaced sentences.
"""
from __future__ import annotations

import bisect
import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
WQY_FAMILY = "WenQuanYi Zen Hei"


# -- scoring -------------------------------------------------------------------------------------------------

def sentences(text: str) -> list[str]:
    """Cut after each 。！？ (a text's unpunctuated tail is a sentence too), whitespace removed."""
    flat = re.sub(r"\s+", "", text)
    return [s for s in re.findall(r"[^。！？]+[。！？]*", flat) if len(s) >= 2]


@dataclass(frozen=True)
class Score:
    total: int
    whole: int
    in_order: int
    missing: tuple[str, ...]          # sentences not found whole
    displaced: tuple[str, ...]        # found whole, outside the longest in-order chain (source order)

    @property
    def whole_share(self) -> float:
        return self.whole / self.total if self.total else 1.0

    @property
    def order_share(self) -> float:
        return self.in_order / self.total if self.total else 1.0


def _lis(values: list[int]) -> set[int]:
    """Indices of one longest strictly increasing subsequence."""
    tails, tail_idx, prev = [], [], [-1] * len(values)
    for i, v in enumerate(values):
        k = bisect.bisect_left(tails, v)
        if k == len(tails):
            tails.append(v)
            tail_idx.append(i)
        else:
            tails[k], tail_idx[k] = v, i
        prev[i] = tail_idx[k - 1] if k else -1
    out, i = set(), tail_idx[-1] if tail_idx else -1
    while i >= 0:
        out.add(i)
        i = prev[i]
    return out


def score(text: str, truth: list[str]) -> Score:
    """Which of the truth's sentences the text holds whole, and how many in the truth's order.

    Each sentence is looked for after the previous one first (a short fragment such as “中 also occurs
    earlier inside other sentences), then anywhere; the in-order share is the longest increasing chain."""
    flat = re.sub(r"\s+", "", text)
    sents = [s for t in truth for s in sentences(t)]
    found: list[tuple[int, int]] = []          # (source index, position in text)
    missing, cursor = [], 0
    for n, s in enumerate(sents):
        at = flat.find(s, cursor)
        if at < 0:
            at = flat.find(s)
        if at < 0:
            missing.append(s)
            continue
        if at >= cursor:
            cursor = at + len(s)
        found.append((n, at))
    keep = _lis([at for _, at in found])
    displaced = tuple(sents[n] for k, (n, _) in enumerate(found) if k not in keep)
    return Score(len(sents), len(found), len(keep), tuple(missing), displaced)


def furniture_left(text: str, furniture: list[str]) -> list[str]:
    """Lines of the text that are running-header pieces or bare page numbers."""
    out = []
    for line in text.splitlines():
        s = re.sub(r"\s+", "", line).lstrip("#-")
        if not s:
            continue
        folio = re.fullmatch(r"[—\-–]*\d{1,4}[—\-–]*(/\d+)?", s)
        if folio or any(re.sub(r"\s+", "", f) in s for f in furniture):
            out.append(line)
    return out


def rows_broken(text: str, rows: list[str]) -> list[str]:
    lines = {re.sub(r"\s+", "", ln) for ln in text.splitlines()}
    return [r for r in rows if re.sub(r"\s+", "", r) not in lines]


# -- fixtures ------------------------------------------------------------------------------------------------

@dataclass
class Fixture:
    name: str
    path: Path
    truth: list[str]
    furniture: list[str] = field(default_factory=list)    # header texts that must not reach the text
    table_rows: list[str] = field(default_factory=list)   # "a | b | c" rows that must come out one a line


class Skip(Exception):
    """A fixture that cannot be made here (tool or font missing); the message says which."""


def corpus_paragraphs(name: str = "changzhou-keji-2020-11.txt", font: str = "cid", least: int = 60) -> list[str]:
    """Body paragraphs of a corpus file (not the issue our own generator's fixtures use)."""
    from bench.magazine_pdf import markdown_pieces, register_font
    pieces = markdown_pieces((CORPUS / name).read_text(encoding="utf-8"), register_font(font))
    return [p.text for p in pieces if p.kind == "para" and len(p.text) >= least and "|" not in p.text]


LATIN = ["ChatGPT", "OpenHarmony", "LiDAR", "MEMS", "EUV", "Transformer", "RISC-V", "PaddlePaddle"]


def with_latin(paras: list[str], every: int = 2) -> list[str]:
    """Put a Latin product name into every n-th paragraph (where unbreakable words overflow a measure)."""
    out = []
    for n, p in enumerate(paras):
        if n % every == 0 and "，" in p:
            k = [m.start() for m in re.finditer("，", p)]
            at = k[len(k) // 2]
            p = p[:at + 1] + f"以{LATIN[n % len(LATIN)]}为代表的" + p[at + 1:]
        out.append(p)
    return out


def _titles() -> list[str]:
    return ["常州加快建设长三角科技创新高地", "智能制造赋能传统产业转型升级", "科教城打造高校成果转化平台",
            "新能源之都的创新密码", "人才政策持续加码显成效", "知识产权保护走在前列", "数字经济跑出加速度",
            "科技金融助力中小企业成长"]


def build_own(work: Path, font: str) -> Fixture:
    """Our own generator, as the existing tests use it (two balanced justified columns)."""
    from bench.magazine_pdf import Magazine
    path = work / "reportlab-own.pdf"
    paras, titles = corpus_paragraphs(font=font), _titles()
    mag = Magazine(path, font=font, header="《常州科技》 2020年第11期")
    truth = []
    for n in range(4):
        mag.headline(titles[n])
        chunk = paras[n * 10:(n + 1) * 10]
        mag.body(chunk)
        truth += [titles[n]] + chunk
    mag.save()
    return Fixture("reportlab-own", path, truth, ["《常州科技》", "科技动态"])


def build_issue(work: Path, font: str) -> Fixture:
    """The whole 2023-03 issue through our own generator (30 dense pages, as bench/pdf_vs_text.py makes it)."""
    from bench.magazine_pdf import HEADER, render_corpus_file
    path = work / "reportlab-issue.pdf"
    pieces, _ = render_corpus_file(CORPUS / "changzhou-keji-2023-03.txt", path, font=font)
    # The issue's own text names its section (科技动态) on a line of its own: only the header line counts.
    return Fixture("reportlab-issue", path, [p.text for p in pieces if p.kind == "para"], [HEADER])


def _varied(work: Path, font: str, name: str, build) -> Fixture:
    from bench.magazine_pdf import VariedMagazine
    path = work / f"{name}.pdf"
    mag = VariedMagazine(path, font=font, first_folio=22)
    build(mag)
    mag.save()
    return Fixture(name, path, mag.truth, ["《常州科技》", "创新前沿"])


def build_ragged(work: Path, font: str) -> Fixture:
    """Cause 1: ragged right, hanging 、。 and Latin words overflowing into a narrow gutter."""
    from bench.magazine_pdf import Style
    paras, titles = with_latin(corpus_paragraphs(font=font)), _titles()
    style = Style(gutter=14.0, ragged=3, hang=True, sequential=True)

    def build(mag):
        for n in range(4):
            mag.headline(titles[n])
            mag.article(paras[n * 9:(n + 1) * 9], style)
    return _varied(work, font, "reportlab-ragged", build)


def build_offset(work: Path, font: str) -> Fixture:
    """Cause 2: the second column's baselines half a line lower than the first's."""
    from bench.magazine_pdf import LEADING, Style
    paras, titles = corpus_paragraphs(font=font), _titles()

    def build(mag):
        for n in range(4):
            mag.headline(titles[n])
            style = Style(offset=LEADING / 2 if n % 2 == 0 else LEADING * 0.4, sequential=n % 2 == 1, ragged=2)
            mag.article(paras[40 + n * 8:40 + (n + 1) * 8], style)
    return _varied(work, font, "reportlab-offset", build)


def build_mixed(work: Path, font: str) -> Fixture:
    """Cause 3 and more: three columns above two on one page, photos with captions, a full-width photo and
    deck, a sidebar; mirrored running headers, page numbers in the outer corner."""
    from bench.magazine_pdf import Style
    paras, titles = corpus_paragraphs(font=font), _titles()
    p = paras[80:]

    def build(mag):
        mag.headline(titles[0])
        mag.article(p[0:3], Style(columns=3, gutter=12.0))
        mag.headline(titles[1])
        mag.article(p[3:9], Style(columns=2), photos={1: "图1 常州科教城创新载体一角。"})
        mag.headline(titles[2])
        mag.deck(p[9][:90] + "。")
        mag.wide_photo("图2 新能源产业园区全景，摄影：本刊记者。")
        mag.article(p[10:14], Style(columns=3, gutter=12.0, ragged=2), photos={0: "图3 研发人员在实验室工作。"})
        mag.headline(titles[3])
        mag.article(p[14:17], Style(columns=2, offset=5.0),
                    sidebar=("相关链接", ["常州市科技局官网发布了全部政策原文，企业可在线申报。",
                                          "咨询电话请见各辖市区科技部门公告。"]))
        mag.headline(titles[4])
        mag.article(p[17:26], Style(columns=2, ragged=3, hang=True, gutter=14.0))
    return _varied(work, font, "reportlab-mixed", build)


def build_random(work: Path, font: str, seed: int) -> Fixture:
    """Six articles set at random: 1-3 columns, gutter 10-24 pt, ragged or hanging, offset baselines,
    sequential or balanced, body 9.5-11 pt on 14-18 pt leading, decks, wide photos, in-column photos.
    (No sidebars: one beside an article that runs on to the next page has no single right place.)"""
    import random

    from bench.magazine_pdf import LEADING, Style, VariedMagazine
    rng = random.Random(seed)
    paras = with_latin(corpus_paragraphs(font=font) + corpus_paragraphs("changzhou-keji-2023-03.txt", font), 2)
    titles = _titles()
    path = work / f"random-{seed}.pdf"
    mag = VariedMagazine(path, font=font, seed=seed, first_folio=rng.randint(1, 40))
    k = rng.randint(0, 200)
    for a in range(6):
        mag.headline(titles[(seed + a) % len(titles)], size=rng.choice([16.0, 18.0, 20.0]))
        if rng.random() < 0.3:
            mag.deck(paras[k][:rng.randint(40, 120)] + "。")
            k += 1
        if rng.random() < 0.2:
            mag.wide_photo("图 园区一角，摄影：本刊记者。", rng.choice([80.0, 140.0]))
        style = Style(columns=rng.choice([1, 2, 2, 3]), gutter=rng.choice([10.0, 12.0, 14.0, 18.0, 24.0]),
                      ragged=rng.choice([0, 2, 4]), hang=rng.random() < 0.5,
                      offset=rng.choice([0.0, 0.0, LEADING / 2, LEADING * 0.3, 5.0]),
                      sequential=rng.random() < 0.5, size=rng.choice([9.5, 10.5, 11.0]),
                      leading=rng.choice([14.0, 16.0, 18.0]))
        n = rng.randint(2, 9)
        photos = {rng.randint(0, n - 1): "图 研发人员在实验室工作。"} if rng.random() < 0.4 else None
        mag.article(paras[k:k + n], style, photos=photos)
        k += n
    mag.save()
    return Fixture(f"random-{seed}", path, mag.truth, ["《常州科技》", "创新前沿"])


# Chromium: HTML with CSS columns ------------------------------------------------------------------------------

def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _need_wqy():
    if not Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc").is_file():
        raise Skip("fonts-wqy-zenhei 未安装（CJK 字体）")


def html_issue(paras: list[str]) -> tuple[str, list[str], list[str]]:
    """An HTML issue: headlines spanning the columns, 2- and 3-column articles, a figure, a table."""
    import html as h
    titles, truth, rows = _titles(), [], []
    parts = [f"""<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>常州科技</title><style>
@page {{ size: A4; margin: 18mm 16mm; }}
body {{ font-family: "{WQY_FAMILY}"; font-size: 10.5pt; line-height: 1.6; margin: 0; }}
h1 {{ font-size: 18pt; margin: 10pt 0 6pt; column-span: all; }}
.cols2 {{ column-count: 2; column-gap: 1.4em; }} .cols3 {{ column-count: 3; column-gap: 1.2em; }}
p {{ text-indent: 2em; margin: 0; }} .deck {{ font-size: 12pt; text-indent: 0; margin-bottom: 6pt; }}
figure {{ margin: 4pt 0; break-inside: avoid; }} .photo {{ background: #bbb; height: 90pt; }}
figcaption {{ font-size: 9pt; }}
table {{ border-collapse: collapse; width: 100%; margin: 6pt 0; column-span: all; }}
td, th {{ border: 1px solid #000; padding: 2pt 4pt; font-size: 10pt; }}
</style></head><body>"""]
    k = 0
    for n in range(5):
        cls = "cols3" if n % 3 == 1 else "cols2"
        parts.append(f"<h1>{h.escape(titles[n])}</h1>")
        truth.append(titles[n])
        parts.append(f'<div class="{cls}">')
        if n == 2:
            deck = paras[k][:80] + "。"
            parts.append(f'<p class="deck">{h.escape(deck)}</p>')
            truth.append(deck)
            k += 1
        for j in range(7):
            parts.append(f"<p>{h.escape(paras[k])}</p>")
            truth.append(paras[k])
            k += 1
            if n == 1 and j == 2:
                cap = "图1 常州科教城创新载体一角。"
                parts.append(f'<figure><div class="photo"></div><figcaption>{cap}</figcaption></figure>')
                truth.append(cap)
        if n == 3:
            table = [["类别", "首次认定", "再次认定"], ["高新技术企业", "20万元", "10万元"],
                     ["独角兽企业", "200万元", "100万元"], ["瞪羚企业", "50万元", "20万元"]]
            parts.append("<table>" + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>"
                                             for r in table) + "</table>")
            rows += [" | ".join(r) for r in table]
            for _ in range(3):
                parts.append(f"<p>{h.escape(paras[k])}</p>")
                truth.append(paras[k])
                k += 1
        parts.append("</div>")
    parts.append("</body></html>")
    return "\n".join(parts), truth, rows


def build_chromium(work: Path, font: str) -> Fixture:
    exe = _chromium()
    if not exe:
        raise Skip("未安装 chromium（Debian 包 chromium）")
    _need_wqy()
    paras = corpus_paragraphs(font="wqy")[100:]
    text, truth, rows = html_issue(with_latin(paras, 3))
    src, path = work / "chromium.html", work / "chromium-columns.pdf"
    src.write_text(text, encoding="utf-8")
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    try:
        subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}",
                        "--no-pdf-header-footer", f"--print-to-pdf={path}", src.as_uri()],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
        raise Skip(f"chromium 打印失败（{type(err).__name__}）") from None
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if not path.is_file():
        raise Skip("chromium 没有生成 PDF")
    return Fixture("chromium-columns", path, truth, [], rows)


# LibreOffice: a .docx with column sections ------------------------------------------------------------------

def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _columns(section, n: int, space_twips: int = 425):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    sect = section._sectPr
    for old in sect.findall(qn("w:cols")):
        sect.remove(old)
    cols = OxmlElement("w:cols")
    cols.set(qn("w:num"), str(n))
    cols.set(qn("w:space"), str(space_twips))
    sect.append(cols)


def _page_field(paragraph):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = "1"
    run.append(t)
    fld.append(run)
    paragraph._p.append(fld)


def docx_issue(path: Path, paras: list[str]) -> tuple[list[str], list[str]]:
    """A .docx: headline sections in one column, articles in 2- and 3-column continuous sections,
    a running header and a page-number footer, one bordered table."""
    from docx import Document
    from docx.enum.section import WD_SECTION
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = WQY_FAMILY, Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), WQY_FAMILY)
    style.paragraph_format.first_line_indent = Pt(21)
    style.paragraph_format.space_after = Pt(0)
    style.paragraph_format.line_spacing = 1.3
    sec = doc.sections[0]
    sec.header.paragraphs[0].text = "《常州科技》 2020年第11期"
    foot = sec.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_field(foot)
    titles, truth, rows, k = _titles(), [], [], 0
    for n in range(5):
        if n:
            sec = doc.add_section(WD_SECTION.CONTINUOUS)
        _columns(sec, 1)
        head = doc.add_paragraph()
        head.paragraph_format.first_line_indent = Pt(0)
        r = head.add_run(titles[n])
        r.font.size, r.bold, r.font.name = Pt(18), True, WQY_FAMILY
        r._element.rPr.rFonts.set(qn("w:eastAsia"), WQY_FAMILY)
        truth.append(titles[n])
        if n == 3:
            table = [["类别", "首次认定", "再次认定"], ["高新技术企业", "20万元", "10万元"],
                     ["独角兽企业", "200万元", "100万元"], ["瞪羚企业", "50万元", "20万元"]]
            t = doc.add_table(rows=len(table), cols=3)
            t.style = "Table Grid"
            for i, row in enumerate(table):
                for j, cell in enumerate(row):
                    t.cell(i, j).paragraphs[0].paragraph_format.first_line_indent = Pt(0)
                    t.cell(i, j).text = cell
            rows += [" | ".join(r) for r in table]
        sec = doc.add_section(WD_SECTION.CONTINUOUS)
        _columns(sec, 3 if n % 3 == 1 else 2)
        for _ in range(8):
            doc.add_paragraph(paras[k])
            truth.append(paras[k])
            k += 1
    doc.save(str(path))
    return truth, rows


def build_libreoffice(work: Path, font: str) -> Fixture:
    exe = _soffice()
    if not exe:
        raise Skip("未安装 LibreOffice（Debian 包 libreoffice-writer-nogui）")
    _need_wqy()
    src = work / "libreoffice.docx"
    truth, rows = docx_issue(src, with_latin(corpus_paragraphs(font="wqy")[150:], 3))
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    try:
        subprocess.run([exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(work), str(src)], check=True, capture_output=True, timeout=180)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
        raise Skip(f"LibreOffice 转换失败（{type(err).__name__}）") from None
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = work / "libreoffice.pdf"
    if not out.is_file():
        raise Skip("LibreOffice 没有生成 PDF")
    path = out.rename(work / "libreoffice-docx.pdf")
    return Fixture("libreoffice-docx", path, truth, ["《常州科技》"], rows)


BUILDERS = {"reportlab-issue": build_issue, "reportlab-own": build_own, "reportlab-ragged": build_ragged,
            "reportlab-offset": build_offset,
            "reportlab-mixed": build_mixed, "chromium-columns": build_chromium,
            "libreoffice-docx": build_libreoffice}


def build(name: str, work: Path, font: str = "auto") -> Fixture:
    """A fixture by name: one of BUILDERS, or random-SEED."""
    from bench.magazine_pdf import WQY_PATH
    if font == "auto":
        font = "wqy" if WQY_PATH.is_file() else "cid"
    work.mkdir(parents=True, exist_ok=True)
    if name.startswith("random-"):
        return build_random(work, font, int(name.split("-", 1)[1]))
    return BUILDERS[name](work, font)


# -- measuring -----------------------------------------------------------------------------------------------

def reading_text(path: Path) -> str:
    """What ingestion indexes: `parse_file`'s text (reading order, cleaned)."""
    from ingest import parse_file
    return parse_file(path).text


def timings(path: Path, repeat: int) -> tuple[int, float, float]:
    """Pages, best seconds of read_pdf, best seconds of pdfplumber's extract_text on every page."""
    import pdfplumber

    from ingest.pdf import read_pdf
    data = path.read_bytes()
    ours = theirs = float("inf")
    pages = 0
    for _ in range(repeat):
        t = time.perf_counter()
        read_pdf(data, path.name)
        ours = min(ours, time.perf_counter() - t)
        t = time.perf_counter()
        with pdfplumber.open(path) as pdf:
            pages = len(pdf.pages)
            for page in pdf.pages:
                page.extract_text()
        theirs = min(theirs, time.perf_counter() - t)
    return pages, ours, theirs


def measure(fx: Fixture, repeat: int = 3) -> dict:
    text = reading_text(fx.path)
    s = score(text, fx.truth)
    pages, ours, theirs = timings(fx.path, repeat) if repeat else (0, 0.0, 0.0)
    return {"fixture": fx.name, "pages": pages, "sentences": s.total, "whole": round(s.whole_share, 4),
            "in_order": round(s.order_share, 4), "furniture": furniture_left(text, fx.furniture),
            "rows_broken": rows_broken(text, fx.table_rows),
            "pages_per_s": round(pages / ours, 1) if ours else None,
            "pdfplumber_pages_per_s": round(pages / theirs, 1) if theirs else None,
            "time_ratio": round(ours / theirs, 2) if theirs else None,
            "missing": list(s.missing[:5]), "displaced": list(s.displaced[:5])}


def main(argv: list[str] | None = None) -> None:
    import argparse
    ap = argparse.ArgumentParser(description="Reading order of PDFs from several producers")
    ap.add_argument("--work", default="/tmp/pdf_order")
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--font", choices=["auto", "cid", "wqy"], default="auto")
    ap.add_argument("--repeat", type=int, default=3, help="timing runs (best of); 0 skips timing")
    ap.add_argument("--json", default=None)
    ap.add_argument("--random", type=int, default=0, metavar="N",
                    help="also N reportlab issues set at random (seeds 0..N-1, --seed-base to shift)")
    ap.add_argument("--seed-base", type=int, default=0)
    args = ap.parse_args(argv)
    work = Path(args.work)
    results = []
    names = list(args.only if args.only is not None else BUILDERS)
    names += [f"random-{args.seed_base + n}" for n in range(args.random)]
    print(f"{'fixture':18} {'pages':>5} {'sent.':>5} {'whole':>6} {'order':>6} {'furn.':>5} {'rows':>4} "
          f"{'pages/s':>7} {'plumber':>7} {'ratio':>5}")
    for name in names:
        try:
            fx = build(name, work, args.font)
        except Skip as why:
            print(f"{name:18} skipped: {why}")
            continue
        r = measure(fx, args.repeat)
        results.append(r)
        print(f"{name:18} {r['pages']:>5} {r['sentences']:>5} {r['whole']:>6.3f} {r['in_order']:>6.3f} "
              f"{len(r['furniture']):>5} {len(r['rows_broken']):>4} {r['pages_per_s'] or 0:>7} "
              f"{r['pdfplumber_pages_per_s'] or 0:>7} {r['time_ratio'] or 0:>5}")
        for s in r["missing"][:3]:
            print(f"    not whole: {s[:70]}")
        for s in r["displaced"][:3]:
            print(f"    displaced: {s[:70]}")
        for ln in r["furniture"][:3]:
            print(f"    furniture: {ln[:70]}")
        for ln in r["rows_broken"][:3]:
            print(f"    table row: {ln[:70]}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
