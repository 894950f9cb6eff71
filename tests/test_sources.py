"""Sources a reader can open (kb/sources.py, ui/source_view.py): the whole article with the quote marked, the
original PDF page with the quoted lines boxed, the original file; the card's section path. A real PDF made here,
real Chroma, the app on 127.0.0.1."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("reportlab")
from bench import magazine_pdf  # noqa: E402  (bench/ is importable: pythonpath in pyproject)
from kb import sources  # noqa: E402
from kb.errors import KBError  # noqa: E402
from kb.library import KnowledgeBase  # noqa: E402
from kb.settings import load_settings  # noqa: E402

from conftest import HashEmbedding, launch_app  # noqa: E402

SENTENCES = [f"第{n}句说明常州科技创新的第{n}项举措，涉及企业研发投入与人才引进。" for n in range(1, 200)]


def paragraphs_of(sents: list[str], per: int = 4) -> list[str]:
    return ["".join(sents[i:i + per]) for i in range(0, len(sents), per)]


def _client(url):
    from gradio_client import Client
    return Client(url, verbose=False, download_files=tempfile.mkdtemp(prefix="kb-sources-test-"))

POLICY = """常州市科技企业奖励办法

第一章 总则

第一条 为鼓励企业创新，制定本办法。

第二条 本办法适用于在常州市注册的科技企业。

第二章 奖励标准

第三条 首次认定为高新技术企业的，奖励20万元。

第四条 再次认定为高新技术企业的，奖励10万元。
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    root = tmp_path_factory.mktemp("sources")
    files = root / "files"
    files.mkdir()
    mag = magazine_pdf.Magazine(files / "科技月刊.pdf", first_folio=12, header="《常州科技》 2023年第3期（总第171期）")
    mag.headline("科技招商工作新局面")
    mag.body(paragraphs_of(SENTENCES[:120]))
    mag.headline("常州高新区打造千亿级产业集群")
    mag.body(paragraphs_of(SENTENCES[120:190]))
    mag.save()
    (files / "奖励办法.txt").write_text(POLICY, encoding="utf-8")
    settings = load_settings(env={"KB_DATA_DIR": str(root / "data"), "KB_CORPUS_DIR": str(files)})
    kb = KnowledgeBase(settings, embedder=HashEmbedding())
    assert {e.status for e in kb.ingest([files])} == {"ok"}
    return kb, root


def _hit(kb, text):
    return next(h for h in kb.search(text, top_k=10) if text in h.text)


@pytest.mark.integration
def test_the_whole_article_is_put_back_with_the_quote_marked(library):
    kb, _ = library
    quote = SENTENCES[77]
    hit = _hit(kb, quote)
    view = sources.article(kb.catalog, hit.chunk_id, quote=quote)
    flat = view.text.replace("\n", "")
    assert all(s in flat for s in SENTENCES[:120]) and SENTENCES[130] not in flat      # this article, all of it
    (a, b), = view.marks
    assert view.text[a:b] == quote and view.is_pdf and view.article == "科技招商工作新局面"
    start = hit.text.index(quote)
    by_spans = sources.article(kb.catalog, hit.chunk_id, spans=((start, start + len(quote)),))
    assert by_spans.marks == view.marks


@pytest.mark.integration
def test_the_pdf_page_is_drawn_with_the_quoted_lines_boxed(library):
    import pdfplumber
    kb, root = library
    quote = SENTENCES[77]
    hit = _hit(kb, quote)
    page = sources.cited_page(kb.catalog, hit.chunk_id, quote)
    assert page.png[:8] == b"\x89PNG\r\n\x1a\n" and page.found and page.printed_page == hit.page
    assert page.page_number == hit.page - 11                      # folios start at 12 on the first page
    assert 1 <= len(page.boxes) <= 3
    with pdfplumber.open(root / "files" / "科技月刊.pdf") as pdf:
        pdf_page = pdf.pages[page.page_number - 1]
        boxed = "".join(re.sub(r"\s", "", pdf_page.within_bbox((x0 - 1, top - 1, x1 + 1, bottom + 1)).extract_text())
                        for x0, top, x1, bottom in page.boxes)
    assert re.sub(r"\s", "", quote) in boxed                      # the boxes hold the quote, little else
    assert len(boxed) < len(quote) + 40


@pytest.mark.integration
def test_a_quote_not_on_the_page_shows_the_cited_page_unmarked(library):
    kb, root = library
    page = sources.page_image(root / "files" / "科技月刊.pdf", 13, "这句话不在任何一页上出现过。")
    assert not page.found and page.boxes == () and page.png[:4] == b"\x89PNG"


@pytest.mark.integration
def test_policy_sections_and_the_original_file(library):
    kb, root = library
    hit = _hit(kb, "首次认定为高新技术企业的，奖励20万元。")
    assert "第三条" in hit.section
    view = sources.article(kb.catalog, hit.chunk_id, quote="奖励20万元")
    assert view.article == "第二章 奖励标准" and "第四条 再次认定" in view.text and not view.is_pdf   # its chapter
    assert "第一条" not in view.text and view.text[view.marks[0][0]:view.marks[0][1]] == "奖励20万元"
    assert sources.original_file(kb.catalog, hit.doc_id) == (root / "files" / "奖励办法.txt").resolve()
    with pytest.raises(KBError, match="不是 PDF"):
        sources.cited_page(kb.catalog, hit.chunk_id, "奖励20万元")
    with pytest.raises(KBError, match="不在知识库中"):
        sources.article(kb.catalog, "no-such-chunk")


@pytest.fixture(scope="module")
def served_sources(library):
    kb, _ = library
    with launch_app(kb) as url:
        yield kb, url


@pytest.mark.integration
def test_a_card_shows_the_section_and_opens_article_page_and_file(served_sources, tmp_path):
    from PIL import Image
    kb, url = served_sources
    client = _client(url)
    chat, cards, error, *_ = client.predict("首次认定为高新技术企业的奖励多少？", [], [], "", "", api_name="/ask")
    assert "20万元" in chat[-1]["content"][0]["text"]
    cited = kb.search("首次认定为高新技术企业的奖励多少？", top_k=1)[0]
    assert f"位置：{cited.section}" in cards and "第三条" in cards and "相关度" not in cards and 'data-open="1:1"' in cards
    article, image, download, message, *_ = client.predict("1:1", api_name="/source")
    assert "第四条 再次认定" in article and "<mark>" in article and image["visible"] is False      # not a PDF
    assert download["visible"] and Path(download["value"]).read_text(encoding="utf-8") == POLICY   # the original

    client.predict(SENTENCES[77], [], [], "", "", api_name="/ask")
    article, image, download, message, *_ = client.predict("2:1", api_name="/source")
    assert "<mark>" in article and "科技招商工作新局面" in article and message.endswith('"></div>')
    assert image["visible"] and "红框为引用的句子" in image["label"] and Image.open(image["value"]).size[0] > 500
    assert Path(download["value"]).read_bytes()[:5] == b"%PDF-"
    _, _, _, message, *_ = client.predict("9:1", api_name="/source")
    assert "找不到这条引用" in message


@pytest.mark.unit
def test_markup_in_an_article_is_shown_as_text():
    from ui.source_view import article_html
    text = '<script>alert(1)</script>首次认定<img src=x onerror="alert(2)">奖励20万元。'
    view = sources.ArticleView("d.txt", "<b>汇编</b>", "第二章", "第三条", text, ((25, 29),), None, "d.txt", False)
    shown = article_html(view)
    assert not re.search(r"<\s*(script|img|b>)", shown) and "&lt;script&gt;" in shown and "&lt;b&gt;汇编" in shown
    assert "<mark>" in shown
