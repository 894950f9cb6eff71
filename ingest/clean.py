"""Clean extracted text into paragraphs: drop page furniture, undo hard wraps, keep headings.

Page changes travel through cleaning as marker lines (PAGE_MARK + number) so that the
caller can still say which printed page each paragraph came from.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

PAGE_MARK = "\x0c"

_FURNITURE = [
    re.compile(r"^[—\-–－]+\s*\d{1,4}\s*[—\-–－]+$"),      # — 12 —
    re.compile(r"^\d{1,4}$"),                               # lone page number
    re.compile(r"^第\s*\d{1,4}\s*页(\s*[/共]\s*\d+\s*页?)?$"),  # 第3页 / 第3页共10页
]
_TERMINAL = re.compile(r"[。！？!?；;：:…][”’」』）)\"']*$")
_LIST_MARK = re.compile(r"^(?:[-*+•]\s+|>\s*)")
_NUMBERED = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\([一二三四五六七八九十]+\)"
                       r"|\d{1,2}(?:[.．](?!\d)|、)\s*\S|第[一二三四五六七八九十百零\d]+[章节条])")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff"), None)


@dataclass
class Paragraph:
    text: str
    level: int = 0                      # Markdown heading level; 0 for body text
    page: int | None = None             # page where the paragraph starts
    page_marks: list[tuple[int, int]] = field(default_factory=list)  # (offset in text, page) inside it
    label: str = ""                     # for a clause paragraph (第三条 …), its number: the heading it is cited by


def is_furniture(line: str) -> bool:
    return any(p.match(line) for p in _FURNITURE)


def _wrap_width(lines: list[str]) -> int | None:
    """The width a hard-wrapped extraction breaks lines at, or None when lines are not hard-wrapped."""
    lengths = [len(line) for line in lines if len(line) >= 10]
    if len(lengths) < 20:
        return None
    width, _ = Counter(lengths).most_common(1)[0]
    near = sum(1 for n in lengths if width - 4 <= n <= width + 3)
    return width if near / len(lengths) >= 0.35 else None


def _starts_block(line: str) -> bool:
    return line.startswith("#") or bool(_LIST_MARK.match(line)) or bool(_NUMBERED.match(line))


def _should_join(prev: str, line: str, join_min: int) -> bool:
    if prev.startswith("#") or _starts_block(line) or _TERMINAL.search(prev):
        return False
    return len(prev) >= join_min


def clean_lines(raw: str) -> list[str]:
    text = raw.translate(_INVISIBLE).replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)           # Markdown bold the extraction left in
    out = []
    for line in text.split("\n"):
        if line.startswith(PAGE_MARK) and line[1:].isdigit():   # before strip(): "\x0c" is whitespace
            out.append(line)
            continue
        line = line.strip().replace("\u3000", " ")
        if line and not is_furniture(line):
            out.append(line)
    return out


def _join(prev: str, line: str) -> str:
    # Chinese lines join without a space; keep one between two Latin words.
    if prev and line and prev[-1].isascii() and prev[-1].isalnum() and line[0].isascii() and line[0].isalnum():
        return prev + " " + line
    return prev + line


def paragraphs(raw: str) -> list[Paragraph]:
    lines = clean_lines(raw)
    width = _wrap_width([l for l in lines if not l.startswith(PAGE_MARK)])
    join_min = width - 5 if width else 40
    paras: list[Paragraph] = []
    page: int | None = None
    pending_mark = False
    prev_line = ""
    for line in lines:
        if line.startswith(PAGE_MARK):
            page = int(line[1:])
            pending_mark = True
            continue
        last = paras[-1] if paras else None
        if last and not last.level and _should_join(prev_line, line, join_min):
            if pending_mark:
                last.page_marks.append((len(last.text), page))
            last.text = _join(last.text, line)
        else:
            level = 0
            m = re.match(r"^(#{1,6})\s+(.*)$", line)
            if m:
                level, line = len(m.group(1)), m.group(2).strip()
            else:
                line = _LIST_MARK.sub("", line)
            if line:
                paras.append(Paragraph(text=line, level=level, page=page))
        pending_mark = False
        prev_line = line
    return [p for p in paras if p.text.strip()]
