"""Question analysis: the parts of a question, what each asks for, its subject terms and qualifiers."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from ..text import CJK, TermWeights
from .kinds import UNITS, Kind, kind_of

RARE_IDF = 5.0       # a word in a handful of passages: names one thing, not a kind of thing
# Parts of speech (jieba's tags) of words that name a thing the corpus could report: nouns and names,
# abbreviations, idioms, numerals with their measure (第一批), nominal verbs. Pronouns, adverbs, place and time
# words (那边, 到底, 市里) name nothing; a verb names something only if the corpus uses it (竣工, not 拿到).
_NAMING = ("n", "j", "l", "i", "b", "m", "eng", "vn")
_PART_SPLIT = re.compile(r"[？?；;！!。]")
_QUESTION_WORD = re.compile(r"什么|哪|多少|几|谁|怎么|怎样|如何|吗|是否|何")
YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
RELATIVE_YEAR = {"今年": 0, "本年": 0, "当年": 0, "去年": -1, "上年": -1, "前年": -2, "明年": 1}
_LATIN = re.compile(r"[A-Za-z]")
_HOW_MUCH = re.compile(r"^多[久长大高远重]$")
_MODAL = re.compile(r"^[能可会要想该]")


def is_chinese(question: str) -> bool:
    """A question in Chinese, English words allowed (GDP是多少？); one written in English around a Chinese name
    (What was 某公司's profit?) is not: its English words match English captions, not Chinese sentences."""
    cjk = len(CJK.findall(question))
    return cjk > 0 and 2 * cjk >= len(_LATIN.findall(question))


# A later part that asks whether the sources agree (春季刊和秋季刊的数字一致吗？ / 两份材料各怎么说？) asks
# no new fact: it asks for the earlier part's fact from each source that gives it.
_COMPARE = re.compile(r"(?:一样|一致|相同)(?:吗|不)|是否(?:一致|相同)|有没有(?:出入|不同)|分别(?:怎么|如何)?说"
                      r"|各(?:自)?(?:怎么|如何)?说|怎么说的|说法")


# A part that names where to read (青溪晚报那篇说…, 按政策汇编, 日报里): the words before a source noun.
_SOURCE_MENTION = re.compile(r"[^，,。？?、；;：:“”\"]{1,12}?(?:那篇|这篇|那期|这期|一文|那份|快报|日报|晚报|汇编|杂志|报道)")
_SOURCE_FILLER = re.compile(r"那篇|这篇|那期|这期|一文|那份|杂志|报道|文章|^(?:按|据|根据|依据|看|在|从)|的$")


_SOURCE_KIND = (("magazine", re.compile(r"那期|这期|杂志$")), ("news", re.compile(r"(?:报道|快报|日报|晚报)$")))


@dataclass(frozen=True)
class SourceRef:
    words: str                  # what its document's or article's title would hold: 青溪晚报, 政策汇编, 2022年
    kind: str = ""              # the document kind a source noun implies (那期 → magazine), empty for any


def source_mention(text: str) -> SourceRef | None:
    """The source a part names (…那篇报道说, 2022年那期里, 政策汇编里), or None."""
    m = _SOURCE_MENTION.search(text)
    if not m:
        return None
    kind = next((k for k, pattern in _SOURCE_KIND if pattern.search(m.group())), "")
    words, last = m.group(), ""
    while words != last:              # 按2023年的杂志 → 2023年
        words, last = _SOURCE_FILLER.sub("", words).strip(), words
    return SourceRef(words, kind)


@dataclass(frozen=True)
class Part:
    text: str
    kind: Kind
    terms: TermWeights          # the part's content words (soft match allowed)
    focus: TermWeights          # the clause holding the question word: what is asked, exactly
    head: TermWeights           # the words naming what is asked (主任, 股票代码, 通过率)
    years: frozenset[str]       # years the part names
    rare: tuple[str, ...]       # words of the part that name one thing (IDF ≥ RARE_IDF)
    subject: TermWeights | None  # an earlier part's words: a later part often omits its subject
    slot: TermWeights           # the words beside the question word (占地[多少]亩 → 占地 亩)
    compare: bool = False       # a later part asks whether the sources agree: answer from each source
    source: SourceRef | None = None  # the source the part names (source_mention): its answer is read there
    unit: str = ""              # the unit a count is asked in (多少家 → 家), empty when none is named
    naming: tuple[str, ...] = ()  # the rare words that name something (_naming): what a refusal may say is absent
    asked: tuple[str, ...] = ()   # the head's words less its phrasing: what a refusal may say the passage lacks


@dataclass(frozen=True)
class Question:
    text: str
    parts: tuple[Part, ...]
    whole: TermWeights
    chinese: bool


def split_parts(question: str, max_parts: int) -> list[str]:
    parts = [p.strip(" ，,") for p in _PART_SPLIT.split(question) if len(p.strip(" ，,")) >= 2]
    return (parts or [question.strip()])[:max_parts]


def is_comparison(part: str) -> bool:
    """A later part asking whether the sources agree (春季刊和秋季刊的数字一致吗？)."""
    return bool(_COMPARE.search(part))


def fact_parts(question: str, max_parts: int) -> tuple[list[str], bool]:
    """The parts that ask a fact, and whether a later part asks the sources to be compared: that part's words
    (杂志, 两篇, 说法) name no fact a passage must hold."""
    parts = split_parts(question, max_parts)
    facts = [p for i, p in enumerate(parts) if not (i and is_comparison(p))]
    return facts, len(facts) < len(parts)


def _focus(text: str) -> str:
    clauses = [c for c in re.split(r"[，,、]", text) if c.strip()] or [text]
    return next((c for c in reversed(clauses) if _QUESTION_WORD.search(c)), clauses[-1])


def _naming(text: str, words: tuple[str, ...], tokenizer, idf) -> tuple[str, ...]:
    """Those of the words that name something, as the part reads (not a search-mode piece of a longer word, 年省
    of 2020年省…, nor a pronoun or adverb such as 那边, 到底): a refusal saying “资料未提及‘那边’” explains nothing.
    Nor how the question asks (phrasing)."""
    tags = {w.lower(): flag for w, flag in tokenizer.tagged(text)}
    unseen = idf("\x00")
    return tuple(w for w in words if (flag := tags.get(w)) is not None and not _phrasing(w, tokenizer)
                 and (flag.startswith(_NAMING) or (flag.startswith("v") and idf(w) < unseen)))


def _asking(word: str, tokenizer) -> bool:
    """A question word (多久) or a modal verb the tagger joined to its verb (能贷 of 能贷多少)."""
    return bool(_QUESTION_WORD.search(word) or _HOW_MUCH.match(word)
                or (_MODAL.match(word) and tokenizer.made_up(word)))


def _phrasing(word: str, tokenizer) -> bool:
    """A word of how a question asks, not of what it asks about: a question word, a joined modal verb (_asking),
    or an everyday word of its phrasing (什么时候, 叫什么名字, 加起来). A refusal naming it as what the documents lack
    (“资料未提及‘时候’”) explains nothing."""
    return _asking(word, tokenizer) or tokenizer.everyday(word)


def _asked(head: list[str], text: str, tokenizer) -> tuple[str, ...]:
    """The head's words a refusal may say the passage lacks. What is asked is often an everyday word (主任, 单位,
    比例), so of the everyday words only those a question word governs are left out (什么时候, 叫什么名字)."""
    def governed(w: str) -> bool:
        return tokenizer.everyday(w) and re.search(rf"(?:什么|啥|哪个|哪)\s*{re.escape(w)}", text) is not None
    words = [w for w in head if not governed(w) and not _asking(w, tokenizer)]
    # Search-mode pieces of a longer head word (注册, 资本 of 注册资本) would repeat it in the message.
    return tuple(w for w in words if not any(w != u and w in u for u in words))


def analyse(question: str, tokenizer, idf, soft: float, max_parts: int = 3) -> Question:
    def weights(words, soft_=0.0):
        return TermWeights(list(words), idf, tokenizer.aliases, soft_)

    parts: list[Part] = []
    asks = question           # the question less its comparison clauses: the words a passage must support
    for text in split_parts(question, max_parts):
        if parts and is_comparison(text):
            parts[-1] = dataclasses.replace(parts[-1], compare=True)
            asks = asks.replace(text, " ")
            continue
        terms = tokenizer.query_terms(text)
        head = [w for w in tokenizer.words(" ".join(tokenizer.answer_head(text))) if not _QUESTION_WORD.search(w)]
        rare = tuple(t for t in terms if len(t) > 1 and idf(t) >= RARE_IDF and not t.isdigit())
        # The subject carried into a later part: the earlier parts' words this one does not repeat.
        carried = [t for p in parts for t in p.terms.terms if t not in terms]
        kind = kind_of(text)
        head_weights = weights(head)
        parts.append(Part(text, kind, weights(terms, soft), weights(tokenizer.query_terms(_focus(text))),
                          head_weights, frozenset(YEAR.findall(text)), rare, weights(carried) if carried else None,
                          weights(tokenizer.slot(text), soft), source=source_mention(text),
                          unit=tokenizer.asked_unit(text, UNITS) if kind.name == "count" else "",
                          naming=_naming(text, rare, tokenizer, idf),
                          asked=_asked(head_weights.terms, text, tokenizer)))
    return Question(question, tuple(parts), weights(tokenizer.query_terms(asks), soft),
                    is_chinese(question))
