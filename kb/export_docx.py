"""Word export in the customary layout of a Chinese official reply (GB/T 9704-2012 《党政机关公文格式》).

A4 with the standard type area (156 × 225 mm: top 37 mm, inside 28 mm), title in 2号小标宋 centred, body in
3号仿宋 with a two-character indent and 22 lines a page, first-level headings 黑体 (一、), second-level 楷体,
page numbers “— 1 —” in 4号宋体 (odd pages right, even pages left). Fonts are named, never embedded: the
computer that opens the file supplies them (each has an alternative named in the font table for machines
without it). Text goes in as text; nothing a question or a passage holds can become markup in the file.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from .answer import Answer
from .references import Reference, references, remarks

# Characters XML 1.0 cannot hold (python-docx would raise on them): control codes, lone surrogates, U+FFFE/F.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_THINKING = re.compile(r"<think>.*?(</think>|$)", re.S)
_EMPHASIS = re.compile(r"(\*\*|__|`)(.+?)\1", re.S)
_LINE_MARK = re.compile(r"^\s*(#{1,6}\s+|[-*+]\s+|>\s*)", re.M)
CN_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class Layout:
    """GB/T 9704-2012 measures (mm, pt) and the fonts it names; alternatives for machines without them."""
    top_mm: float = 37.0
    bottom_mm: float = 35.0
    inside_mm: float = 28.0
    outside_mm: float = 26.0
    line_twips: int = 579             # 225 mm / 22 lines = 28.95 pt
    title_pt: float = 22.0            # 2号
    body_pt: float = 16.0             # 3号
    page_number_pt: float = 14.0      # 4号
    title_font: str = "方正小标宋简体"
    body_font: str = "仿宋"
    heading_font: str = "黑体"
    subheading_font: str = "楷体"
    page_number_font: str = "宋体"
    latin_font: str = "Times New Roman"
    author: str = "常州科技知识库"


GB9704 = Layout()
ALTERNATIVES = {"方正小标宋简体": "宋体", "仿宋": "仿宋_GB2312", "黑体": "SimHei", "楷体": "楷体_GB2312",
                "宋体": "SimSun"}


def xml_text(text: str) -> str:
    return _NOT_XML.sub("", text or "")


def plain_answer(text: str) -> str:
    """The answer as a civil servant would type it: no model scratchpad, no Markdown emphasis, headings or list
    marks; the [n] markers that point into 参考资料 stay."""
    text = _THINKING.sub("", text or "")
    text = _EMPHASIS.sub(r"\2", text)
    return xml_text(_LINE_MARK.sub("", text)).strip()


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 25 → 二十五 (enough for the questions of one export)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    if tens >= 10:
        return str(n)
    return (CN_DIGITS[tens] if tens > 1 else "") + "十" + (CN_DIGITS[ones] if ones else "")


# -- low-level formatting ---------------------------------------------------------
def _fonts(element, east_asian: str, latin: str) -> None:
    """Name the fonts on a run or style, dropping theme fonts (which would win over named ones)."""
    from docx.oxml.ns import qn
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        if attr.lower().endswith("theme"):
            del fonts.attrib[attr]
    for key, value in (("w:eastAsia", east_asian), ("w:ascii", latin), ("w:hAnsi", latin), ("w:cs", latin)):
        fonts.set(qn(key), value)


def _style(doc, name: str, font: str, size: float, layout: Layout, bold: bool = False, indent: bool = True,
           centred: bool = False, line_twips: int | None = None):
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Pt, RGBColor, Twips
    style = doc.styles[name]
    _fonts(style.element, font, layout.latin_font)
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    fmt = style.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Twips(line_twips or layout.line_twips)
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.first_line_indent = Pt(size * 2) if indent else Pt(0)
    fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER if centred else WD_ALIGN_PARAGRAPH.JUSTIFY
    _drop_borders(style.element)
    return style


def _drop_borders(style_element) -> None:
    """The template's Title has a blue rule under it; an official document has none."""
    from docx.oxml.ns import qn
    ppr = style_element.find(qn("w:pPr"))
    if ppr is not None:
        for border in ppr.findall(qn("w:pBdr")):
            ppr.remove(border)


def _page(section, layout: Layout) -> None:
    from docx.shared import Mm
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(layout.top_mm), Mm(layout.bottom_mm)
    section.left_margin, section.right_margin = Mm(layout.inside_mm), Mm(layout.outside_mm)


def _page_number(footer, layout: Layout, right: bool) -> None:
    """“— N —” with a PAGE field, one character in from the outside edge."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt
    para = footer.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.LEFT
    para.paragraph_format.first_line_indent = Pt(0)
    if right:
        para.paragraph_format.right_indent = Pt(layout.page_number_pt)
    else:
        para.paragraph_format.left_indent = Pt(layout.page_number_pt)

    def run(text: str = ""):
        r = para.add_run(text)
        r.font.size = Pt(layout.page_number_pt)
        _fonts(r._r, layout.page_number_font, layout.page_number_font)
        return r

    run("— ")
    for kind, instruction in (("begin", None), (None, " PAGE "), ("end", None)):
        r = run()
        if kind:
            mark = OxmlElement("w:fldChar")
            mark.set(qn("w:fldCharType"), kind)
            r._r.append(mark)
        else:
            code = OxmlElement("w:instrText")
            code.set(qn("xml:space"), "preserve")
            code.text = instruction
            r._r.append(code)
    run(" —")


def _font_table(doc, layout: Layout) -> None:
    """Declare the named fonts with their GB2312 charset and an alternative, so Word substitutes sensibly."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml
    part = next((r.target_part for r in doc.part.rels.values() if r.reltype == RT.FONT_TABLE), None)
    if part is None:
        return
    root = parse_xml(part.blob)
    ns = root.nsmap["w"]
    have = {el.get(f"{{{ns}}}name") for el in root}
    for name in (layout.title_font, layout.body_font, layout.heading_font, layout.subheading_font,
                 layout.page_number_font):
        if name in have:
            continue
        font = root.makeelement(f"{{{ns}}}font", {f"{{{ns}}}name": name})
        for tag, value in (("altName", ALTERNATIVES.get(name, "宋体")), ("charset", "86"), ("family", "auto"),
                           ("pitch", "variable")):
            font.append(root.makeelement(f"{{{ns}}}{tag}", {f"{{{ns}}}val": value}))
        root.append(font)
        have.add(name)
    from lxml import etree
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _properties(doc, title: str, subject: str, exported: datetime, layout: Layout) -> None:
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    props = doc.core_properties
    props.title, props.subject = title, xml_text(subject)[:200]
    props.author = props.last_modified_by = layout.author
    props.comments = "由常州科技知识库导出：回答及其参考资料（文档、期号、日期、文章、页码和原文）"
    props.keywords, props.category = "问答；参考资料", "问答导出"
    props.language, props.revision = "zh-CN", 1
    props.created = props.modified = exported
    package = doc.part.package       # the template's thumbnail shows an empty English page
    for rid, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del package.rels[rid]


# -- content ------------------------------------------------------------------
def _para(doc, text: str, style: str = "Normal", indent: bool = True):
    from docx.shared import Pt
    para = doc.add_paragraph(xml_text(text), style=style)
    if not indent:
        para.paragraph_format.first_line_indent = Pt(0)
    return para


def _reference(doc, ref: Reference, layout: Layout) -> None:
    from docx.shared import Pt
    _para(doc, f"[{ref.n}] {ref.place()}")
    quote = _para(doc, f"原文：“{ref.quote}”")
    quote.paragraph_format.left_indent = Pt(layout.body_pt * 2)
    quote.paragraph_format.first_line_indent = Pt(0)


def _pair(doc, i: int, question: str, answer: Answer, layout: Layout) -> None:
    doc.add_heading(xml_text(f"{cn_number(i)}、{question.strip()}"), level=1)
    for line in plain_answer(answer.text).splitlines() or [""]:
        if line.strip():
            _para(doc, line.strip())
    for remark in remarks(answer):
        _para(doc, f"注：{remark}")
    refs = references(answer)
    if refs:
        doc.add_heading("参考资料" if refs[0].cited else "可能相关的资料（未找到可直接回答的内容）", level=2)
        for ref in refs:
            _reference(doc, ref, layout)


def official_docx(pairs: Sequence[tuple[str, Answer]], exported_at: str, title: str,
                  layout: Layout = GB9704) -> bytes:
    """pairs: (question, answer); exported_at: the time line shown at the end, as the other formats write it."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    doc = Document()
    _page(doc.sections[0], layout)
    _style(doc, "Normal", layout.body_font, layout.body_pt, layout)
    _style(doc, "Title", layout.title_font, layout.title_pt, layout, indent=False, centred=True,
           line_twips=int(layout.title_pt * 1.5 * 20))
    _style(doc, "Heading 1", layout.heading_font, layout.body_pt, layout)
    _style(doc, "Heading 2", layout.subheading_font, layout.body_pt, layout)
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(doc.sections[0].footer, layout, right=True)
    _page_number(doc.sections[0].even_page_footer, layout, right=False)
    _font_table(doc, layout)
    _properties(doc, title, pairs[0][0] if pairs else "", datetime.strptime(exported_at, "%Y-%m-%d %H:%M:%S"),
                layout)

    doc.add_paragraph(title, style="Title")
    _para(doc, "")                                   # GB/T 9704: one blank line between title and body
    for i, (question, answer) in enumerate(pairs, start=1):
        _pair(doc, i, question, answer, layout)
    _para(doc, "")
    for line in (layout.author, f"导出时间：{exported_at}"):
        _para(doc, line, indent=False).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
