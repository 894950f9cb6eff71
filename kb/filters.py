"""Search filters as staff type them: dates read (2023年3月 → 2023-03), ranges and documents checked, each
problem one Chinese line; the labels shown for active filters and the note on a refusal under them. The
library checks every search with check(); the UI and the CLI show what it says."""
from __future__ import annotations

import dataclasses
import re

from .errors import KBError
from .model import DocumentInfo, Filters

KIND_LABELS = {"magazine": "期刊", "policy": "政策文件", "news": "新闻报道"}
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
# 2023年3月 / 2023年3月5日 / 2023/3 / 2023.03: what staff type; the catalog's dates are 2023-03.
_TYPED_DATE = re.compile(r"^(\d{4})\s*(?:[年/.\-]\s*(\d{1,2})\s*(?:[月/.\-]\s*(?:(\d{1,2})\s*日?)?)?)?\s*年?$")


def parse_date(value: str) -> str:
    """'2023年3月' -> '2023-03'; '' stays ''; anything that is no date raises KBError."""
    value = (value or "").strip()
    m = _TYPED_DATE.match(value)
    if value and m:
        year, month, day = m.groups()
        parts = [year] + [f"{int(x):02d}" for x in (month, day) if x]
        value = "-".join(parts)
        if (month and not 1 <= int(month) <= 12) or (day and not 1 <= int(day) <= 31):
            value = m.group(0)
    if value and not _DATE.match(value):
        raise KBError(f"日期“{value}”格式不对，请写成 2021、2021-06、2021-06-30 或 2021年6月")
    return value


def _reversed(date_from: str, date_to: str) -> bool:
    """2023-12 … 2023-01 is reversed; 2023-06 … 2023 is not (it runs to the end of 2023)."""
    n = min(len(date_from), len(date_to))
    return bool(date_from and date_to) and date_from[:n] > date_to[:n]


def _document(key: str, documents: list[DocumentInfo]) -> str:
    """A document id, or a file name or title that only one document has → its id."""
    if any(d.doc_id == key for d in documents):
        return key
    matches = [d.doc_id for d in documents if key in (d.source, d.title)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise KBError(f"“{key}”对应 {len(matches)} 个文档（{'、'.join(sorted(matches))}），请用文档编号指定")
    raise KBError(f"知识库中没有文档“{key}”：请从列表中选择，或用 kb status 查看文档编号")


def check(filters: Filters | None, documents: list[DocumentInfo]) -> Filters:
    """The filters as the catalog reads them (dates normalised, documents as ids), or KBError saying what is
    wrong: a date that is no date, a range that ends before it starts, an unknown kind or document."""
    filters = filters or Filters()
    if not filters:
        return filters
    date_from, date_to = parse_date(filters.date_from), parse_date(filters.date_to)
    if _reversed(date_from, date_to):
        raise KBError(f"起始日期 {date_from} 晚于截止日期 {date_to}，请交换或修改日期范围")
    unknown = [k for k in filters.kinds if k not in KIND_LABELS]
    if unknown:
        raise KBError(f"未知的文档类型：{'、'.join(unknown)}（可选：{'、'.join(KIND_LABELS)}）")
    doc_ids = tuple(dict.fromkeys(_document(k.strip(), documents) for k in filters.doc_ids if k.strip()))
    return dataclasses.replace(filters, doc_ids=doc_ids, date_from=date_from, date_to=date_to)


def labels(filters: Filters, documents: list[DocumentInfo]) -> list[str]:
    """One short Chinese label per active filter (the chips above the question box)."""
    titles = {d.doc_id: d.name for d in documents}
    out = [f"文档：{titles.get(d, d)}" for d in filters.doc_ids]
    if filters.kinds:
        out.append("类型：" + "、".join(KIND_LABELS.get(k, k) for k in filters.kinds))
    if filters.date_from or filters.date_to:
        out.append(f"日期：{filters.date_from or '不限'} 至 {filters.date_to or '不限'}")
    return out


def scope_note(filters: Filters, documents: list[DocumentInfo]) -> str:
    """Said with a refusal under active filters: the answer may be outside them."""
    return f"以上是在限定范围内检索的结果（{'；'.join(labels(filters, documents))}）；清除筛选后可检索全部文档。"
