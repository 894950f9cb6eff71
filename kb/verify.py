"""Checks a generated answer against the passages it cites, sentence by sentence.

A sentence passes when it cites at least one given passage ([n] with 1 ≤ n ≤ number of passages) and every
fact in it (amount, percentage, number, date, 《name》 or “name”) appears in one of the passages it cites.
Facts are compared after normalisation: 20万元 = 200000元 = 二十万元, 1.5亿元 = 15000万元, 百分之三十 = 30%,
2023年3月 = 2023-03. A fact-free lead-in ("包括：") or a statement that something is not in the material
needs no citation.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ingest.chunking import split_sentences

from .model import SentenceCheck

FLAG = "（未核实）"
CITE = re.compile(r"[\[【](?:资料|来源)?\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】]")
_SENTENCE = re.compile(r"[^。！？!?\n]+(?:[。！？!?]+[”’」』）)\"']*)?(?:[ \t]*" + CITE.pattern + r")*")
_LIST_MARK = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.、)）](?!\d)|[（(]\d{1,2}[)）])\s*")
_ABSENCE = re.compile(r"未找到|未提及|没有提及|未涉及|没有涉及|未说明|没有说明|未明确|没有明确|未披露")
_WORDY = re.compile(r"[\w\u4e00-\u9fff]")

_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_CN = r"[零〇一二两三四五六七八九十百千万亿]+"
_MULT = {"": 1, "千": 10**3, "万": 10**4, "百万": 10**6, "千万": 10**7, "亿": 10**8, "万亿": 10**12}
_CN_DIGITS = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9)))


@dataclass(frozen=True)
class Fact:
    kind: str          # money | percent | number | date | name
    value: object      # canonical decimal string; (year, month, day) with None for missing parts; name text
    surface: str       # as written


# -- numbers ---------------------------------------------------------------
def _canon(value: Decimal) -> str:
    return format(value.normalize(), "f")


def chinese_number(text: str) -> int | None:
    """二十万 → 200000, 一亿五千万 → 150000000; None when text is not a Chinese numeral."""
    total = section = number = 0
    for ch in text:
        if ch in _CN_DIGITS:
            number = _CN_DIGITS[ch]
        elif ch in "十百千":
            section += (number or 1) * {"十": 10, "百": 100, "千": 1000}[ch]
            number = 0
        elif ch == "万":
            total += (section + number) * 10**4
            section = number = 0
        elif ch == "亿":
            total = (total + section + number) * 10**8
            section = number = 0
        else:
            return None
    return total + section + number


def _arabic(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


# -- fact extraction -------------------------------------------------------
def _date(m: re.Match, year=1, month=2, day=3) -> tuple:
    def part(i):
        return int(m.group(i)) if i and m.group(i) else None
    return part(year), part(month), part(day)


def _money_or_number(m: re.Match):
    value = _arabic(m.group(1))
    if value is None:
        return None
    unit = m.group(3)
    return ("money" if unit else "number"), _canon(value * _MULT[m.group(2) or ""])


def _chinese_amount(m: re.Match):
    text, unit = m.group(1), m.group(2)
    # Chinese numerals count only as amounts: 二十万元, 一亿元, 五千万 (not 千万不要, 一是, 第一).
    if not re.search("[一二两三四五六七八九十]", text):
        return None
    if not unit and not (re.search("[万亿]", text) and text[0] in "一二两三四五六七八九"):
        return None
    value = chinese_number(text)
    return None if value is None else (("money" if unit else "number"), _canon(Decimal(value)))


def _percent(m: re.Match):
    raw = m.group(1) or m.group(2)
    value = _arabic(raw) if raw[0].isdigit() else (None if chinese_number(raw) is None else Decimal(chinese_number(raw)))
    return None if value is None else ("percent", _canon(value))


# Applied in order; each match is masked so that later patterns do not see its digits again.
_PATTERNS = (
    (re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*[日号])?"), lambda m: ("date", _date(m))),
    (re.compile(r"(?<![\d.])((?:19|20)\d{2})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?(?![\d万亿元%％])"),
     lambda m: ("date", _date(m))),
    (re.compile(r"(\d{4})\s*年(?!\d)"), lambda m: ("date", _date(m, 1, 0, 0))),
    (re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(?:(\d{1,2})\s*[日号])?"), lambda m: ("date", _date(m, 0, 1, 2))),
    (re.compile(r"(" + _NUM + r")\s*[%％]|百分之(" + _NUM + "|" + _CN + ")"), _percent),
    (re.compile(r"(" + _NUM + r")\s*(万亿|千万|百万|万|亿|千)?\s*(元)?"), _money_or_number),
    (re.compile(r"(" + _CN + r")\s*(元)?"), _chinese_amount),
)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


_NAMES = (re.compile(r"《([^《》]{1,60})》"), re.compile(r"[“\"「]([^“”\"「」\n]{2,60})[”\"」]"))


def extract_facts(text: str) -> list[Fact]:
    """Quoted names, then dates, percentages, amounts and numbers in text, normalised."""
    facts = [Fact("name", _squash(m.group(1)), m.group()) for pattern in _NAMES for m in pattern.finditer(text)]
    for pattern, convert in _PATTERNS:
        def take(m: re.Match) -> str:
            found = convert(m)
            if found is None:
                return m.group()
            facts.append(Fact(found[0], found[1], m.group().strip()))
            return "\x00" * len(m.group())      # masked: later patterns do not read these digits again
        text = pattern.sub(take, text)
    return facts


# -- matching ----------------------------------------------------------------
def _same(fact: Fact, other: Fact) -> bool:
    if fact.kind == "date":
        if other.kind == "date":
            return all(w is None or w == h for w, h in zip(fact.value, other.value))
        return fact.value[1:] == (None, None) and other.kind == "number" and other.value == str(fact.value[0])
    if other.kind == "date":
        return fact.kind == "number" and other.value[0] is not None and str(other.value[0]) == fact.value
    if fact.kind == "percent" or other.kind == "percent":
        return fact.kind == other.kind and fact.value == other.value
    return fact.value == other.value          # money and bare numbers: 20万 = 20万元 = 200000元


def _fact_in(fact: Fact, facts: list[Fact], passage: str) -> bool:
    if fact.kind == "name":
        return fact.value in _squash(passage)
    return any(_same(fact, other) for other in facts if other.kind != "name")


# -- sentences -----------------------------------------------------------------
def split_answer(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the answer's sentences; citation marks after 。 stay with their sentence."""
    spans = []
    for m in _SENTENCE.finditer(text):
        a, b = m.span()
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if _WORDY.search(text[a:b]):
            spans.append((a, b))
    return spans


def citations_in(text: str) -> tuple[int, ...]:
    seen: list[int] = []
    for m in CITE.finditer(text):
        for n in re.split(r"\s*[,，、]\s*", m.group(1)):
            if int(n) not in seen:
                seen.append(int(n))
    return tuple(seen)


def check_sentence(sentence: str, passages: list[str]) -> SentenceCheck:
    """passages[i] is the text of passage [i+1], including its header (title, date)."""
    cited = citations_in(sentence)
    body = _LIST_MARK.sub("", CITE.sub("", sentence))
    facts = extract_facts(body)
    problems = [f"引用[{n}]不存在" for n in cited if not 1 <= n <= len(passages)]
    valid = [n for n in cited if 1 <= n <= len(passages)]
    if not cited:
        if not facts and (body.rstrip().endswith(("：", ":")) or _ABSENCE.search(body)):
            return SentenceCheck(sentence, (), True)
        return SentenceCheck(sentence, (), False, ("没有标注引用",))
    if valid:
        known = {n: extract_facts(passages[n - 1]) for n in valid}
        refs = "".join(f"[{n}]" for n in valid)
        for fact in facts:
            if not any(_fact_in(fact, known[n], passages[n - 1]) for n in valid):
                label = fact.surface if fact.kind == "name" else f"“{fact.surface}”"
                problems.append(f"{label}未见于所引资料{refs}")
    return SentenceCheck(sentence, cited, not problems, tuple(problems))


def verify_answer(text: str, passages: list[str]) -> list[tuple[tuple[int, int], SentenceCheck]]:
    return [((a, b), check_sentence(text[a:b], passages)) for a, b in split_answer(text)]


def render(text: str, checked: list[tuple[tuple[int, int], SentenceCheck]], on_unverified: str) -> str:
    """The answer with failing sentences flagged (suffix （未核实）) or dropped."""
    out, pos = [], 0
    for (a, b), check in checked:
        out.append(text[pos:a])
        if check.verified:
            out.append(text[a:b])
        elif on_unverified != "drop":
            out.append(text[a:b] + FLAG)
        pos = b
    out.append(text[pos:])
    return re.sub(r"\n\s*\n(\s*\n)+", "\n\n", "".join(out)).strip()


def supporting_span(sentence: str, passage: str) -> tuple[int, int] | None:
    """The passage sentence that best supports an answer sentence: shared facts first, then shared bigrams."""
    body = CITE.sub("", sentence)
    facts = extract_facts(body)
    grams = {body[i:i + 2] for i in range(len(body) - 1)}
    best, best_score = None, 0.0
    for a, b in split_sentences(passage):
        piece = passage[a:b]
        piece_facts = extract_facts(piece)
        shared = sum(_fact_in(f, piece_facts, piece) for f in facts)
        overlap = len(grams & {piece[i:i + 2] for i in range(len(piece) - 1)}) / (len(grams) or 1)
        score = shared + overlap
        if score > best_score:
            best, best_score = (a, b), score
    return best if best_score >= 0.2 else None
