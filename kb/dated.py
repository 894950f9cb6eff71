"""The date of a fact: its document's date, unless the sentence dates itself.

A sentence dates its figures with a lead (2022年，全市…；…), a cut-off (截至2019年年底…), a period (2020年上半年…)
or words relative to the issue it appears in (今年上半年, 去年): those are resolved against the document's date.
Dates are strings that sort: "2022", "2019-12", "2023-03". A figure that is a plan (到2025年…, 力争…) is a target,
not a fact of a time, and is marked as such.
"""
from __future__ import annotations

import re

# The whole sentence a figure stands in: 。！？ and line ends (ingest has joined lines broken mid-sentence).
_SENTENCE_END = re.compile(r"[。！？!?]+|\n+")
_PERIOD = r"(?:上半年|下半年|前三季度|一季度|第一季度|二季度|三季度|四季度|全年|年底|年末|底|末|度)?"
# A year that dates what follows: 2022年，…; 截至2019年年底…; 2020年上半年…; 2021年全市…; 2022年度…
_YEAR = re.compile(r"(?:截至|截止到?|到|至|在|于)?\s*((?:19|20)\d{2})\s*年\s*(?:(\d{1,2})\s*月(?:份|底|末)?)?\s*(" +
                   _PERIOD[3:-2] + r")?")
_RELATIVE = re.compile(r"(今年|去年|上年|前年)\s*(" + _PERIOD[3:-2] + r")?")
_HALF_MONTH = {"上半年": 6, "下半年": 12, "前三季度": 9, "一季度": 3, "第一季度": 3, "二季度": 6, "三季度": 9,
               "四季度": 12, "年底": 12, "年末": 12, "底": 12, "末": 12}
# Plans, not programme names (“龙城英才”计划) or aims in general (锚定高质量发展目标).
_TARGET = re.compile(r"到\s*20\d{2}\s*年|力争|目标(?:是|为|到)|预计|将(?:达到|突破|超过)|计划(?:到|在|于|用|新增|完成)|规划到")
_RELATIVE_YEARS = {"今年": 0, "去年": -1, "上年": -1, "前年": -2}


def sentence_span(text: str, pos: int) -> tuple[int, int]:
    """The whole sentence of text around position pos."""
    start = 0
    for m in _SENTENCE_END.finditer(text, 0, pos):
        start = m.end()
    m = _SENTENCE_END.search(text, pos)
    return start, (m.end() if m else len(text))


def _year_of(doc_date: str) -> int | None:
    m = re.match(r"(\d{4})", doc_date or "")
    return int(m.group(1)) if m else None


def _dated(year: int, month: int | None, period: str | None) -> str:
    month = month or _HALF_MONTH.get(period or "")
    return f"{year}-{month:02d}" if month else str(year)


def _marks(sentence: str, doc_date: str) -> list[tuple[int, str, bool]]:
    """(position, date, is_cutoff) of the time marks in a sentence, in order."""
    out = []
    for m in _YEAR.finditer(sentence):
        tail = sentence[m.end():m.end() + 1]
        # 2020年第11期, 2023年版, 用3年时间: a year that names an issue or a length is not a date of facts.
        if tail in ("第", "版") or re.match(r"\s*期", sentence[m.end():]):
            continue
        out.append((m.start(), _dated(int(m.group(1)), int(m.group(2)) if m.group(2) else None, m.group(3)),
                    m.group(0).startswith(("截至", "截止"))))
    year = _year_of(doc_date)
    if year is not None:
        for m in _RELATIVE.finditer(sentence):
            out.append((m.start(), _dated(year + _RELATIVE_YEARS[m.group(1)], None, m.group(2)), False))
    return sorted(out)


def fact_date(text: str, pos: int, doc_date: str) -> tuple[str, bool]:
    """(date, dated by the sentence) for a figure at text[pos]: the last time mark before it in its sentence
    (a lead clause dates the whole sentence), else the document's date."""
    a, b = sentence_span(text, pos)
    sentence = text[a:b]
    before = [date for p, date, _ in _marks(sentence, doc_date) if p <= pos - a]
    if before:
        return before[-1], True
    return doc_date or "", False


def is_target(text: str, pos: int) -> bool:
    """The figure at text[pos] is a plan or a goal (到2025年…达到, 力争…), not a reported fact."""
    a, _ = sentence_span(text, pos)
    a = max([a] + [i + 1 for i in (text.rfind(c, a, pos) for c in "；;") if i >= 0])
    return bool(_TARGET.search(text[a:pos]))


def date_label(date: str) -> str:
    """2022 → 2022年; 2023-03 → 2023年3月; empty → 日期不详."""
    m = re.match(r"(\d{4})(?:-(\d{2}))?", date or "")
    if not m:
        return "日期不详"
    return f"{m.group(1)}年" + (f"{int(m.group(2))}月" if m.group(2) else "")
