"""Figures in passages as claims: a value with its unit, what it measures, whose it is, and when.

孵化器128家（国家级25家） holds two claims: 128 家 of 孵化器, and 25 家 of 孵化器·国家级 (a figure in brackets or after
其中 is a part of the figure before it). 共有154家市以上孵化器 measures what follows the figure. The subject is the
place or body the sentence names before the figure (常州高新区, 溧阳, 该公司), else the city itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .dated import fact_date, is_target, sentence_span
from .retrieve import Hit
from .verify import chinese_number

_UNITS = ("平方公里|平方米|人次|家次|美元|元|%|％|家|个|项|人|名|位|件|所|座|篇|批|台|套|条|倍|亩|年|届|期|款|只|户|支")
_FIGURE = re.compile(r"(?<![\d.])(\d+(?:,\d{3})*(?:\.\d+)?|[一二两三四五六七八九十百千]+)\s*(万亿|千万|百万|万|亿|千)?\s*"
                     r"(" + _UNITS + r")")
_MULT = {"": 1, "千": 10**3, "万": 10**4, "百万": 10**6, "千万": 10**7, "亿": 10**8, "万亿": 10**12}
_BOUNDARY = re.compile(r"[，,；;。：:、（(）)！？\n]")
_PART_OPEN = re.compile(r"[（(]\s*$|其中\s*$")
# Words around a figure that say how it is reported, not what it measures.
FILLER_WORDS = ("截至目前", "截至", "截止", "目前", "现有", "全市", "我市", "常州市", "常州", "共有", "共计", "总共",
                "拥有", "建有", "建成", "累计", "已有", "有", "达到", "达", "超过", "突破", "实现", "为", "是", "约", "近",
                "逾", "其中", "分别", "同比", "较", "的")
_FILLER = re.compile("^(?:" + "|".join(FILLER_WORDS) + ")+")
_PLACES = re.compile(r"常州高新区|高新区|新北区?|武进区?|天宁区?|钟楼区?|金坛区?|溧阳市?|经开区|科教城|西太湖|"
                     r"该(?:公司|企业|孵化器|园区|基地|中心|平台|院|校|项目|区|市|镇)|[\u4e00-\u9fff]{2,12}(?:公司|集团|研究院|大学|学院)")
# 全区 with no place named: a district's figure (the one the article is about), not the city's.
_DISTRICT_WIDE = re.compile(r"全区|该区|区内|全县")
CITY = "常州"


@dataclass(frozen=True)
class Claim:
    hit: Hit
    start: int               # the figure's span in hit.text
    end: int
    value: str               # canonical number: 20万元 and 200000元 both "200000"
    unit: str                # 元 家 % 年 …
    measure: str             # what it counts, as written around it (孵化器·国家级)
    subject: str             # 常州 unless the sentence names another place or body before the figure
    date: str                # the fact's date (kb.dated)
    dated_by_sentence: bool
    target: bool             # a plan or goal, not a reported figure
    part: str = ""           # for a part of the figure before it (国家级25家 in 孵化器128家（国家级25家）): its own label

    @property
    def surface(self) -> str:
        return self.hit.text[self.start:self.end]


def _value(number: str, mult: str) -> str | None:
    if number[0].isdigit():
        try:
            value = Decimal(number.replace(",", ""))
        except InvalidOperation:
            return None
    else:
        n = chinese_number(number)
        if n is None or not re.search("[一二两三四五六七八九十]", number):
            return None
        value = Decimal(n)
    return format((value * _MULT[mult]).normalize(), "f")


# A time inside a label (比重从2015年的2.65%…) says when, not what is measured.
_TIME_IN_LABEL = re.compile(r"(?:从|由|在|到|至|于)?(?:19|20)\d{2}\s*年(?:底|末|度)?的?|(?:今年|去年|上半年|前三季度)的?")


def _clean(label: str) -> str:
    label = _TIME_IN_LABEL.sub("", re.sub(r"\s+", "", label))
    return _FILLER.sub("", label)


def _after(text: str, end: int) -> str:
    """What a figure before its noun counts: 154家市以上孵化器 → 市以上孵化器."""
    m = _BOUNDARY.search(text, end)
    tail = text[end:m.start() if m else len(text)]
    if _FIGURE.search(tail):
        tail = tail[:_FIGURE.search(tail).start()]
    return tail if len(tail) <= 16 and not re.match(r"\s*[的以]?(?:左右|以上|以下)?$", tail) else tail[:16]


def _previous_clause(text: str, cut: int) -> str:
    """The clause that ends where a figure's own clause starts (up to 20 characters of it)."""
    if cut <= 0 or text[cut - 1] not in "，,":
        return ""
    starts = [x.end() for x in _BOUNDARY.finditer(text, max(0, cut - 40), cut - 1)]
    return text[(starts[-1] if starts else max(0, cut - 21)):cut - 1][-20:]


def _subject(text: str, sentence_start: int, pos: int, article: str = "") -> str:
    """Whose figure text[pos] is: a place or body named in its own clause, else at the head of its sentence
    (常州高新区建有…37家; 2019年，常州高新区地区生产总值…), else the article's place where the sentence says 全区,
    else the city. Places in the clauses between (位居江苏省前列) are comparisons, not subjects."""
    head_end = _BOUNDARY.search(text, sentence_start, pos)
    cut = max([x.end() for x in _BOUNDARY.finditer(text, sentence_start, pos)] + [sentence_start])
    own = text[cut:pos]
    head = text[sentence_start:head_end.end()] if head_end else ""
    found = _PLACES.findall(own) or _PLACES.findall(head)
    if not found and _DISTRICT_WIDE.search(text[sentence_start:pos]):
        found = _PLACES.findall(article or "") or ["区"]
    return place_name(found[-1]) if found else CITY


def place_name(place: str) -> str:
    """One name per place: 常州高新区 and 高新区 → 高新区, 武进区 → 武进, 溧阳市 → 溧阳."""
    return "高新区" if place.endswith("高新区") else (place.rstrip("区市省") or place)


def question_subject(question: str) -> str:
    found = _PLACES.findall(question)
    return place_name(found[0]) if found else CITY


def passage_claims(hit: Hit) -> list[Claim]:
    """Every figure of a passage that is a count, an amount or a share (not a date), as a claim."""
    text, out = hit.text, []
    parent, parent_subject = "", CITY     # the figure a bracket or 其中 continues
    in_parts = False
    last_end = 0
    for m in _FIGURE.finditer(text):
        number, mult, unit = m.group(1), m.group(2) or "", m.group(3)
        if unit == "年" and (len(number) == 4 or not re.search(r"连续\s*$|近\s*$", text[max(0, m.start() - 3):m.start()])):
            continue        # 2022年 is a date, 用3年时间 a length; 连续9年 is a count
        before_char = text[max(0, m.start() - 1):m.start()]
        if before_char == "第" or (before_char in "数几上" and not number[0].isdigit()):
            continue        # 第3批, 总第155期: an ordinal; 数十项, 几十家, 上百人: no figure
        value = _value(number, mult)
        if value is None:
            continue
        b = _BOUNDARY.finditer(text, 0, m.start())
        cut = max([x.end() for x in b] + [last_end])
        before, after = text[cut:m.start()], ""
        own = _clean(before)
        if len(own) < 3 or own == "其中":      # 连续14年举办“5·18”展洽会: what is counted follows
            after = _clean(_after(text, m.end()))
        # 地区生产总值跨过两个千亿元台阶，达7805亿元: what a bare 达… figure measures is the clause before.
        label = (own + after) or _clean(_FIGURE.sub("", _previous_clause(text, cut)))
        opens = bool(_PART_OPEN.search(text[max(0, cut - 3):cut])) or text[cut:m.start()].strip().startswith("其中")
        # 其中国家级孵化器33家、省级孵化器34家: the list after 其中 goes on with parts.
        part_of_previous = opens or (in_parts and text[cut - 1:cut] == "、")
        in_parts = part_of_previous
        is_part = part_of_previous and bool(parent)
        measure = f"{parent}·{label}" if is_part else label
        last_end = m.end()
        if not measure:
            continue
        s, _ = sentence_span(text, m.start())
        s = max([s] + [i + 1 for i in (text.rfind(c, s, m.start()) for c in "；;") if i >= 0])
        # A part is its whole's: 常州高新区建有孵化器37家（国家级6家） — the 6 are 高新区's too.
        subject = parent_subject if is_part else _subject(text, s, m.start(), hit.article)
        if not is_part:
            parent, parent_subject = label, subject
        date, by_sentence = fact_date(text, m.start(), hit.date)
        out.append(Claim(hit, m.start(), m.end(), value, {"％": "%"}.get(unit, unit), measure, subject, date,
                         by_sentence, is_target(text, m.start()), label if is_part else ""))
    return out
