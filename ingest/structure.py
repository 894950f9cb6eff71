"""Find headings and split a document's paragraphs into articles.

Sources mark structure in different ways: Markdown headings (extracted magazines), a table of
contents whose titles reappear in the body (magazines without markup), and numbered headings
(一、 / （一） / 1. in policy texts and compilations). All become (level, title) headings.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .clean import Paragraph
from .models import Article

_TOC_ITEM = re.compile(r"^(\d{1,3})\s+(\S.*)$")
_COLUMN = re.compile(r"^■\s*(\S.{0,15})$")
_NUMBERED_LEVELS = [
    (re.compile(r"^第[一二三四五六七八九十百零\d]+章"), 1),
    (re.compile(r"^[一二三四五六七八九十]+、"), 1),
    (re.compile(r"^第[一二三四五六七八九十百零\d]+节"), 2),
    (re.compile(r"^[（(][一二三四五六七八九十]+[）)]"), 2),
    (re.compile(r"^\d{1,2}(?:[.．](?!\d)|、)\s*\S"), 3),     # 3. 标题, not 18.33亿元
]
TITLE_MAX = 60            # the longest line taken for a title (a PDF's large-font line, a contents entry)
NUMBERED_MAX = 40         # the longest numbered line (一、… / 3. …) taken for a heading rather than a paragraph
CLAUSE_LEVEL = 6          # 第X条: a chunk boundary and a citable section, never an article
_CLAUSE = re.compile(r"^(第[一二三四五六七八九十百零〇\d]+条)")


@dataclass
class TocEntry:
    title: str
    page: int
    column: str


def _norm(text: str) -> str:
    return re.sub(r"[\s#*>|`_\-—–·•■：:“”\"'‘’「」『』]", "", text)


def table_of_contents(paras: list[Paragraph]) -> tuple[list[TocEntry], int]:
    """Entries of a magazine's contents page ('07 标题'), and the index of the paragraph after it."""
    entries: list[TocEntry] = []
    column, last_index, started = "", -1, False
    for i, para in enumerate(paras):
        if not started:
            started = _norm(para.text).upper().startswith(("目录", "CONTENTS"))
            continue
        m_col = _COLUMN.match(para.text)
        m_item = _TOC_ITEM.match(para.text)
        if m_col and len(para.text) <= 16:
            column = m_col.group(1).strip()
        elif m_item and len(para.text) <= TITLE_MAX:
            entries.append(TocEntry(m_item.group(2).strip(), int(m_item.group(1)), column))
            last_index = i
        elif entries and i - last_index > 40:
            break
    return entries, last_index + 1


def _numbered_level(text: str) -> int:
    if len(text) > NUMBERED_MAX or re.search(r"[。！？；]", text[:-1] + " "):
        return 0
    for pattern, level in _NUMBERED_LEVELS:
        if pattern.match(text):
            return level
    return 0


def label_clauses(paras: list[Paragraph]) -> None:
    """Policy clauses (第三条 …) start sections named by their number, whatever else marks the headings."""
    for para in paras:
        m = _CLAUSE.match(para.text)
        if m and not para.level:
            para.level, para.label = CLAUSE_LEVEL, m.group(1)


def assign_headings(paras: list[Paragraph]) -> dict[int, TocEntry]:
    """Give heading levels to paragraphs that act as headings; returns TOC entries matched by paragraph index."""
    matched: dict[int, TocEntry] = {}
    if any(p.level for p in paras):
        label_clauses(paras)
        return matched
    toc, body_start = table_of_contents(paras)
    if len(toc) >= 3:
        wanted = {_norm(e.title): e for e in toc}
        for i in range(body_start, len(paras)):
            key = _norm(paras[i].text)
            if len(paras[i].text) <= TITLE_MAX and key in wanted:
                paras[i].level = 1
                matched[i] = wanted.pop(key)
        return matched
    for para in paras:
        para.level = _numbered_level(para.text)
    # A heading that recurs (一、改革举措 in every chapter) labels a section, not an article: level 2, so that
    # the numbered items under it (3. …) are its subsections and the next 一、改革举措 closes them.
    counts: dict[str, int] = {}
    for para in paras:
        if para.level:
            counts[_norm(para.text)] = counts.get(_norm(para.text), 0) + 1
    for para in paras:
        if para.level and counts[_norm(para.text)] > 1:
            para.level = 2
    label_clauses(paras)
    return matched


def split_articles(paras: list[Paragraph], offsets: list[int], text_len: int, doc_title: str,
                   toc: dict[int, TocEntry]) -> list[Article]:
    """Articles start at the top-most heading level used in the document."""
    levels = [p.level for p in paras if p.level and p.level < CLAUSE_LEVEL]
    if not levels:
        return [Article(title=doc_title, start=0, end=text_len)]
    top = min(levels)
    starts = [i for i, p in enumerate(paras) if p.level == top]
    articles = []
    if starts[0] > 0:
        articles.append(Article(title=doc_title, start=0, end=offsets[starts[0]]))
    for n, i in enumerate(starts):
        end = offsets[starts[n + 1]] if n + 1 < len(starts) else text_len
        entry = toc.get(i)
        articles.append(Article(title=paras[i].text, start=offsets[i], end=end,
                                page=entry.page if entry else paras[i].page,
                                column=entry.column if entry else ""))
    return articles
