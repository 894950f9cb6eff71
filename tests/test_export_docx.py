"""The exports a civil servant files: the DOCX in the GB/T 9704 layout, and the same 参考资料 in Markdown and JSON."""
from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime

import docx
import pytest
from docx.shared import Pt

from kb.answer import Answer, Citation
from kb.export import references, to_docx, to_json, to_markdown
from kb.export_docx import cn_number, plain_answer
from kb.retrieve import Hit

pytestmark = pytest.mark.unit

WHEN = datetime(2024, 5, 6, 7, 8, 9)
EVIL = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def _hit(text: str, **kw) -> Hit:
    base = dict(rank=1, chunk_id="c1", text=text, score=1.3, doc_id="政策.txt", title="常州市科技创新政策汇编",
                source="政策.txt", date="2023-06", article="关于高新技术企业的奖励办法", section="第一章 总则 › 第三条",
                page=7, publication="", issue="2023年第2辑", kind="policy")
    return Hit(**{**base, **kw})


def _pairs(question: str = "首次认定高企奖励多少？", passage: str = "首次认定为高新技术企业的，奖励20万元。"):
    hit = _hit(passage)
    cited = Answer(question, "首次认定为高新技术企业的，奖励**20万元**[1]。", True,
                   (Citation(1, hit, passage, ((0, len(passage)),)),))
    refused = Answer("火星基地在哪里？", "资料中未找到相关内容。", False, related=(_hit("无关段落", chunk_id="c2"),))
    return [(question, cited), ("火星基地在哪里？", refused)]


def _parts(blob: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return {n: z.read(n).decode("utf-8", "replace") for n in z.namelist()}


def test_docx_page_fonts_and_headings_follow_gb9704():
    blob = to_docx(_pairs(), WHEN)
    doc = docx.Document(io.BytesIO(blob))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)        # A4 (twips)
    assert [round(x.mm) for x in (section.top_margin, section.bottom_margin, section.left_margin,
                                  section.right_margin)] == [37, 35, 28, 26]
    styles = _parts(blob)["word/styles.xml"]

    def style(style_id):
        return re.search(rf'<w:style [^>]*w:styleId="{style_id}".*?</w:style>', styles, re.S).group(0)

    for style_id, font, half_points in (("Normal", "仿宋", 32), ("Title", "方正小标宋简体", 44),
                                        ("Heading1", "黑体", 32), ("Heading2", "楷体", 32)):
        xml = style(style_id)
        assert f'w:eastAsia="{font}"' in xml and f'<w:sz w:val="{half_points}"/>' in xml, style_id
        assert "theme" not in xml.lower() and 'w:color w:val="000000"' in xml, style_id   # no blue theme look
    assert doc.styles["Normal"].paragraph_format.first_line_indent == Pt(32)         # two characters
    kinds = [(p.style.name, p.text) for p in doc.paragraphs if p.text]
    assert kinds[0] == ("Title", "常州科技知识库 · 问答导出")
    assert ("Heading 1", "一、首次认定高企奖励多少？") in kinds and ("Heading 2", "参考资料") in kinds
    assert ("Heading 1", "二、火星基地在哪里？") in kinds
    footers = _parts(blob)
    assert any("PAGE" in xml and "— " in xml for name, xml in footers.items() if name.startswith("word/footer"))


def test_docx_names_fonts_without_embedding_and_has_chinese_properties():
    blob = to_docx(_pairs(), WHEN)
    parts = _parts(blob)
    assert not any(n.startswith("word/fonts/") for n in parts) and "embedTrueTypeFonts" not in parts["word/settings.xml"]
    assert all(f'w:name="{f}"' in parts["word/fontTable.xml"] for f in ("方正小标宋简体", "仿宋", "黑体", "楷体"))
    assert not any("python-docx" in xml for xml in parts.values())
    props = docx.Document(io.BytesIO(blob)).core_properties
    assert props.author == "常州科技知识库" and props.last_modified_by == "常州科技知识库"
    assert props.title == "常州科技知识库 · 问答导出" and props.subject == "首次认定高企奖励多少？"
    assert props.language == "zh-CN" and "参考资料" in props.comments
    assert "docProps/thumbnail.jpeg" not in parts["_rels/.rels"]


def test_docx_answer_is_plain_and_references_hold_every_field():
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(to_docx(_pairs(), WHEN))).paragraphs)
    assert "首次认定为高新技术企业的，奖励20万元[1]。" in text and "**" not in text
    line = "[1] 常州市科技创新政策汇编 · 2023年第2辑 · 2023-06 · 关于高新技术企业的奖励办法 · 第一章 总则 › 第三条 · 第7页"
    assert line in text and "原文：“首次认定为高新技术企业的，奖励20万元。”" in text
    assert "可能相关的资料" in text and "无关段落" in text and "导出时间：2024-05-06 07:08:09" in text


def test_markdown_and_json_carry_the_same_references():
    pairs = _pairs()
    refs = references(pairs[0][1])
    assert [(r.n, r.section, r.page, r.cited) for r in refs] == [(1, "第一章 总则 › 第三条", 7, True)]
    md = to_markdown(pairs, WHEN)
    data = json.loads(to_json(pairs, WHEN))
    docx_text = "\n".join(p.text for p in docx.Document(io.BytesIO(to_docx(pairs, WHEN))).paragraphs)
    for ref in refs:
        assert f"[{ref.n}] {ref.place()}" in md and f"[{ref.n}] {ref.place()}" in docx_text
        assert f"> {ref.quote}" in md and ref.quote in docx_text
    assert "**参考资料：**" in md and "**可能相关：**" in md
    first = data["items"][0]["references"][0]
    assert first == refs[0].to_json() and first["section"] == "第一章 总则 › 第三条" and first["issue"] == "2023年第2辑"
    assert data["items"][1]["references"][0]["cited"] is False


def test_markup_in_question_and_passage_is_text_in_every_export():
    pairs = _pairs(question=EVIL + "高企奖励多少？", passage=EVIL + "首次认定的奖励20万元。")
    parts = _parts(to_docx(pairs, WHEN))
    body = parts["word/document.xml"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and not re.search(r"<\s*(script|img)", body, re.I)
    assert not any(re.search(r"<\s*(script|img)", xml, re.I) for xml in parts.values())
    md = to_markdown(pairs, WHEN)
    assert not re.search(r"<\s*(script|img)", md, re.I) and md.count("&lt;script&gt;") == 2     # question, quote
    raw = to_json(pairs, WHEN)
    assert "<" not in raw and json.loads(raw)["items"][0]["references"][0]["quote"].startswith(EVIL)


def test_characters_xml_cannot_hold_are_dropped_not_fatal():
    pairs = _pairs(question="高企\x00奖励\x0b多少？", passage="奖励\x0c20万元。")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(to_docx(pairs, WHEN))).paragraphs)
    assert "一、高企奖励多少？" in text and "奖励20万元" in text


def test_plain_answer_and_numbering():
    assert plain_answer("<think>草稿</think>## 结论\n- **20万元**[1]\n`代码`") == "结论\n20万元[1]\n代码"
    assert [cn_number(n) for n in (1, 9, 10, 12, 20, 25)] == ["一", "九", "十", "十二", "二十", "二十五"]
