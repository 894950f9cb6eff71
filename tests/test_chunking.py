import re

import pytest

from ingest import chunk_document, parse_file
from ingest.chunking import pack, split_sentences

from conftest import CORPUS

pytestmark = pytest.mark.unit


def test_sentences_split_on_chinese_terminators():
    text = "第一句。第二句！第三句？第四句；第五句\n第六句"
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == ["第一句。", "第二句！", "第三句？", "第四句；", "第五句\n", "第六句"]


def test_pack_never_cuts_inside_a_sentence_and_respects_size():
    text = "".join(f"这是第{i}个句子，内容用于测试分块。" for i in range(40))
    spans = split_sentences(text)
    ends = {b for _, b in spans}
    starts = {a for a, _ in spans}
    windows = pack(text, spans, size=100, overlap=30)
    assert all(b - a <= 100 for a, b in windows)
    assert all(a in starts and b in ends for a, b in windows)
    assert windows[0][0] == 0 and windows[-1][1] == len(text)
    # consecutive windows overlap by whole sentences
    assert any(windows[i + 1][0] < windows[i][1] for i in range(len(windows) - 1))


def test_long_sentence_is_cut_at_commas():
    text = "，".join(["很长的分句内容"] * 60) + "。"
    windows = pack(text, split_sentences(text), size=100, overlap=0)
    assert len(windows) > 1 and all(b - a <= 100 for a, b in windows)


def test_corpus_chunks_carry_metadata_and_offsets():
    doc = parse_file(CORPUS / "changzhou-keji-2020-11.txt")
    chunks = chunk_document(doc, size=300, overlap=60)
    assert doc.meta.issue.startswith("2020年第11期") and doc.meta.kind == "magazine"
    assert len(doc.articles) > 20
    for c in chunks:
        assert doc.text[c.start:c.end].strip() == c.text
        assert len(c.text) <= 300
        assert c.article and c.doc_id == "changzhou-keji-2020-11.txt"
    titles = {c.article for c in chunks}
    assert "全市科技创新能力取得进一步提升" in titles


def test_chunk_ids_stable_and_unique():
    doc = parse_file(CORPUS / "keji-gaige-huibian.txt")
    a = [c.chunk_id for c in chunk_document(doc, 300, 60)]
    b = [c.chunk_id for c in chunk_document(parse_file(CORPUS / "keji-gaige-huibian.txt"), 300, 60)]
    assert a == b and len(set(a)) == len(a)


def test_hard_wraps_in_compilation_are_undone():
    doc = parse_file(CORPUS / "keji-gaige-huibian.txt")
    assert "把科技自立自强作为国家发展的战略支撑" in doc.text
    assert not re.search(r"—\s*\d+\s*—", doc.text)


def test_recurring_headings_are_sections_that_close_the_numbered_items_under_them(tmp_path):
    chapter = ("{n}、{name}专题\n\n一、改革举措\n\n1. 建立{name}机制。\n\n{name}出台了支持政策，给予企业奖励。\n\n"
               "二、主要成效\n\n{name}的成效显著，新增企业{k}家。\n\n")
    path = tmp_path / "huibian.txt"
    path.write_text("".join(chapter.format(n=n, name=name, k=k) for n, name, k in
                            [("一", "金坛", 12), ("二", "钟楼", 15), ("三", "科教城", 20)]), encoding="utf-8")
    chunks = chunk_document(parse_file(path), size=60, overlap=0)
    assert [c.article for c in chunks if "成效显著" in c.text] == ["一、金坛专题", "二、钟楼专题", "三、科教城专题"]
    # 1. 建立…机制 belongs under 一、改革举措 and is closed by 二、主要成效
    assert all(c.section == "二、主要成效" for c in chunks if "成效显著" in c.text)
    assert any(c.section == "一、改革举措 › 1. 建立钟楼机制。" for c in chunks)
