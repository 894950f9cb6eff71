"""Features of a candidate quote for one question part: named functions, each a number the scorer weighs.

Which of them matter, and how much, is fit from the tuning questions (bench/fit_answerer.py), not set here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from ingest.chunking import split_sentences

from ..retrieve import Hit
from .candidates import Candidate
from .kinds import KINDS, OTHER, holds_unit
from .qualifiers import clashes, holds_role, roles
from .question import RELATIVE_YEAR, YEAR, Part, Question

_ANAPHORA = re.compile(r"^[■\s]*(?:现场|会上|会议上|会议期间|活动中|活动现场|其中|此次|期间|同时|对此|为此|此外)[，,]")
_HEADINGISH = re.compile(r"[，,。；;！？!?]")
_NUMBERED = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|\d+[.、．]|（[一二三四五六七八九十\d]+）|第[一二三四五六七八九十]+[章节条])")


@dataclass(frozen=True)
class Env:
    """What features may look at beyond the part and the candidate; `memo` holds per-passage values."""
    question: Question
    hits: list[Hit]
    tokenizer: object
    unseen_idf: float
    # Dense vectors (unit length) of the parts (as queries) and of the passages' sentences, by text; empty
    # when the caller has none, and the dense features are then 0.
    part_vectors: Mapping[str, np.ndarray] = field(default_factory=dict)
    sentence_vectors: Mapping[str, np.ndarray] = field(default_factory=dict)
    memo: dict = field(default_factory=dict)

    def once(self, key, fn):
        if key not in self.memo:
            self.memo[key] = fn()
        return self.memo[key]


def per_passage(fn):
    """A feature that depends on the part and the candidate's passage only: computed once per passage."""
    def feature(part, cand, env):
        return env.once((id(fn), id(part), cand.hit_index), lambda: fn(part, cand, env))
    feature.__name__ = fn.__name__
    return feature


# A feature the caller cannot compute (no vectors): the scorer reads it as its training mean, so that it
# neither helps nor hurts a quote, instead of as "no similarity at all".
MISSING = float("nan")


def sentence_spans(text: str) -> list[tuple[int, int, str]]:
    """A passage's sentences with their offsets: the units whose vectors the dense feature compares."""
    return [(a, b, text[a:b].strip()) for a, b in split_sentences(text)]


def _sentences(env: Env, hit_index: int) -> list[tuple[int, int, str]]:
    return env.once(("sentences", hit_index), lambda: sentence_spans(env.hits[hit_index].text))


def dense_similarity(part, cand, env) -> float:
    """Cosine of the part and the quote's closest sentence: a paraphrase shares meaning, not words."""
    q = env.part_vectors.get(part.text)
    if q is None:
        return MISSING
    sims = [float(q @ v) for a, b, t in _sentences(env, cand.hit_index)
            if a < cand.end and cand.start < b and (v := env.sentence_vectors.get(t)) is not None]
    return max(sims, default=0.0)


def _neighbour(env: Env, cand: Candidate, step: int) -> str:
    """The sentence just before (step -1) or after (+1) the quote in its passage."""
    spans = _sentences(env, cand.hit_index)
    if step < 0:
        return next((t for a, b, t in reversed(spans) if b <= cand.start), "")
    return next((t for a, b, t in spans if a >= cand.end), "")


def _held(part: Part, cand: Candidate, env: Env) -> bool:
    kind = part.kind
    if kind.name == "person":
        # A person in the role asked (院长是谁): a name, and that role, not only its deputy (roles: once a part).
        return (all(holds_role(r, cand.text) for r in roles(part.text))
                and env.once(("person", cand.text), lambda: env.tokenizer.has_person_name(cand.text)))
    return bool(kind.evidence.search(cand.text)) if kind.evidence is not None else False


def kind_held(part, cand, env) -> float:
    return float(_held(part, cand, env))


def kind_missing(part, cand, env) -> float:
    needs = part.kind.evidence is not None or part.kind.name == "person"
    return float(needs and not _held(part, cand, env))


def unit_missing(part, cand, env) -> float:
    """A count asked in a unit (多少家, 几位) and no figure of the quote is in it: the quote counts other things."""
    return float(bool(part.unit) and not holds_unit(part.unit, cand.text))


def years_of(cand: Candidate, hit: Hit, text_only: bool = False) -> set[str]:
    """Years a quote speaks of: those it names; else (magazines rarely name the current year) its document's
    year, with 今年/去年 in the passage resolved against it."""
    named = set(YEAR.findall(cand.text))
    if text_only:
        return named
    held = named | set(YEAR.findall(cand.context))
    if YEAR.match(hit.date or ""):
        year = int(hit.date[:4])
        held.update(str(year + d) for w, d in RELATIVE_YEAR.items() if w in cand.context)
        if not named:
            held.add(str(year))
    return held


def year_missing(part, cand, env) -> float:
    if not part.years:
        return 0.0
    return float(bool(part.years) and not part.years <= years_of(cand, env.hits[cand.hit_index]))


def year_in_quote(part, cand, env) -> float:
    return float(bool(part.years) and part.years <= years_of(cand, env.hits[cand.hit_index], text_only=True))


def _share_absent(words, text, weights) -> float:
    return sum(not weights.present(w, text) for w in words) / len(words) if words else 0.0


@per_passage
def rare_absent_passage(part, cand, env) -> float:
    return _share_absent(part.rare, cand.context, part.terms)


def rare_absent_quote(part, cand, env) -> float:
    return _share_absent(part.rare, cand.text.lower(), part.terms)


@per_passage
def slot_absent_passage(part, cand, env) -> float:
    return _share_absent(part.slot.terms, cand.context, part.slot)


@per_passage
def head_absent_passage(part, cand, env) -> float:
    return float(bool(part.head.terms) and part.head.coverage(cand.context) == 0)


def year_other_in_quote(part, cand, env) -> float:
    """The quote dates itself to another year than the one asked (its passage may still name the asked year)."""
    named = set(YEAR.findall(cand.text))
    return float(bool(part.years and named) and not part.years & named)


FIGURE = re.compile(r"\d+(?:\.\d+)?")      # a number as written: 12 / 6.42


def figures(text: str) -> set[str]:
    """The figures of a text, years aside."""
    return {f for f in FIGURE.findall(text) if not YEAR.fullmatch(f)}


def stated_figures_only(part, cand, env) -> float:
    """Every figure of the quote is one the question itself states (那9家…里，有多少…): the quote restates the
    premise, not the fact asked."""
    asked = figures(part.text)
    quoted = figures(cand.text)
    return float(bool(asked and quoted) and quoted <= asked)


def _spots(words: list[str], aliases, text: str) -> list[int]:
    out = []
    for w in words:
        for s in (w, *aliases.get(w, ())):
            i = text.find(s)
            while i >= 0:
                out.append(i)
                i = text.find(s, i + 1)
    return out


def figure_near_slot(part, cand, env) -> float:
    """How close the quote's fact of the kind asked sits to the words naming what is asked (占地 … 亩,
    成立于 … 年): a figure far from them is usually another measure of the same subject."""
    evidence = part.kind.evidence
    if evidence is None:
        return 0.0
    text = cand.text.lower()
    facts = [m.start() for m in evidence.finditer(text)]
    spots = _spots([*part.slot.terms, *part.head.terms], part.terms.aliases, text)
    if not facts or not spots:
        return 0.0
    return 1.0 / (1.0 + min(abs(f - s) for f in facts for s in spots) / 10)


KIND_NAMES = tuple(kind.name for kind in (*KINDS, OTHER))
FEATURES: tuple[tuple[str, Callable[[Part, Candidate, Env], float]], ...] = (
    ("part_coverage", lambda p, c, e: p.terms.coverage(c.text)),
    ("focus_coverage", lambda p, c, e: p.focus.coverage(c.text)),
    ("head_coverage", lambda p, c, e: p.head.coverage(c.text) if p.head.terms else 0.0),
    ("head_absent_passage", head_absent_passage),
    ("slot_coverage", lambda p, c, e: p.slot.coverage(c.text) if p.slot.terms else 0.0),
    ("slot_absent_passage", slot_absent_passage),
    ("part_coverage_passage", per_passage(lambda p, c, e: p.terms.coverage(c.context))),
    ("question_coverage_passage", per_passage(lambda p, c, e: e.question.whole.coverage(c.context))),
    ("subject_coverage_passage", per_passage(lambda p, c, e: p.subject.coverage(c.context) if p.subject else 0.0)),
    ("rival_part", lambda p, c, e: max((o.terms.coverage(c.text) - p.terms.coverage(c.text)
                                        for o in e.question.parts if o is not p), default=0.0)),
    ("kind_held", kind_held),
    ("kind_missing", kind_missing),
    ("unit_missing", unit_missing),
    ("year_missing", year_missing),
    ("year_in_quote", year_in_quote),
    ("year_other_in_quote", year_other_in_quote),
    ("qualifier_clash", lambda p, c, e: min(clashes(e.question.text, c.text), 2) / 2),
    ("qualifier_clash_passage", per_passage(lambda p, c, e: min(clashes(e.question.text, c.context), 2) / 2)),
    ("stated_figures_only", stated_figures_only),
    ("figure_near_slot", figure_near_slot),
    ("rare_absent_passage", rare_absent_passage),
    ("rare_absent_quote", rare_absent_quote),
    ("unseen_share", per_passage(lambda p, c, e: sum(w for t, w in p.terms.weights.items()
                                                     if p.terms.idf_of(t) >= e.unseen_idf) / p.terms.total)),
    ("rank", lambda p, c, e: 1.0 / (1 + c.hit_index)),
    ("fused_score", lambda p, c, e: e.hits[c.hit_index].score),
    ("dense_score", lambda p, c, e: e.hits[c.hit_index].dense_score or 0.0),
    ("dense_similarity", dense_similarity),
    ("previous_coverage", lambda p, c, e: p.terms.coverage(_neighbour(e, c, -1))),
    ("next_coverage", lambda p, c, e: p.terms.coverage(_neighbour(e, c, 1))),
    ("sentences", lambda p, c, e: c.units - 1.0),
    ("length", lambda p, c, e: len(c.text) / 100),
    ("fragment", lambda p, c, e: float(c.fragment)),
    ("headingish", lambda p, c, e: float(not _HEADINGISH.search(c.text.strip()) and len(c.text) < 40)),
    ("numbered_opening", lambda p, c, e: float(bool(_NUMBERED.match(c.text)))),
    ("opens_passage", lambda p, c, e: float(c.first)),
    ("anaphora", lambda p, c, e: float(bool(_ANAPHORA.match(c.text)))),
    ("opens_with_key_term", lambda p, c, e: float(p.terms.opens_with_key_term(c.text))),
    ("list_shape", lambda p, c, e: min(c.text.count("、"), 5) / 5 if p.kind.name == "list" else 0.0),
    ("definition_shape", lambda p, c, e: kind_held(p, c, e) if p.kind.name == "define" else 0.0),
) + tuple(
    # What the part asks for, one indicator per answer kind: how often a question of a kind is one the documents
    # cannot answer differs by kind (a figure asked is a near miss more often than a list); the same for every
    # candidate of a part, so only the refusal model weighs them.
    (f"asks_{name}", lambda p, c, e, name=name: float(p.kind.name == name)) for name in KIND_NAMES)
# Each of these also as its distance to the part's best candidate: how a quote stands among the others.
RELATIVE = ("part_coverage", "focus_coverage", "head_coverage", "fused_score", "kind_held", "dense_similarity",
            "slot_coverage")
# Features that say why a part cannot be answered, not which quote answers it: only the refusal model weighs them.
REFUSAL_ONLY = ("year_other_in_quote", "qualifier_clash", "qualifier_clash_passage", "stated_figures_only",
                "figure_near_slot", *(f"asks_{name}" for name in KIND_NAMES))
NAMES = tuple(name for name, _ in FEATURES) + tuple(f"{n}_gap" for n in RELATIVE)
_RELATIVE_AT = tuple(NAMES.index(n) for n in RELATIVE)


def vectors(part: Part, pool: list[Candidate], env: Env) -> list[tuple[float, ...]]:
    rows = [[fn(part, c, env) for _, fn in FEATURES] for c in pool]
    best = [max((r[i] for r in rows if r[i] == r[i]), default=MISSING) for i in _RELATIVE_AT]
    return [tuple(r + [r[i] - b for i, b in zip(_RELATIVE_AT, best)]) for r in rows]
