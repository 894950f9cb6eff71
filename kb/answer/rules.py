"""The rule-based answerer (KB_ANSWERER=rules, the default): no LLM; quotes the sentences of the retrieved
passages that answer the question.

Each part of the question (split at ？ and ；) gets the sentence, or run of whole clauses, that best
holds it: the clause with the question word (focus), the words naming what is asked (answer head),
and, in the passage around it, the rest of the question. A part that asks for a date, an amount, a
number or a document is only answered by a sentence holding one; a part about a year, a person, a bureau
programme or a rarely named thing is not answered from a passage about another one. When no part is
answered, or the chosen sentences hold too little of the question, the answer is a plain refusal (NOT_FOUND).
Weights were set on the dev set; docs/quality.md has the figures and the failures.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from ingest.chunking import split_sentences

from ..model import NOT_FOUND, Answer, Citation
from ..retrieve import Hit
from ..text import TermWeights
from .question import is_chinese
NUMERIC_Q = re.compile(r"多少|几|多大|多高|多长|多久|比例|占比|金额|数量|规模|哪年|哪一年|何时|什么时候|什么时间|哪天|日期|排名|第几|名次|最高|最低")
LIST_Q = re.compile(r"哪些|哪几|哪[“\"「]?[一二三四五六七八九十两\d]+|包括|有什么|分别|几类|几项")
RARE_IDF = 5.0          # a word in a handful of passages: names one thing, not a kind of thing
_DIGIT = re.compile(r"\d")
# What an answer to a segment must contain, by what the segment asks for (checked in this order).
# Asks for a person by name (局长是谁, 谁带的队, 叫什么名字), not for whoever did something (谁出资: a company).
_ASKS_PERSON = re.compile(r"(?:长|主任|书记|负责人|带头人|创始人|院士|教授|专家|主席|经理)(?:是谁|叫什么|叫啥|的名字|的姓名)"
                          r"|谁带的队|谁带队|谁率队|叫什么名字|姓名")
_ASKS_TIME = re.compile(r"几点|营业时间|开放时间")    # 什么时间 / 几时 usually ask for a date
_HAS_TIME = re.compile(r"\d+\s*[:：点时]|上午|下午|晚上|凌晨|全天")
_ASKS_DATE = re.compile(r"什么时候|什么时间|何时|哪天|哪一天|截止|几月|几号|日期")
_HAS_DATE = re.compile(r"\d+\s*月|\d+\s*日|[一二三四五六七八九十]+月|月底|月初|年底|年初|上半年|下半年")
_ASKS_MONEY = re.compile(r"钱|资助|补贴|补助|奖励|奖金|资金|经费|金额|利润|收入|营收|投资|融资|价格|售价|预算")
_ASKS_MONEY_ANY = re.compile(r"(?:什么|哪些|多少)(?:样的)?(?:钱|资金|奖励|补贴|补助|资助|奖金)")
_HAS_MONEY = re.compile(r"\d\s*(?:万|亿|千)?\s*(?:元|美元|欧元)|[一二三四五六七八九十百千万亿]+元")
_HAS_NUMBER = re.compile(r"\d|[一二三四五六七八九十两百千万]+[个项家人名次年件类期批]|第[一二三四五六七八九十]")
_CLAUSE = re.compile(r"[^，,：:]*[，,：:]?")
_QUESTION_WORD = re.compile(r"什么|哪|多少|几|谁|怎么|怎样|如何|吗|是否|何")
_DEFINE_Q = re.compile(r"指什么|是什么意思|什么意思|含义|定义|指的是")
_DEFINITION = re.compile(r"是指|指的是|意思是|即")
_ANAPHORA = re.compile(r"^[■\s]*(?:现场|会上|会议上|会议期间|活动中|活动现场|其中|此次|期间|同时)[，,]")
_ASKS_DOCUMENT = re.compile(r"(?:哪个|哪份|哪项|什么|哪些)(?:文件|政策|办法|规定|通知|意见|细则)|依据|根据什么"
                            r"|(?:文件|政策|办法|规定|通知|意见|细则|标准)[^，,。？?]{0,4}(?:叫什么|的名称|名字)")
_HAS_TITLE = re.compile(r"《|[A-Z]{2,}(?:/[A-Z]+)?\s?\d")       # 《…》 or a standard's code (ISO 23168, GB/T 1234)


@dataclass
class _Candidate:
    hit_index: int
    start: int
    end: int
    text: str
    passage: str               # article, section and the whole passage, lower-cased: context for the question
    sentence_end: int = 0      # end of the sentence the candidate is cut from
    # The opening clause of the sentence (or ；-list) the candidate continues: 2024年，A；B；C holds the
    # year for C too. Quoted before the candidate (with ……) when it holds words of the question.
    lead: tuple[int, int] | None = None
    with_lead: bool = False


def question_segments(question: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"[？?；;！!。]", question) if len(p.strip()) >= 2]
    return parts or [question]


def _clause_windows(text: str, a: int, b: int, max_chars: int) -> list[tuple[int, int]]:
    """A long sentence as every run of whole clauses that fits in max_chars."""
    bounds = [(a + m.start(), a + m.end()) for m in _CLAUSE.finditer(text[a:b]) if m.group()]
    windows = []
    for i in range(len(bounds)):
        for j in range(i, min(i + 6, len(bounds))):
            if bounds[j][1] - bounds[i][0] > max_chars:
                if j == i:       # one clause longer than the limit: hard cut
                    windows.append((bounds[i][0], bounds[i][0] + max_chars))
                break
            windows.append((bounds[i][0], bounds[j][1]))
    return windows


_UNIT_END = re.compile(r"[。！？!?\n][”’」』）)\"']*\s*$")
_LEAD_MAX = 24


def _lead(text: str, unit_start: int, a: int) -> tuple[int, int] | None:
    """The first clause of the unit starting at unit_start, when the span starting at a lies beyond it."""
    m = re.match(r"[^，,：:；;。！？!?\n]{2,%d}[，,：:]" % _LEAD_MAX, text[unit_start:a])
    return (unit_start, unit_start + m.end()) if m else None


def _candidates(hits: list[Hit], max_chars: int) -> list[_Candidate]:
    out = []
    for i, hit in enumerate(hits):
        context = f"{hit.article} {hit.section} {hit.text}".lower()
        sentences = split_sentences(hit.text)
        unit_start = 0
        for n, (a, b) in enumerate(sentences):
            if n == 0 or _UNIT_END.search(hit.text[sentences[n - 1][0]:sentences[n - 1][1]]):
                unit_start = a
            # A sentence that leans on the one before it (现场，… / 会上，…) is only quoted with that one.
            if n and _ANAPHORA.match(hit.text[a:b]) and b - sentences[n - 1][0] <= 1.5 * max_chars:
                spans = [(sentences[n - 1][0], b)]
            else:
                spans = [(a, b)] if b - a <= max_chars else _clause_windows(hit.text, a, b, max_chars)
            out += [_Candidate(i, x, y, hit.text[x:y], context, b, _lead(hit.text, unit_start, x))
                    for x, y in spans if y - x >= 6]
    return out


def _with_lead(c: _Candidate, seg: "_Segment", text: str) -> _Candidate:
    """The candidate with its lead clause, when the lead holds words of the question part the candidate lacks."""
    if c.lead is None:
        return c
    lead = text[c.lead[0]:c.lead[1]]
    if seg.terms.matched_weight(lead + c.text) <= seg.terms.matched_weight(c.text):
        return c
    if not text[c.lead[1]:c.start].strip():      # adjacent: simply start earlier
        return dataclasses.replace(c, start=c.lead[0], text=text[c.lead[0]:c.end], lead=None)
    return _respan(dataclasses.replace(c, with_lead=True), text, c.start, c.end)


def _spans(c: _Candidate) -> list[tuple[int, int]]:
    return ([c.lead] if c.with_lead else []) + [(c.start, c.end)]


def _respan(c: _Candidate, text: str, start: int, end: int) -> _Candidate:
    """The candidate over text[start:end], keeping its lead while the lead still lies before it."""
    with_lead = c.with_lead and c.lead is not None and c.lead[1] < start
    c = dataclasses.replace(c, start=start, end=end, with_lead=with_lead)
    return dataclasses.replace(c, text="……".join(text[a:b] for a, b in _spans(c)))


@dataclass
class _Segment:
    """One part of the question, with the clause that holds its question word as its focus."""
    text: str
    terms: TermWeights
    focus: TermWeights
    head: TermWeights
    numeric: bool
    listing: bool
    defining: bool
    defined: str = ""       # for 'X 指什么', the X (last quoted phrase) whose definition is wanted
    previous: TermWeights | None = None   # a later part often omits its subject (…？2024年规模怎么控制？)
    # Noun phrases with rare qualifiers, as ([(qualifier, seen in the corpus)], head): 博士后科研工作站
    phrases: list[tuple[list[tuple[str, bool]], str]] = field(default_factory=list)
    named: list[str] = field(default_factory=list)     # bureau vocabulary words the part names (创新券)
    head_phrase: str = ""                               # the answer head as written: 国家重大工程


def _rare_phrases(text: str, tokenizer, idf) -> list[tuple[list[tuple[str, bool]], str]]:
    """The question's noun phrases whose qualifiers include rare words (IDF ≥ RARE_IDF), with those words."""
    unseen = idf("\x00")
    phrases = []
    for mods, head in tokenizer.noun_phrases(text):
        weights = [(m, idf(m)) for m in mods if len(m) > 1]
        rare = [(m, w < unseen) for m, w in weights if w >= RARE_IDF]
        if len(head) > 1 and rare:
            phrases.append((rare, head))
    return phrases


def _segment(text: str, tokenizer, idf, soft: float = 0.0) -> _Segment:
    clauses = [c for c in re.split(r"[，,、]", text) if c.strip()] or [text]
    focus = next((c for c in reversed(clauses) if _QUESTION_WORD.search(c)), clauses[-1])
    head = tokenizer.answer_head(text)
    # The part's words as a whole may match softly; its focus and answer head name what is asked: exactly.
    return _Segment(text, TermWeights(tokenizer.query_terms(text), idf, tokenizer.aliases, soft),
                    TermWeights(tokenizer.query_terms(focus), idf, tokenizer.aliases),
                    TermWeights([w for w in tokenizer.words(" ".join(head)) if not NUMERIC_Q.search(w)],
                                idf, tokenizer.aliases),
                    bool(NUMERIC_Q.search(text)), bool(LIST_Q.search(text)), bool(_DEFINE_Q.search(text)),
                    (re.findall(r"[“\"「]([^”\"」]{1,20})[”\"」]", text) or [""])[-1],
                    phrases=_rare_phrases(text, tokenizer, idf),
                    named=[w for w in tokenizer.named if w in text.lower()],
                    head_phrase="".join(head))


def _score(c: _Candidate, seg: _Segment, whole: TermWeights, others: list[_Segment]) -> float:
    # The sentence must hold what is asked (focus clause, answer head); the rest of the question may be
    # held by the passage around it (title, neighbouring sentences).
    cov = seg.terms.coverage(c.text)
    score = 0.25 * cov + 0.3 * seg.focus.coverage(c.text) + 0.25 * whole.coverage(c.passage)
    if seg.head.terms:
        score += 0.2 * seg.head.coverage(c.text)
    if seg.previous is not None:
        score += 0.15 * seg.previous.coverage(c.text)
    # A sentence that answers another part of the question better is less likely to answer this one.
    rival = max((o.terms.coverage(c.text) for o in others if _answers(o, c.text)), default=0.0)
    score -= 0.3 * max(0.0, rival - cov)
    if seg.numeric and _DIGIT.search(c.text):
        score += 0.15
    if seg.listing and "、" in c.text:
        score += 0.1
        if _lists_head(seg, c.text):       # the list names instances of what is asked
            score += 0.2
    if seg.defining and _DEFINITION.search(c.text):
        score += 0.15
        if seg.defined and re.search(re.escape(seg.defined) + r"[”\"」]?\s*(?:是指|指的是|即|是)", c.text):
            score += 0.3
    if seg.terms.opens_with_key_term(c.text):
        score += 0.08
    return score + 0.04 / (1 + c.hit_index) - 0.001 * len(c.text)


_ITEMS = r"[^，,。；;：:、]{1,24}(?:、[^，,。；;：:、]{1,24})+"


def _lists_head(seg: _Segment, text: str) -> bool:
    """The sentence enumerates instances of what is asked: A、B、C等产品 / 国家重大工程…比如A、B、C."""
    if len(seg.head_phrase) < 2:
        return False
    text = text.lower()
    for m in re.finditer(re.escape(seg.head_phrase), text):
        if re.search(_ITEMS + r"(?:等|及其他)?[^，,。；;、]{0,10}$", text[:m.start()]) or \
                re.match(r"[^。；;]{0,8}?(?:比如|例如|包括|如|有|是|：|:)" + _ITEMS, text[m.end():]):
            return True
    return False


def _intersect(p: tuple[int, int], q: tuple[int, int]) -> bool:
    return p[0] < q[1] and q[0] < p[1]


def _overlaps(c: _Candidate, x: _Candidate) -> bool:
    return c.hit_index == x.hit_index and _intersect((c.start, c.end), (x.start, x.end))


def answer_type_ok(segment: str, text: str) -> bool:
    """Does text hold the kind of fact the segment asks for (a date, an amount of money, a number)?"""
    if _ASKS_TIME.search(segment):
        return bool(_HAS_TIME.search(text))
    if _ASKS_DATE.search(segment):
        return bool(_HAS_DATE.search(text))
    if _ASKS_DOCUMENT.search(segment):
        return bool(_HAS_TITLE.search(text))
    if _ASKS_MONEY_ANY.search(segment):
        return bool(_HAS_MONEY.search(text))
    if NUMERIC_Q.search(segment):
        if _ASKS_MONEY.search(segment):
            return bool(_HAS_MONEY.search(text))
        return bool(_HAS_NUMBER.search(text))
    return True


def _extend(c: _Candidate, text: str, max_chars: int, wanted) -> _Candidate:
    """Take along the following clauses of the same sentence that carry more of what was asked
    (`wanted(clause)`), allowing one clause without it in between, within 1.6 × max_chars:
    …30万元资助，并按…补助，最高不超过100万元 / 实施“四大工程”，即A工程、B工程、C工程…"""
    end, gap = c.end, 0
    for m in _CLAUSE.finditer(text, c.end, c.sentence_end):
        if not m.group() or m.end() - c.start > 1.6 * max_chars:
            break
        if wanted(m.group()):
            end, gap = m.end(), 0
        elif gap:
            break
        else:
            gap = 1
    return c if end == c.end else _respan(c, text, c.start, end)


def _names_another(seg: _Segment, c: _Candidate) -> bool:
    """The sentence names the kind of thing asked about (院士工作站, 综合整治) but a rare word qualifying the one
    asked about (博士后 in 博士后科研工作站, 化工企业 in 化工企业整治) is nowhere in its passage."""
    text = c.text.lower()
    return any(head in text and not seg.terms.present(m, c.passage) for mods, head in seg.phrases for m, _ in mods)


def _off_subject(seg: _Segment, c: _Candidate) -> bool:
    """The passage does not speak of what is asked about: a bureau programme the question names (创新券) or a rare
    word qualifying its subject (博士后) that the corpus does hold is not there."""
    return (any(not seg.terms.present(w, c.passage) for w in seg.named)
            or any(seen and not seg.terms.present(m, c.passage) for mods, _ in seg.phrases for m, seen in mods))


_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_RELATIVE_YEAR = {"今年": 0, "本年": 0, "当年": 0, "去年": -1, "上年": -1, "前年": -2, "明年": 1}


def _years_held(segment: str, c: _Candidate, date: str) -> bool:
    """Every year the question part names is in the candidate's passage, or is what the passage calls
    今年/去年/前年, or, when the sentence names no year, the year its document dates from (magazines rarely
    name the current year). A question about 2021 is not answered by a sentence about 2015 and 2020."""
    years = set(_YEAR.findall(segment))
    if not years:
        return True
    held = set(_YEAR.findall(c.passage))
    if _YEAR.match(date or ""):
        year = int(date[:4])
        held.update(str(year + d) for w, d in _RELATIVE_YEAR.items() if w in c.passage)
        if not _YEAR.search(c.text):
            held.add(str(year))
    return years <= held


def _answers(seg: _Segment, text: str, body: str | None = None) -> bool:
    """The sentence holds the kind of fact asked for; for a figure, it also names what the figure is of
    (净利润是多少 is not answered by a sentence about 营业收入). A lead clause may give the date (11月26日，…；…)
    but not the figure asked for: that must be in the sentence itself (`body`)."""
    if not answer_type_ok(seg.text, text if body is None or _ASKS_DATE.search(seg.text) else body):
        return False
    return not (seg.numeric and seg.head.terms) or seg.head.coverage(text) > 0


def extractive_answer(question: str, hits: list[Hit], tokenizer, idf, min_coverage: float = 0.5,
                      max_sentences: int = 3, max_chars: int = 100, type_slack: float = 0.3,
                      soft: float = 0.0) -> Answer:
    if not hits:
        return Answer(question, NOT_FOUND, False)
    if not is_chinese(question):      # the passages are Chinese: an English question would match a caption
        return Answer(question, NOT_FOUND, False, related=tuple(hits[:3]), notes=("请用中文提问",))
    whole = TermWeights(tokenizer.query_terms(question), idf, tokenizer.aliases, soft)
    segments = [_segment(s, tokenizer, idf, soft) for s in question_segments(question)[:max_sentences]]
    for before, seg in zip(segments, segments[1:]):
        seg.previous = before.terms
    chosen: list[_Candidate] = []
    missing: list[str] = []
    candidates = _candidates(hits, max_chars)
    for seg in segments:
        pick = _pick(seg, [o for o in segments if o is not seg], candidates, hits, whole, tokenizer, type_slack)
        if pick is None:
            missing.append(seg.text)
        else:
            _merge_pick(chosen, _widen(pick, seg, hits, max_chars), hits, max_chars)
    # Support: how much of the whole question the chosen sentences and their passages hold.
    coverage = max((whole.coverage(c.passage) for c in chosen), default=0.0)
    if not chosen or coverage < min_coverage:
        return Answer(question, NOT_FOUND, False, related=tuple(hits[:3]), coverage=coverage)
    return _compose(question, hits, chosen, coverage, missing)


def _pick(seg, others, candidates, hits: list[Hit], whole, tokenizer, type_slack: float) -> _Candidate | None:
    """The part's best sentence that holds the kind of fact asked for, unless it is much weaker than the best;
    None when that sentence is about another year or another subject (the documents do not hold this part)."""
    pool = [_with_lead(c, seg, hits[c.hit_index].text) for c in candidates]
    scored = sorted(((_score(c, seg, whole, others), c) for c in pool), key=lambda sc: -sc[0])
    best = scored[0][0] if scored else 0.0
    pick = next((c for sc, c in scored if sc >= best - type_slack
                 and _answers(seg, c.text, hits[c.hit_index].text[c.start:c.end])
                 and not _names_another(seg, c)
                 and (not _ASKS_PERSON.search(seg.text) or tokenizer.has_person_name(c.text))), None)
    if pick is None or not _years_held(seg.text, pick, hits[pick.hit_index].date) or _off_subject(seg, pick):
        return None
    return pick


def _widen(pick: _Candidate, seg, hits: list[Hit], max_chars: int) -> _Candidate:
    """A figure or a list asked: take in the neighbouring clauses that carry more of it."""
    if seg.numeric or _ASKS_MONEY_ANY.search(seg.text):
        return _extend(pick, hits[pick.hit_index].text, max_chars, _DIGIT.search)
    if seg.listing:
        return _extend(pick, hits[pick.hit_index].text, max_chars, lambda clause: "、" in clause)
    return pick


def _merge_pick(chosen: list[_Candidate], pick: _Candidate, hits: list[Hit], max_chars: int) -> None:
    """Add one part's quote to the answer; text already quoted for another part is not quoted twice."""
    if pick.with_lead and any(x.hit_index == pick.hit_index and _intersect(pick.lead, s)
                              for x in chosen for s in _spans(x)):
        # Its lead is already quoted with another part of the answer.
        pick = _respan(dataclasses.replace(pick, with_lead=False), hits[pick.hit_index].text, pick.start, pick.end)
    same = next((n for n, x in enumerate(chosen) if _overlaps(pick, x)), None)
    if same is None:
        chosen.append(pick)
        return
    # Two parts answered by overlapping text: quote their union once.
    a, b = min(chosen[same].start, pick.start), max(chosen[same].end, pick.end)
    if b - a <= 1.5 * max_chars:
        chosen[same] = _respan(pick, hits[pick.hit_index].text, a, b)


def _compose(question: str, hits: list[Hit], chosen: list[_Candidate], coverage: float,
             missing: list[str]) -> Answer:
    """The answer text (one quote per part, numbered by passage) and its citations."""
    numbers: dict[int, int] = {}
    citations: dict[int, list] = {}
    pieces = []
    for cand in chosen:
        hit = hits[cand.hit_index]
        n = numbers.setdefault(cand.hit_index, len(numbers) + 1)
        citations.setdefault(cand.hit_index, []).extend(_spans(cand))
        quote = "……".join(hit.text[a:b].strip().rstrip("，,：:；;。") for a, b in _spans(cand)).replace("\n", " ")
        pieces.append(f"{quote}[{n}]")
    text = "；".join(pieces) + "。"
    cites = tuple(
        Citation(n=numbers[i], hit=hits[i], quote="……".join(hits[i].text[a:b].strip() for a, b in spans),
                 spans=tuple(spans))
        for i, spans in sorted(citations.items(), key=lambda kv: numbers[kv[0]]))
    return Answer(question, text, True, cites, related=tuple(hits), coverage=coverage,
                  notes=tuple(f"资料中未找到：{m}" for m in missing))
