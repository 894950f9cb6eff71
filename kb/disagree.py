"""Answers that know when: the figure an answer gives, checked against the other passages that report it.

After the answerer has quoted a figure, the candidates (more than the answer's top passages) are read for
claims of the same subject, unit and measure (kb.claims). With no time in the question, differing figures are
all given, newest first, each with its document and date (“两处数据不一致：…”). A question asking for the newest
(目前, 最新) gets the newest figure and its source; one naming a time or a source (2020年上半年, 按2023年的杂志)
gets the figure of that time. Every citation carries its fact's date.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from .answer.question import split_parts
from .claims import _PLACES, FILLER_WORDS, Claim, passage_claims, question_subject
from .dated import date_label, fact_date, sentence_span
from .model import Answer, Citation, Disagreement, Figure
from .retrieve import Hit
from .text import TermWeights
from .when import TimeScope, time_scope

_ASKED_UNIT = (
    (re.compile(r"(?:多少|几)\s*(家|个|项|人|名|位|件|所|座|篇|批|台|套|条|倍|亩|届|款|户|支|人次)"), None),
    (re.compile(r"连续\s*(?:多少|几)\s*年|(?:多少|几)\s*年"), "年"),
    (re.compile(r"比重|占比|比例|百分之|增速|增长率|贡献率|覆盖率|[%％]"), "%"),
    (re.compile(r"多少\s*(?:亿|万)?\s*元|金额|GDP|gdp|生产总值|产值|收入|营收|经费|投入|资金|总额|规模"), "元"),
)
# Words of a question that say when or where, not what is measured.
_NOT_MEASURE = re.compile(r"(?:19|20)\d{2}\s*年(?:度)?|上半年|下半年|目前|现在|最新|今年|当前|如今|近期|最近|至今|"
                          r"十[一二三四五]五|期间|时期|以来|按|根据|依据|杂志|期刊|刊物|报道|报纸|新闻|汇编|那期|一期|"
                          r"说法|常州市|常州|全市|我市")


@dataclass(frozen=True)
class Asked:
    """What a question asks a figure of."""
    text: str                 # the question without its time and place words
    subject: str
    unit: str | None


def asked(question: str) -> Asked:
    unit = None
    for pattern, fixed in _ASKED_UNIT:
        m = pattern.search(question)
        if m:
            unit = fixed or m.group(1)
            break
    return Asked(_PLACES.sub(" ", _NOT_MEASURE.sub(" ", question)), question_subject(question), unit)


def _maximal(terms: list[str]) -> list[str]:
    """Search-mode words without their parts (科技企业孵化器, not also 科技, 企业, 孵化)."""
    return [t for t in terms if not any(t != u and t in u for u in terms)]


def _fit(claim: Claim, question: TermWeights, question_text: str, tokenizer, idf, soft: float) -> float:
    """How well a claim's measure matches the question's: the harmonic mean of the share of the question's
    words the measure holds and the share of the measure's words the question holds (IDF-weighted)."""
    recall = question.coverage(claim.measure)
    terms = _maximal(tokenizer.query_terms(claim.measure.replace("·", " ")))
    if not terms:
        return 0.0
    precision = TermWeights(terms, idf, tokenizer.aliases, soft).coverage(question_text)
    return 0.0 if not recall or not precision else 2 * recall * precision / (recall + precision)


def _names_part(claim: Claim, terms: list[str], weights: TermWeights) -> bool:
    """The question holds a word of the part's label that its whole's label lacks (国家级 of 孵化器·国家级)."""
    whole = claim.measure.split("·")[0]
    return any(weights.present(t, claim.part.lower()) and not weights.present(t, whole.lower()) for t in terms)


@dataclass(frozen=True)
class Scored:
    """A claim, how well its measure fits the question's (_fit), and which of the question's words it holds."""
    claim: Claim
    fit: float
    holds: frozenset[str]


def _tail(measure: str, terms: list[str], weights: TermWeights) -> int:
    """Characters after the last word of the question in a measure: 众创空间、孵化器等各类科技创业平台 counts
    平台, not 孵化器 (a long tail), while 科技进步贡献率达 ends with what was asked."""
    text, last = measure.lower().split("·")[-1], -1
    for t in terms:
        for w in (t, *weights.aliases.get(t, ())):
            i = text.rfind(w)
            if i >= 0:
                last = max(last, i + len(w))
    return len(text) - last if last >= 0 else len(text)


def relevant_claims(question: str, hits: list[Hit], tokenizer, idf, soft: float = 0.0,
                    min_fit: float = 0.5, max_tail: int = 4) -> list[Scored]:
    """Reported (not planned) figures of the question's subject and of the unit asked for, whose measure holds
    at least min_fit of the question's (IDF-weighted) words and ends with them; one per article and value."""
    want = asked(question)
    named = named_publications(question, hits)
    text = want.text
    for name in named:                      # a source named is not what is measured
        text = text.replace(name, " ")
    want = dataclasses.replace(want, text=text)
    # 建成了多少家孵化器: how a figure is reported (建成, 拥有, 累计) is not what it measures.
    terms = [t for t in _maximal(tokenizer.query_terms(want.text)) if t not in FILLER_WORDS]
    if not terms:
        return []
    weights = TermWeights(terms, idf, tokenizer.aliases, soft)
    scored, seen = [], set()
    for hit in hits:
        for claim in passage_claims(hit):
            ident = (hit.doc_id, hit.article, claim.value, claim.unit)
            if claim.target or claim.subject != want.subject or ident in seen:
                continue
            if named and _publication(hit) not in named:
                continue            # 2021年科技日报报道的…: that paper's figure
            if want.unit and claim.unit != want.unit:
                continue
            # A part (国家级33家 of 154家孵化器) answers only a question that names the part (国家级孵化器).
            if claim.part and not _names_part(claim, terms, weights):
                continue
            if weights.coverage(claim.measure) < min_fit or _tail(claim.measure, terms, weights) > max_tail:
                continue
            seen.add(ident)
            holds = frozenset(t for t in terms if weights.present(t, claim.measure.lower()))
            fit = _fit(claim, weights, want.text, tokenizer, idf, soft)
            if set(_QUALIFIERS.findall(claim.measure)) - set(_QUALIFIERS.findall(question)):
                fit /= 2        # 新增3家国家级孵化器 is not what 国家级孵化器有几家 asks
            scored.append(Scored(claim, fit, holds))
    return scored


# -- one measure -------------------------------------------------------------------
# Words that make another measure of the same thing: 国家级 and 省级 孵化器, 新增 and 累计 项目.
_QUALIFIERS = re.compile(r"国家级|省级|市级|区级|新增|净增|上榜|认定|备案|申报|培育|拟")


def same_measure(a: Scored, b: Scored, idf, min_same: float) -> bool:
    """Two claims of one measure: the same unit, subject and qualifiers (国家级孵化器 is not 孵化器, 新增项目 not
    项目), and mostly the same words of the question (IDF-weighted overlap at least min_same: 高技能人才数 and
    高技术人才数 are one measure worded twice)."""
    x, y = a.claim, b.claim
    if x.unit != y.unit or x.subject != y.subject:
        return False
    if set(_QUALIFIERS.findall(x.measure)) != set(_QUALIFIERS.findall(y.measure)):
        return False
    weight = lambda terms: sum(min(idf(t), TermWeights.IDF_CAP) for t in terms)
    union = weight(a.holds | b.holds)
    return bool(union) and weight(a.holds & b.holds) / union >= min_same


def measure_group(anchor: Scored, scored: list[Scored], idf, min_same: float) -> list[Claim]:
    """The claims of the anchor's measure, one per sentence (the best fitting), the anchor among them."""
    best: dict[tuple, Scored] = {}
    for s in scored:
        if s is not anchor and not same_measure(anchor, s, idf, min_same):
            continue
        a, b = sentence_span(s.claim.hit.text, s.claim.start)
        key = (s.claim.hit.doc_id, s.claim.hit.text[a:b].strip())
        if key not in best or s is anchor or (best[key] is not anchor and s.fit > best[key].fit):
            best[key] = s
    return [s.claim for s in best.values()]


# -- quoting ---------------------------------------------------------------------
_CLAUSE_END = "，,；;。！？\n"


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause a figure stands in (up to the next comma), and the clause before it when the figure's own
    holds no words of what it measures (地区生产总值跨过两个千亿元台阶，达7805亿元)."""
    a = max(text.rfind(c, 0, start) for c in _CLAUSE_END) + 1
    ends = [i for i in (text.find(c, end) for c in _CLAUSE_END) if i >= 0]
    b = min(ends) if ends else len(text)
    opening = text.rfind("（", a, b)
    if opening >= 0 and text.find("）", opening) > b:          # 孵化器128家（国家级25家、省级…）: keep the bracket
        b = text.find("）", opening) + 1
    if len(re.sub(r"\W", "", text[a:start])) < 3 and a > 1:
        a = max(text.rfind(c, 0, a - 1) for c in _CLAUSE_END) + 1
    return a, b


def _quote(claim: Claim) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The figure's clause, after its sentence's lead clause when that is where its date comes from
    (2022年，…：“2022年，常州实现地区生产总值9550亿元”)."""
    text = claim.hit.text
    a, b = _clause(text, claim.start, claim.end)
    spans = [(a, b)]
    s, _ = sentence_span(text, claim.start)
    lead_end = min([i for i in (text.find(c, s) for c in "，,") if 0 <= i < a] or [-1])
    if claim.dated_by_sentence and lead_end > s and _dates_in(text[s:lead_end]):
        spans.insert(0, (s, lead_end))
    pieces = [text[x:y].strip().replace("\n", "") for x, y in spans]
    joiner = "，" if len(spans) == 2 and text[spans[0][1] + 1:spans[1][0]].strip() == "" else "……"
    return joiner.join(pieces), tuple(spans)


def _dates_in(text: str) -> bool:
    return bool(re.search(r"(?:19|20)\d{2}\s*年|今年|去年|上半年|前三季度", text))


def _newest_first(claims: list[Claim]) -> list[Claim]:
    return sorted(claims, key=lambda c: (c.date, c.hit.date), reverse=True)


def _source(claim: Claim) -> str:
    """The document, short (a news item's paper, not its headline), and its date."""
    title = claim.hit.title.split("：")[0] if claim.hit.kind == "news" else claim.hit.title
    when = date_label(claim.hit.date)
    return f"{title}（{when}）" if title and when not in title.replace("第", "") else (title or when)


def _figures_answer(question: str, chosen: list[Claim], answer: Answer, scope: TimeScope,
                    keep: bool = False) -> Answer:
    """An answer stating each chosen claim with its source and date, newest first; with keep (a question of
    several parts), after the answer's own text and citations."""
    base = answer.citations if keep else ()
    first_n = max((c.n for c in base), default=0) + 1
    pieces, cites, figures = [], list(base), []
    for n, claim in enumerate(chosen, start=first_n):
        quote, spans = _quote(claim)
        pieces.append(f"据{_source(claim)}，{quote}[{n}]")
        cites.append(Citation(n, claim.hit, quote, spans, claim.date))
        figures.append(Figure(claim.surface, quote, n, claim.hit.title, claim.hit.date, claim.date))
    if len(chosen) > 1:
        text = f"{_COUNT.get(len(chosen), len(chosen))}处数据不一致：" + "；".join(pieces) + "。"
        disagreement = Disagreement(chosen[0].subject, chosen[0].measure, tuple(figures))
    else:
        text, disagreement = pieces[0] + "。", None
    if keep:
        text = answer.text.rstrip() + ("\n" if answer.text.strip() else "") + text
    notes = answer.notes
    if scope.mode != "none":
        notes = (f"按问题中的时间（{scope.label}）选取资料",) + notes
    return dataclasses.replace(answer, text=text, citations=tuple(cites), notes=notes, disagreement=disagreement,
                               answered=True)


_COUNT = {2: "两", 3: "三", 4: "四", 5: "五"}


# -- the post-step -----------------------------------------------------------------
def _stated(answer: Answer, claims: list[Claim]) -> list[Claim]:
    """The claims the answer quotes: inside a cited span, or the same value from the same document."""
    out = []
    for claim in claims:
        for cite in answer.citations:
            inside = cite.hit.chunk_id == claim.hit.chunk_id and any(a <= claim.start < b for a, b in cite.spans)
            same = cite.hit.doc_id == claim.hit.doc_id and re.search(r"(?<![\d.])" + re.escape(claim.surface),
                                                                     cite.quote) is not None
            if inside or same:
                out.append(claim)
                break
    return out


def _distinct(claims: list[Claim]) -> list[Claim]:
    """One claim per value (the newest), newest first."""
    by_value: dict[str, Claim] = {}
    for claim in _newest_first(claims):
        by_value.setdefault(claim.value, claim)
    return list(by_value.values())


def source_filter(question: str) -> tuple[str, str, str] | None:
    """(date_from, date_to, kind) of the source a question names (按2023年的杂志), else None."""
    scope = time_scope(question)
    if scope.mode != "source":
        return None
    return scope.start, scope.end + "-12", scope.kind


def _in_scope(claim: Claim, scope: TimeScope) -> bool:
    if scope.mode == "source":
        kind_ok = not scope.kind or claim.hit.kind == scope.kind
        return kind_ok and scope.holds(claim.hit.date[:4])
    return scope.holds(claim.date) or (not claim.dated_by_sentence and scope.reports(claim.hit.date))


def _publication(hit: Hit) -> str:
    return hit.publication.strip("《》 ")


def named_publications(question: str, hits: list[Hit]) -> set[str]:
    """Publications of the passages that the question names (2021年科技日报报道…, 《常州科技》上说…)."""
    return {_publication(h) for h in hits if len(_publication(h)) >= 2 and _publication(h) in question}


def with_fact_dates(answer: Answer) -> Answer:
    cites = tuple(dataclasses.replace(c, fact_date=c.fact_date or _citation_date(c)) for c in answer.citations)
    return dataclasses.replace(answer, citations=cites)


def _citation_date(cite: Citation) -> str:
    claims = [c for c in passage_claims(cite.hit) if any(a <= c.start < b for a, b in cite.spans)]
    if claims:
        return claims[0].date
    pos = cite.spans[0][1] - 1 if cite.spans else 0
    return fact_date(cite.hit.text, max(pos, 0), cite.hit.date)[0]


@dataclass(frozen=True)
class Policy:
    """The settings reconcile works under (kb.settings: KB_DATED_*)."""
    anchor_fit: float = 0.8        # the fit a claim needs to take the place of the answer's own figure
    min_same: float = 0.6          # same_measure: overlap of the question's words two claims hold
    margin: float = 0.15           # the answer's figure stays the anchor when its fit is this close to the best
    max_parts: int = 3             # a question of more parts keeps its answer, the figures follow it


def reconcile(question: str, answer: Answer, scored: list[Scored], tokenizer, idf,
              policy: Policy = Policy()) -> Answer:
    """The answer, dated and reconciled with the other passages' figures for the measure it quotes."""
    answer = with_fact_dates(answer)
    if not scored:
        return answer
    scope = time_scope(question)
    by_claim = {id(s.claim): s for s in scored}
    stated = [by_claim[id(c)] for c in _stated(answer, [s.claim for s in scored])] if answer.answered else []
    best = max(scored, key=lambda s: s.fit)
    if stated and max(s.fit for s in stated) >= best.fit - policy.margin:
        anchor = max(stated, key=lambda s: s.fit)
    elif best.fit >= policy.anchor_fit:
        # The answer quoted another measure (常州新增3家国家级孵化器 for 孵化器有多少家), another subject's
        # figure (常州高新区的GDP for 常州最新的GDP), or was refused although a passage gives the figure asked
        # for in so many words: the figure that fits the question best answers.
        anchor = best
    else:
        return answer
    group = measure_group(anchor, scored, idf, policy.min_same)
    stated = [c for c in group if any(c is s.claim for s in stated)]
    several = len(split_parts(question, policy.max_parts)) > 1
    if scope.mode in ("period", "source"):
        inside = _distinct([c for c in group if _in_scope(c, scope)])
        if not inside or any(_in_scope(c, scope) for c in stated):
            return answer
        return _figures_answer(question, inside, answer, scope, several)
    values = _distinct(group)
    if scope.mode == "latest":
        newest = values[0]
        if stated and newest.value in {c.value for c in stated}:
            # The answer already quotes the newest figure: it says where and when from.
            answer = dataclasses.replace(answer, text=f"据{_source(newest)}，{answer.text}")
        else:
            answer = _figures_answer(question, [newest], answer, scope, several)
        if len(values) > 1:
            older = "；".join(f"{_source(c)}为{c.surface}" for c in values[1:])
            answer = dataclasses.replace(answer, notes=answer.notes + (f"较早的资料另有数字：{older}",))
        return answer
    if len(values) < 2:
        return answer
    return _figures_answer(question, values, answer, scope, several)


def check_llm(answer: Answer, reference: Answer) -> Answer:
    """An LLM answer over passages that disagree: flag it when it leaves out a figure the passages give."""
    answer = with_fact_dates(answer)
    if not reference.disagreement or not answer.answered:
        return answer
    cited = {c.hit.chunk_id for c in answer.citations}
    by_n = {c.n: c for c in reference.citations}
    missing = tuple(f.value for f in reference.disagreement.figures
                    if f.value not in answer.text and by_n.get(f.n) and by_n[f.n].hit.chunk_id not in cited)
    if not missing:
        return dataclasses.replace(answer, disagreement=reference.disagreement)
    lines = "；".join(f"{f.title}（{date_label(f.doc_date)}）：{f.quote}" for f in reference.disagreement.figures)
    note = f"资料中对此有不一致的数字，回答未全部给出（缺：{'、'.join(missing)}）。各处数字：{lines}"
    return dataclasses.replace(answer, notes=answer.notes + (note,),
                               disagreement=dataclasses.replace(reference.disagreement, missing=missing))
