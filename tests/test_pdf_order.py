"""PDF reading order on layouts other producers make: the three causes the bureau found, then whole fixtures
from reportlab (set differently from our own generator), headless Chromium and LibreOffice.

The first tests lay out glyphs directly (no PDF), so each cause is pinned down exactly; the fixture tests
score sentences whole and in order (longest increasing chain) against the text each PDF was made from.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pdf_layout import Glyph, Line, read_page

BODY = 10.0


def _glyphs(text: str, x: float, top: float, size: float = BODY) -> list[Glyph]:
    """A line of text as glyph boxes: CJK one em wide, Latin letters about half."""
    out = []
    for ch in text:
        w = 0.55 * size if ch.isascii() else size
        out.append(Glyph(ch, x, x + w, top, top + size, size))
        x += w
    return out


def _column(lines: list[str], x: float, top: float, leading: float = 15.0) -> list[Glyph]:
    return [g for n, t in enumerate(lines) for g in _glyphs(t, x, top + n * leading)]


def _text(items) -> str:
    return "".join(i.text for i in items if isinstance(i, Line))


def _lines(prefix: str, n: int, width: int = 20, short: tuple[int, ...] = ()) -> list[str]:
    """n distinct lines of `width` characters; those in `short` end three characters early (ragged right)."""
    body = "".join(f"{prefix}第{k}句话讲科技创新与产业融合。" for k in range(n * 2))
    out, pos = [], 0
    for k in range(n):
        w = width - 3 if k in short else width
        out.append(body[pos:pos + w])
        pos += w
    return out


@pytest.mark.unit
def test_ragged_edge_hanging_stop_and_overflowing_word_stay_in_their_column():
    """Cause 1: a ragged left column whose longest lines reach into the gutter (a hanging 。, an unbreakable
    ChatGPT) is still read column by column; no band is cut at those lines."""
    left = _lines("甲", 14, short=(1, 2, 4, 6, 7, 9, 11))
    left[3] = left[3][:-1] + "。"                             # hangs: one em past the measure below
    left[5] = left[5][:17] + "ChatGPT"                       # 17 em + 3.85 em: overflows by 0.85 em
    left[8] = left[8][:20] + "、"                            # a squeezed 、 past the measure
    right = _lines("乙", 14, short=(0, 3, 5, 8, 12))
    gutter = 14.0
    glyphs = _column(left, 50, 100) + _column(right, 50 + 200 + gutter, 100)
    out = read_page(glyphs, [], BODY)
    assert _text(out) == "".join(left) + "".join(right)


@pytest.mark.unit
def test_columns_with_baselines_offset_by_half_a_line():
    """Cause 2: no two lines of the two columns share a baseline; the columns are still found."""
    left = _lines("甲", 12)
    right = _lines("乙", 12)
    glyphs = _column(left, 50, 100) + _column(right, 50 + 200 + 14, 107.5)
    assert _text(read_page(glyphs, [], BODY)) == "".join(left) + "".join(right)


@pytest.mark.unit
def test_short_offset_columns_at_an_articles_end():
    """Cause 2 at an article's end: three lines in the left column, two beside them half a line lower."""
    left, right = _lines("甲", 3), _lines("乙", 2)
    glyphs = _column(left, 50, 100) + _column(right, 50 + 200 + 14, 107.5)
    assert _text(read_page(glyphs, [], BODY)) == "".join(left) + "".join(right)


@pytest.mark.unit
def test_article_tail_carried_to_the_next_page_top():
    """Two lines left and one right at the top of a page (an article's end), then a headline and a
    single-column article: the tail is still read column by column."""
    left, right = _lines("甲", 2), _lines("乙", 1)
    glyphs = _column(left, 50, 80) + _column(right, 50 + 214, 80)
    title = "常州加快建设长三角科技创新高地"
    glyphs += _glyphs(title, 50, 125, 18)
    body = _lines("丙", 10, 42)
    glyphs += _column(body, 50, 160)
    expected = "".join(left) + "".join(right) + title + "".join(body)
    assert _text(read_page(glyphs, [], BODY)) == expected


@pytest.mark.unit
@pytest.mark.parametrize("headline", [True, False])
def test_three_columns_above_two_on_one_page(headline):
    """Cause 3: a three-column article ends above a two-column one (with or without a headline between);
    each part finds its own columns."""
    width3, width2, gutter = 13, 20, 14.0
    cols3 = [_lines(p, 8, width3) for p in ("甲", "乙", "丙")]
    glyphs = [g for n, c in enumerate(cols3) for g in _column(c, 50 + n * (width3 * BODY + gutter), 100)]
    y = 100 + 8 * 15 + 14
    title = "常州高新区打造千亿级产业集群新高地"
    if headline:
        glyphs += _glyphs(title, 50, y, 18)
        y += 30
    cols2 = [_lines(p, 10, width2) for p in ("丁", "戊")]
    glyphs += [g for n, c in enumerate(cols2) for g in _column(c, 50 + n * (width2 * BODY + gutter), y)]
    expected = "".join("".join(c) for c in cols3) + (title if headline else "") + "".join("".join(c) for c in cols2)
    assert _text(read_page(glyphs, [], BODY)) == expected


@pytest.mark.unit
def test_full_width_deck_between_column_parts_cuts_a_band():
    """A true full-width element (a one-line deck in a larger size) between two column parts is a band of its own."""
    top = [_lines(p, 6) for p in ("甲", "乙")]
    glyphs = [g for n, c in enumerate(top) for g in _column(c, 50 + n * 214, 100)]
    deck = "导语：" + "常州持续强化创新链与产业链对接" * 2
    glyphs += _glyphs(deck, 50, 100 + 6 * 15 + 8, 12)
    below = [_lines(p, 6) for p in ("丙", "丁")]
    glyphs += [g for n, c in enumerate(below) for g in _column(c, 50 + n * 214, 100 + 6 * 15 + 30)]
    expected = "".join("".join(c) for c in top) + deck + "".join("".join(c) for c in below)
    assert _text(read_page(glyphs, [], BODY)) == expected


@pytest.mark.unit
def test_numbered_list_is_not_two_columns():
    """Numbers set apart from their items (a white strip with text on both sides) do not make a column."""
    items = [f"{k}." for k in range(1, 9)]
    texts = _lines("项", 8, 30)
    glyphs = [g for k in range(8) for g in _glyphs(items[k], 50, 100 + k * 15) + _glyphs(texts[k], 80, 100 + k * 15)]
    out = [i.text.replace(" ", "") for i in read_page(glyphs, [], BODY)]
    assert out == [items[k] + texts[k] for k in range(8)]


# -- whole fixtures: several producers -------------------------------------------------------------------------

BAR_WHOLE, BAR_ORDER = 0.98, 0.97


def _check(name: str, tmp_path: Path):
    pytest.importorskip("reportlab")
    from bench import pdf_order
    try:
        fx = pdf_order.build(name, tmp_path)
    except pdf_order.Skip as why:
        pytest.skip(str(why))
    text = pdf_order.reading_text(fx.path)
    s = pdf_order.score(text, fx.truth)
    assert s.total > 50
    assert s.whole_share >= BAR_WHOLE, f"{name}: not whole: {list(s.missing[:5])}"
    assert s.order_share >= BAR_ORDER, f"{name}: out of order: {list(s.displaced[:5])}"
    assert pdf_order.furniture_left(text, fx.furniture) == []
    assert pdf_order.rows_broken(text, fx.table_rows) == []
    return fx, text


@pytest.mark.unit
@pytest.mark.parametrize("name", ["reportlab-own", "reportlab-ragged", "reportlab-offset", "reportlab-mixed"])
def test_reportlab_fixtures_reading_order(name, tmp_path):
    _check(name, tmp_path)


@pytest.mark.unit
@pytest.mark.parametrize("seed", [3, 12, 32])
def test_random_layouts_reading_order(seed, tmp_path):
    """Issues set at random (columns, gutters, ragged/hanging, offsets, photos): three of the seeds."""
    _check(f"random-{seed}", tmp_path)


@pytest.mark.unit
def test_mixed_fixture_folios_from_outer_corners(tmp_path):
    """Mirrored running headers and page numbers in the outer corner: gone from the text, folios kept."""
    from ingest.pdf import read_pdf
    fx, text = _check("reportlab-mixed", tmp_path)
    raw = read_pdf(fx.path.read_bytes(), fx.path.name)
    assert [p for _, p in raw.page_starts] == list(range(22, 22 + len(raw.page_starts)))
    assert "创新前沿" not in text and "《常州科技》" not in text


@pytest.mark.integration
@pytest.mark.slow
def test_chromium_css_columns_reading_order(tmp_path):
    _check("chromium-columns", tmp_path)


@pytest.mark.integration
@pytest.mark.slow
def test_libreoffice_docx_column_sections_reading_order(tmp_path):
    pytest.importorskip("docx")
    _check("libreoffice-docx", tmp_path)


@pytest.mark.unit
def test_score_lists_displaced_and_missing_sentences():
    from bench.pdf_order import score
    truth = ["第一句。第二句。第三句。", "第四句。"]
    s = score("第一句。第三句。第二句。第四", truth)
    assert (s.total, s.whole, s.in_order) == (4, 3, 2)
    assert s.missing == ("第四句。",) and s.displaced in (("第二句。",), ("第三句。",))
