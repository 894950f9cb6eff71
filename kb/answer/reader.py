"""The fitted answerer (KB_ANSWERER=fitted; no LLM): for each part of the question, the candidate quote the fitted scorer rates
highest, given when its probability clears the calibrated threshold; otherwise that part is refused with a
named reason. The answer quotes the passages verbatim with numbered citations."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..model import NOT_FOUND, Answer, Citation, PartExplain, ScoredQuote
from ..retrieve import Hit
from .candidates import CLAUSE, MIN_CHARS, TRIM_FROM, Candidate, candidates
from .features import FIGURE, NAMES, Env, sentence_spans, vectors, years_of
from .qualifiers import conflicts
from .question import YEAR, Part, Question, SourceRef, analyse
from .scorer import Scorer, load


@dataclass(frozen=True)
class Scored:
    cand: Candidate
    x: tuple[float, ...]
    p: float               # the candidate model's probability


# texts, as_query → one unit-length vector per text (passage vectors come from the cache filled at ingest)
Embed = Callable[[list[str], bool], list[np.ndarray]]


def passage_sentences(passages: list[str]) -> list[str]:
    """The distinct sentences of the passages whose vectors the dense feature compares (cached at ingest, by text)."""
    return sorted({t for p in passages for _, _, t in sentence_spans(p)})


def _vectors(q: Question, hits: list[Hit], embed: Embed | None) -> dict:
    if embed is None:
        return {}
    parts = [p.text for p in q.parts]
    sentences = passage_sentences([h.text for h in hits])
    return {"part_vectors": dict(zip(parts, embed(parts, True))),
            "sentence_vectors": dict(zip(sentences, embed(sentences, False)))}


_TITLE_CHARS = re.compile(r"[\u4e00-\u9fff\d]")


def _bigrams(text: str) -> set[str]:
    text = "".join(_TITLE_CHARS.findall(text))
    return {text[i:i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def named_source(source: SourceRef | None, hits: list[Hit]) -> set[int] | None:
    """The passages of the source a part names, by index: of the kind its noun implies, whose document or article
    title (with its publication, issue and date) holds at least half of the words' character pairs. None when
    the part names no source or no passage is of it: the part is then read from every passage."""
    if source is None:
        return None
    want = _bigrams(source.words)
    found = set()
    for i, h in enumerate(hits):
        meta = _bigrams(f"{h.title}{h.article}{h.publication}{h.issue}{h.date.replace('-', '年')}")
        if (not source.kind or h.kind == source.kind) and (not want or 2 * len(want & meta) >= len(want)):
            found.add(i)
    return found or None


def score_parts(question: str, hits: list[Hit], tokenizer, idf, scorer: Scorer | None,
                soft: float, max_parts: int, embed: Embed | None = None
                ) -> tuple[Question, list[list[Scored]], Env]:
    """Every candidate of the passages scored for every part of the question, best first. With no scorer
    (when fitting one) the probabilities are 0. The features' environment is returned for cutting the quotes."""
    q = analyse(question, tokenizer, idf, soft, max_parts)
    pool = candidates(hits)
    env = Env(q, hits, tokenizer, idf("\x00"), **_vectors(q, hits, embed))
    out = []
    for part in q.parts:
        read = named_source(part.source, hits)
        cands = pool if read is None else [c for c in pool if c.hit_index in read]
        rows = zip(cands, vectors(part, cands, env))
        scored = [Scored(c, x, scorer.candidate.probability(x) if scorer else 0.0) for c, x in rows]
        out.append(sorted(scored, key=lambda s: (-s.p, s.cand.hit_index, s.cand.start)))
    return q, out, env


def covering_run(part: Part, cand: Candidate, env: Env) -> Candidate:
    """A long quote cut to the shortest run of its clauses that holds as much of the question as the whole
    quote, widened by the clauses next to it that hold a fact of the kind asked (国内…40%，海外…20%): the rest of
    a long sentence is about something else (…中心投资8亿元，将为…提供支撑 → …中心投资8亿元)."""
    if len(cand.text) <= TRIM_FROM:
        return cand
    text = env.hits[cand.hit_index].text
    clauses = [(cand.start + m.start(), cand.start + m.end()) for m in CLAUSE.finditer(cand.text) if m.group().strip()]
    want = part.terms.coverage(cand.text) - 1e-9
    spans = [(i, j) for i in range(len(clauses)) for j in range(i, len(clauses))
             if part.terms.coverage(text[clauses[i][0]:clauses[j][1]]) >= want]
    if not spans:
        return cand
    i, j = min(spans, key=lambda ij: (clauses[ij[1]][1] - clauses[ij[0]][0], ij[0]))
    evidence = part.kind.evidence
    if evidence is not None:
        while i > 0 and evidence.search(text[slice(*clauses[i - 1])]):
            i -= 1
        while j + 1 < len(clauses) and evidence.search(text[slice(*clauses[j + 1])]):
            j += 1
    a, b = clauses[i][0], clauses[j][1]
    if (a, b) == (cand.start, cand.end) or len(text[a:b].strip()) < MIN_CHARS:
        return cand
    return Candidate(cand.hit_index, a, b, text[a:b], cand.context, cand.units, True, cand.first and a == cand.start)


def _reason(part: Part, best: Scored | None, hits: list[Hit], q_text: str) -> str:
    """A refusal in the user's terms, from what the best candidate lacks."""
    if best is None:
        return "检索到的段落中没有可引用的句子"
    f = dict(zip(NAMES, best.x))
    c = best.cand
    if f["year_missing"]:
        have = sorted(years_of(c, hits[c.hit_index]))
        return f"资料中没有{'、'.join(sorted(part.years))}年的相关内容" + (f"（找到的是{'、'.join(have[-3:])}年）" if have else "")
    if f["year_other_in_quote"]:
        return f"找到的句子说的是{'、'.join(sorted(set(YEAR.findall(c.text))))}年，不是所问的{'、'.join(sorted(part.years))}年"
    if f["qualifier_clash"]:
        asked, quoted = conflicts(q_text, c.text)[0]
        return f"找到的句子说的是“{quoted}”，不是所问的“{asked}”"
    if f["unit_missing"]:
        return f"找到的句子中没有以“{part.unit}”计的数字"
    absent = [w for w in part.naming if not part.terms.present(w, c.context)] if f["rare_absent_passage"] else []
    if absent:
        return f"资料未提及“{'、'.join(absent)}”"
    if f["head_absent_passage"] and part.asked:
        return f"找到的段落未提及所问的“{''.join(part.asked)}”"
    if f["kind_missing"]:
        return f"找到的句子中没有所问的{part.kind.label}"
    return "找到的段落与问题相关度不足"


def _union(x: Candidate, y: Candidate, hits: list[Hit], limit: int) -> Candidate | None:
    if x.hit_index != y.hit_index or not (x.start < y.end and y.start < x.end):
        return None
    start, end = min(x.start, y.start), max(x.end, y.end)
    if end - start > limit:
        return None
    text = hits[x.hit_index].text
    return Candidate(x.hit_index, start, end, text[start:end], x.context, x.units, x.fragment, x.first)


def extractive_answer(question: str, hits: list[Hit], tokenizer, idf, soft: float = 0.5, max_parts: int = 3,
                      scorer: Scorer | None = None, threshold: float | None = None, explain_top: int = 3,
                      min_support: float = 0.35, embed: Embed | None = None) -> Answer:
    if not hits:
        return Answer(question, NOT_FOUND, False)
    scorer = scorer or load()
    q, per_part, env = score_parts(question, hits, tokenizer, idf, scorer, soft, max_parts, embed)
    return compose(q, per_part, hits, scorer, scorer.threshold if threshold is None else threshold, explain_top,
                   min_support, env)


_YEAR_MISSING = NAMES.index("year_missing")
_KIND_MISSING = NAMES.index("kind_missing")
_SUPPORT = NAMES.index("question_coverage_passage")


def _passes(x, min_support: float) -> bool:
    """The named refusal reasons, as hard gates: another year, no fact of the kind asked, or a passage that
    holds too little of the question."""
    return not x[_YEAR_MISSING] and not x[_KIND_MISSING] and x[_SUPPORT] >= min_support


def first_passing(scored: list[Scored], min_support: float) -> Scored | None:
    """The best candidate that passes the named refusal reasons: the one whose answerability is judged."""
    return next((s for s in scored if _passes(s.x, min_support)), None)


def _other_sources(scored: list[Scored], best: Scored, hits: list[Hit], scorer: Scorer, threshold: float,
                   min_support: float, limit: int = 2) -> list[Candidate]:
    """For a part that asks whether the sources agree: the best quote of each other article, where it passes
    the same gates and threshold as the part's own answer."""
    def where(s: Scored) -> tuple[str, str]:
        return hits[s.cand.hit_index].doc_id, hits[s.cand.hit_index].article

    seen, out = {where(best)}, []
    for s in scored:
        if len(out) == limit:
            break
        if where(s) in seen or not _passes(s.x, min_support):
            continue
        seen.add(where(s))          # each article offers its best quote only
        if scorer.answerable(s.x, s.p) >= threshold:
            out.append(s.cand)
    return out


def _figure_of(part: Part, quote: str) -> str | None:
    """The quote's first figure of the kind asked, as written; a year (2021年…) is when, not what."""
    numbers = list(FIGURE.finditer(quote))
    for m in part.kind.evidence.finditer(quote):
        # The kind's pattern may match one digit of a number (50万元 from its last, 120家 from its first): the
        # figure is the whole number that digit belongs to.
        f = next((f for f in numbers if f.start() <= m.start() < f.end()), None)
        if f and not (YEAR.fullmatch(f.group()) and quote[f.end():f.end() + 1] == "年"):
            return f.group()
    return None


def _agreement(part: Part, quotes: list[str]) -> str:
    """The reply to “do the sources agree?”: the first figure of the kind asked in each quote, compared."""
    if part.kind.evidence is None:
        return "各处说法："
    figures = [_figure_of(part, quote) for quote in quotes]
    if any(f is None for f in figures):
        return "各处说法："
    return "各处说法一致：" if len(set(figures)) == 1 else "各处说法不一样："


def _where(hit: Hit) -> str:
    return f"《{hit.article or hit.title}》一文"


def compose(q: Question, per_part: list[list[Scored]], hits: list[Hit], scorer: Scorer, threshold: float,
            explain_top: int = 3, min_support: float = 0.35, env: Env | None = None) -> Answer:
    """The answer from the scored candidates: each part's best quote when the part is judged answerable, a long
    one cut to the clauses that answer (given the features' environment)."""
    chosen: list[tuple[Candidate, str]] = []     # a quote, and the source label a comparison gives it
    explains, confidence = [], []
    for part, scored in zip(q.parts, per_part):
        # A quote that fails a named refusal reason is never given (the next best quote that passes may be).
        best = first_passing(scored, min_support)
        if best is None and scored:
            best = scored[0]
            p = 0.0
        else:
            p = scorer.answerable(best.x, best.p) if best else 0.0
        ok = best is not None and p >= threshold and q.chinese
        reason = "" if ok else ("请用中文提问" if not q.chinese else _reason(part, best, hits, q.text))
        explains.append(PartExplain(part.text, part.kind.name, ok, reason, round(p, 4), tuple(
            ScoredQuote(s.cand.text, hits[s.cand.hit_index].source, s.p, tuple(zip(NAMES, s.x)))
            for s in scored[:explain_top])))
        if not ok:
            continue
        confidence.append(p)
        picks = [best.cand] + (_other_sources(scored, best, hits, scorer, threshold, min_support)
                               if part.compare else [])
        if env is not None:
            picks = [covering_run(part, c, env) for c in picks]
        lead = _agreement(part, [c.text for c in picks]) if len(picks) > 1 else ""
        for k, pick in enumerate(picks):
            label = ((lead if k == 0 else "") + f"{_where(hits[pick.hit_index])}：") if lead else ""
            merged = next(((i, u) for i, (c, _) in enumerate(chosen)
                           if (u := _union(c, pick, hits, 300)) is not None), None)
            if merged:
                chosen[merged[0]] = (merged[1], chosen[merged[0]][1])
            else:
                chosen.append((pick, label))
    if not chosen:
        return Answer(q.text, NOT_FOUND, False, related=tuple(hits[:3]), explain=tuple(explains),
                      notes=tuple(e.reason for e in explains if e.reason)[:1])
    numbers: dict[int, int] = {}
    spans: dict[int, list[tuple[int, int]]] = {}
    pieces = []
    for c, label in chosen:
        n = numbers.setdefault(c.hit_index, len(numbers) + 1)
        spans.setdefault(c.hit_index, []).append((c.start, c.end))
        quote = hits[c.hit_index].text[c.start:c.end].strip().rstrip("，,：:；;。").replace("\n", " ")
        pieces.append(f"{label}{quote}[{n}]")
    cites = tuple(Citation(numbers[i], hits[i], "……".join(hits[i].text[a:b].strip() for a, b in s), tuple(s))
                  for i, s in sorted(spans.items(), key=lambda kv: numbers[kv[0]]))
    notes = tuple(f"资料中未找到：{e.part}（{e.reason}）" for e in explains if not e.answered)
    return Answer(q.text, "；".join(pieces) + "。", True, cites, related=tuple(hits), coverage=min(confidence),
                  notes=notes, explain=tuple(explains))
