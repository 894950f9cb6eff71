"""PDF ingestion: reading order, page furniture, folios, tables, bad files. Fixtures are generated here."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("reportlab")
from reportlab.lib.pagesizes import A4                      # noqa: E402
from reportlab.pdfgen import canvas                         # noqa: E402

from bench import magazine_pdf                              # noqa: E402  (bench/ is importable: pythonpath in pyproject)
from bench.magazine_pdf import BODY, MARGIN, printable    # noqa: E402
from ingest import IngestError, chunk_document, parse_file  # noqa: E402
from ingest.pdf import read_pdf                             # noqa: E402

from conftest import CORPUS                                 # noqa: E402

pytestmark = pytest.mark.unit

FONT = magazine_pdf.register_font("cid")                   # STSong-Light, built into reportlab
HEADER = "《常州科技》 2023年第3期（总第171期）"


class Magazine(magazine_pdf.Magazine):
    """The shared two-column magazine generator (bench/magazine_pdf.py), with this file's running header."""

    def __init__(self, path: Path, columns: int = 2, first_folio: int = 12, header: str | None = HEADER,
                 encrypt: str | None = None):
        super().__init__(path, columns=columns, first_folio=first_folio, header=header, encrypt=encrypt)


SENTENCES = [f"第{n}句说明常州科技创新的第{n}项举措，涉及企业研发投入与人才引进。" for n in range(1, 200)]


def sentences(text: str) -> list[str]:
    """All of the text, cut after each 。！？ (a paragraph's unpunctuated tail is a sentence too)."""
    return [s for s in re.findall(r"[^。！？]+[。！？]*", text) if s.strip()]


def paragraphs_of(sents: list[str], per: int = 4) -> list[str]:
    return ["".join(sents[i:i + per]) for i in range(0, len(sents), per)]


def in_order(text: str, sents: list[str]) -> bool:
    """Each sentence appears whole, right after the previous one (only a short title may come between)."""
    flat = re.sub(r"\s+", "", text)
    pos = None
    for s in sents:
        at = flat.find(s, pos or 0)
        if at < 0 or (pos is not None and at - pos > 30):
            return False
        pos = at + len(s)
    return True


def test_single_column_reading_order(tmp_path):
    path = tmp_path / "single.pdf"
    mag = Magazine(path, columns=1, header=None)
    mag.headline("常州市出台科技创新新政")
    mag.body(paragraphs_of(SENTENCES[:40]))
    mag.save()
    doc = parse_file(path)
    assert in_order(doc.text, SENTENCES[:40])
    assert doc.articles[-1].title == "常州市出台科技创新新政"


def test_two_columns_with_full_width_headlines(tmp_path):
    path = tmp_path / "two.pdf"
    mag = Magazine(path)
    mag.headline("创新之核释放核力量")
    mag.body(paragraphs_of(SENTENCES[:24]))
    mag.headline("常州高新区打造千亿级产业集群")
    mag.body(paragraphs_of(SENTENCES[24:60]))
    mag.save()
    doc = parse_file(path)
    assert in_order(doc.text, SENTENCES[:60])
    titles = [a.title for a in doc.articles]
    assert titles[-2:] == ["创新之核释放核力量", "常州高新区打造千亿级产业集群"]
    body = doc.text[doc.articles[-1].start:doc.articles[-1].end]
    assert SENTENCES[30] in body and SENTENCES[3] not in body


def test_subheads_inside_columns_keep_reading_order(tmp_path):
    """A subhead set in one column shares its row with body text in the other: still read column by column."""
    from bench.magazine_pdf import Piece, render_pieces
    path = tmp_path / "subheads.pdf"
    mag = Magazine(path)
    pieces = [Piece("heading", "常州市出台科技创新新政", 1)]
    for n in range(8):
        pieces.append(Piece("heading", f"第{n + 1}项支持措施", 3))
        pieces += [Piece("para", p) for p in paragraphs_of(SENTENCES[n * 12:(n + 1) * 12], 6)]
    render_pieces(mag, pieces)
    mag.save()
    doc = parse_file(path)
    assert in_order(doc.text, SENTENCES[:96])
    assert [h for _, _, h in doc.headings][-8:] == [f"第{n + 1}项支持措施" for n in range(8)]


def test_running_header_and_footer_removed_folios_kept(tmp_path):
    path = tmp_path / "mag.pdf"
    mag = Magazine(path, first_folio=12)
    mag.headline("科技招商工作新局面")
    mag.body(paragraphs_of(SENTENCES[:190]))
    mag.save()
    raw = read_pdf(path.read_bytes(), path.name)
    assert [p for _, p in raw.page_starts][:3] == [12, 13, 14]
    assert raw.meta["publication"] == "《常州科技》"
    assert raw.meta["issue"] == "2023年第3期（总第171期）"
    assert raw.meta["date"] == "2023-03" and raw.meta["kind"] == "magazine"

    doc = parse_file(path)
    assert doc.meta.title == "《常州科技》2023年第3期"
    assert in_order(doc.text, SENTENCES[:190])
    chunks = chunk_document(doc)
    assert len({c.page for c in chunks}) >= 3
    for c in chunks:
        assert "《常州科技》" not in c.text and "第3期" not in c.text and "科技动态" not in c.text and "—" not in c.text
        assert 12 <= c.page <= c.page_end <= 12 + len(raw.page_starts) - 1
    # A sentence's chunk page is the page the sentence is printed on.
    last = [c for c in chunks if SENTENCES[180] in c.text]
    assert last and last[0].page_end == max(p for _, p in raw.page_starts)


def test_table_rows_kept_together(tmp_path):
    path = tmp_path / "table.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont(FONT, BODY)
    c.drawString(MARGIN, 760, "下表列出各类企业的奖励标准。")
    rows = [["类别", "首次认定", "再次认定"], ["高新技术企业", "20万元", "10万元"],
            ["独角兽企业", "200万元", "—"], ["瞪羚企业", "50万元", "20万元"]]
    xs, ys = [MARGIN, 220, 360, 500], [740 - 24 * i for i in range(len(rows) + 1)]
    c.grid(xs, ys)
    for r, row in enumerate(rows):
        for k, cell in enumerate(row):
            c.drawString(xs[k] + 6, ys[r] - 17, cell)
    c.drawString(MARGIN, ys[-1] - 30, "申报截止日期为每年六月底。")
    c.showPage()
    c.save()
    doc = parse_file(path)
    lines = doc.text.split("\n")
    at = lines.index("类别 | 首次认定 | 再次认定")
    assert lines[at + 1:at + 4] == ["高新技术企业 | 20万元 | 10万元", "独角兽企业 | 200万元 | —",
                                    "瞪羚企业 | 50万元 | 20万元"]
    assert lines[at - 1] == "下表列出各类企业的奖励标准。" and lines[at + 4] == "申报截止日期为每年六月底。"


def test_image_only_page_is_reported(tmp_path):
    path = tmp_path / "image.pdf"
    mag = Magazine(path, header=None)
    mag.headline("一页文字")
    mag.body(paragraphs_of(SENTENCES[:8]))
    mag.new_page()
    mag.c.rect(100, 200, 300, 400, fill=1)
    mag.c.showPage()
    mag.c.save()
    doc = parse_file(path)
    assert doc.warnings == ["第2页为图片，未识别文字"]
    assert in_order(doc.text, SENTENCES[:8])


def test_pdf_without_text_layer_needs_ocr(tmp_path):
    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    for _ in range(2):
        c.rect(50, 50, 400, 600, fill=1)
        c.showPage()
    c.save()
    with pytest.raises(IngestError, match="需要先做文字识别（OCR）"):
        parse_file(path)


def _small_pdf(path: Path, encrypt: str | None = None) -> Path:
    mag = Magazine(path, encrypt=encrypt)
    mag.headline("测试文档")
    mag.body(paragraphs_of(SENTENCES[:12]))
    mag.save()
    return path


def test_encrypted_pdf(tmp_path):
    path = _small_pdf(tmp_path / "locked.pdf", encrypt="secret")
    with pytest.raises(IngestError, match="locked.pdf：PDF 已加密"):
        parse_file(path)


@pytest.mark.parametrize("keep", [0.5, 0.1])
def test_truncated_or_corrupt_pdf(tmp_path, keep):
    data = _small_pdf(tmp_path / "full.pdf").read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[:int(len(data) * keep)])
    with pytest.raises(IngestError, match="cut.pdf：PDF 文件已损坏或不完整"):
        parse_file(path)


def test_garbage_after_pdf_header(tmp_path):
    path = tmp_path / "junk.pdf"
    path.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 8)
    with pytest.raises(IngestError, match="junk.pdf：PDF 文件已损坏或不完整"):
        parse_file(path)


def _corpus_articles(limit: int = 9000) -> list[tuple[str, list[str]]]:
    """Titles and plain paragraphs of the news part of the 2023-03 issue."""
    lines = (CORPUS / "changzhou-keji-2023-03.txt").read_text(encoding="utf-8").splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("# 科技外交官在常州"))
    articles, size = [], 0
    for ln in lines[start:]:
        ln = printable(ln.strip())                  # keep to what the built-in CID font can show
        if ln.startswith("#"):
            title = ln.lstrip("# ").strip()
            if 4 <= len(title) <= 24:
                articles.append((title, []))
        elif articles and len(ln) >= 20 and not ln.startswith(("-", "|", ">", "!", "*")):
            articles[-1][1].append(ln)
            size += len(ln)
            if size > limit:
                break
    return [(t, ps) for t, ps in articles if ps]


def test_corpus_two_column_issue_sentences_whole(tmp_path):
    path = tmp_path / "changzhou-keji-2023-03.pdf"
    mag = Magazine(path, first_folio=20)
    articles = _corpus_articles()
    for title, paras in articles:
        mag.headline(title)
        mag.body(paras)
    mag.save()
    doc = parse_file(path)
    assert len(doc.page_starts) >= 4
    source = [re.sub(r"\s+", "", s) for _, paras in articles for p in paras for s in sentences(p)]
    flat = re.sub(r"\s+", "", doc.text)
    whole = [s for s in source if s in flat]
    assert len(source) > 100 and len(whole) / len(source) >= 0.95, [s for s in source if s not in whole][:5]
    assert in_order(doc.text, source)
    found = {a.title for a in doc.articles}
    assert sum(t in found for t, _ in articles) >= 0.9 * len(articles)
    chunks = chunk_document(doc)
    assert all(c.page >= 20 for c in chunks) and not any("总第171期" in c.text for c in chunks)


def test_kb_parse_shows_articles_without_indexing(tmp_path, capsys, data_dir):
    import json
    from cli.main import main
    path = tmp_path / "two.pdf"
    mag = Magazine(path, first_folio=5)
    mag.headline("创新之核释放核力量")
    mag.body(paragraphs_of(SENTENCES[:24]))
    mag.headline("常州高新区打造千亿级产业集群")
    mag.body(paragraphs_of(SENTENCES[24:150]))
    mag.save()
    assert main(["parse", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["doc"]["issue"] == "2023年第3期（总第171期）" and out["warnings"] == []
    assert [a["title"] for a in out["articles"]] == ["创新之核释放核力量", "常州高新区打造千亿级产业集群"]
    assert out["articles"][0]["pages"] == [5] and out["articles"][1]["pages"][0] == 5
    assert out["articles"][1]["pages"][-1] > 5 and SENTENCES[140] in out["articles"][1]["text"]
    assert main(["parse", str(path)]) == 0
    assert "[2] 常州高新区打造千亿级产业集群（第5页–" in capsys.readouterr().out
    assert not data_dir.exists()
