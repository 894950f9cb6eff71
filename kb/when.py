"""The time a question names: a period of facts (2020年上半年, 十三五期间), a source of a time (按2023年的杂志),
the newest (目前, 现在, 最新, 今年), or none."""
from __future__ import annotations

import re
from dataclasses import dataclass

# Five-year plans by their number: 十三五 = 2016–2020.
_PLAN = re.compile(r"[“\"「]?(十[一二三四五六七八九]|[一二三四五六七八九])五[”\"」]?(?:期间|时期|以来|末)?")
_PLAN_NUMBER = dict(zip("一二三四五六七八九", range(1, 10)))
_RANGE = re.compile(r"((?:19|20)\d{2})\s*(?:年)?\s*(?:到|至|—|-|~|～)\s*((?:19|20)\d{2})\s*年")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年(?:度)?\s*(上半年|下半年|前三季度|年底|年末|底|末)?")
# A year that names where to read (按2023年的杂志, 2021年的报道里): the source's date, not the facts'.
_SOURCE = re.compile(r"(?:按|据|根据|依据|看|以|在)?\s*((?:19|20)\d{2})\s*年\s*(?:第\s*\d+\s*期)?\s*(?:的|出版的|发表的)?\s*"
                     r"(《[^》]+》|杂志|期刊|刊物|报道|报纸|新闻|汇编|资料|文件|那期|一期)")
_LATEST = re.compile(r"目前|现在|最新|今年|当前|如今|眼下|现阶段|最近|近期|截至目前|至今|现有")
_SOURCE_KIND = {"杂志": "magazine", "期刊": "magazine", "刊物": "magazine", "那期": "magazine", "一期": "magazine",
                "报道": "news", "报纸": "news", "新闻": "news", "汇编": "policy"}
_HALVES = {"上半年": ("01", "06"), "下半年": ("07", "12"), "前三季度": ("01", "09")}


@dataclass(frozen=True)
class TimeScope:
    mode: str = "none"        # none | latest | period | source
    start: str = ""           # inclusive bounds, as dates that sort: "2016", "2020-06"
    end: str = ""
    kind: str = ""            # source kind for mode "source" (magazine | news | policy), empty for any
    label: str = ""           # as the question put it, for notes

    def reports(self, doc_date: str, months: int = 3) -> bool:
        """A document dated within `months` after the period's end reports on it (a 十三五 compilation of
        2021-01): its undated figures are the period's."""
        if self.mode != "period" or not self.end or not doc_date:
            return False
        year, month = int(self.end[:4]), int(self.end[5:7] or 12)
        month += months
        limit = f"{year + (month - 1) // 12}-{(month - 1) % 12 + 1:02d}"
        return self.end[:7] < doc_date[:7] <= limit

    def holds(self, date: str) -> bool:
        """A date (2022, 2020-06, 2023-03-15) falls in [start, end]: compared at the precision both have."""
        if not date:
            return False
        low, high = self.start or "0000", self.end or "9999"
        n, m = min(len(date), len(low)), min(len(date), len(high))
        return date[:n] >= low[:n] and date[:m] <= high[:m]


def _plan_years(m: re.Match) -> tuple[int, int]:
    word = m.group(1)
    n = 10 + _PLAN_NUMBER.get(word[-1], 0) if word.startswith("十") else _PLAN_NUMBER[word]
    # 一五 = 1953–1957, 二五 = 1958–1962; after three years of readjustment, 三五 = 1966–1970 and so on.
    first = 1953 + 5 * (n - 1) if n < 3 else 1966 + 5 * (n - 3)
    return first, first + 4


def time_scope(question: str) -> TimeScope:
    q = question or ""
    m = _SOURCE.search(q)
    if m:
        return TimeScope("source", m.group(1), m.group(1), _SOURCE_KIND.get(m.group(2), ""), m.group(0).strip())
    m = _RANGE.search(q)
    if m:
        return TimeScope("period", m.group(1), m.group(2), label=m.group(0))
    m = _PLAN.search(q)
    if m and "五" in m.group(0) and ("期间" in m.group(0) or "时期" in m.group(0) or m.group(0)[0] in "“\"「"
                                     or m.group(1).startswith("十")):
        first, last = _plan_years(m)
        return TimeScope("period", str(first), str(last), label=m.group(0))
    m = _YEAR.search(q)
    if m:
        year, half = m.group(1), m.group(2)
        if half in _HALVES:
            a, b = _HALVES[half]
            return TimeScope("period", f"{year}-{a}", f"{year}-{b}", label=m.group(0))
        return TimeScope("period", year, year, label=m.group(0))
    m = _LATEST.search(q)
    if m:
        return TimeScope("latest", label=m.group(0))
    return TimeScope()
