"""Fit the passage reranker (kb/rerank.py) on the tuning part and report MRR before and after it.

    KB_DATA_DIR=/tmp/kb .venv/bin/python bench/fit_reranker.py [--probes] [--variant all] [--write]

For every answerable question, the whole question's fused list (reranking off) is cut to its first
KB_RERANK_DEPTH passages; a passage is positive when it covers one of the question's evidence snippets. A softmax
ranker (bench/fit_answerer.fit_ranker) is fit on the tuning questions, its L2 strength chosen by 5-fold MRR within
them. The table gives the whole question's list MRR@5 (first snippet, as bench/judge.retrieved) per part and type,
fused order beside reranked; the full pipeline's figures (parts fused) come from bench/eval_dev.py.

--variant all fits on more features (the fused list's BM25 and dense scores, the passage's and its title's
coverage, the best pair of sentences): tried in the ninth session; see docs/quality.md.
"""
from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dataset import load, part_of  # noqa: E402
from bench.fit_answerer import fit_ranker  # noqa: E402
from bench.judge import covers  # noqa: E402
from kb.answer.scorer import Linear  # noqa: E402
from kb.library import KnowledgeBase  # noqa: E402
from kb.model import Filters  # noqa: E402
from kb.rerank import NAMES, sentences, to_json  # noqa: E402
from kb.settings import load_settings  # noqa: E402
from kb.text import TermWeights  # noqa: E402

HERE = Path(__file__).resolve().parent
PROBES = ("probe_answerable.jsonl", "probe_tune_answerable.jsonl")
HELD_OUT = ("probe_heldout_answerable.jsonl",)
EXTRA = ("bm25", "dense", "passage_coverage", "title_coverage", "pair_coverage")


def gather(kb: KnowledgeBase, items: list[dict], depth: int, variant: str) -> list[dict]:
    """Per question: its features (rows of the first depth passages), labels (any snippet, first snippet)."""
    st, out = kb.stores, []
    for item in items:
        if not item.get("evidence"):
            continue
        q = item["question"]
        hits = kb.retriever.search(q, Filters(), top_k=depth, by_parts=False)
        weighted = TermWeights(st.tokenizer.query_terms(q), st.bm25.idf, st.tokenizer.aliases, kb.settings.soft_match)
        x = np.array(kb.retriever.rerank_features(hits, weighted, st.embedder.get_query_embedding(q)), float)
        if variant == "all":
            x = np.hstack([x, extra_features(hits, weighted)])
        out.append({"item": item, "x": x,
                    "any": np.array([any(covers(h.text, s) for s in item["evidence"]) for h in hits], float),
                    "first": np.array([covers(h.text, item["evidence"][0]) for h in hits], bool)})
    return out


def extra_features(hits, weighted: TermWeights) -> np.ndarray:
    best_bm25 = max([h.bm25_score or 0.0 for h in hits] + [1e-9])
    dense = [h.dense_score for h in hits if h.dense_score is not None] or [0.0]
    rows = []
    for h in hits:
        units = sentences(h.text) or [h.text]
        pairs = [a + b for a, b in zip(units, units[1:])] or units
        rows.append(((h.bm25_score or 0.0) / best_bm25, (h.dense_score if h.dense_score is not None else min(dense))
                     - max(dense), weighted.coverage(h.text), weighted.coverage(f"{h.title} {h.article} {h.section}"),
                     max(weighted.coverage(p) for p in pairs)))
    return np.array(rows, float)


def reciprocal_rank(first: np.ndarray, scores: np.ndarray | None, k: int = 5) -> float:
    order = np.arange(len(first)) if scores is None else np.argsort(-scores, kind="stable")
    hit = np.flatnonzero(first[order][:k])
    return 1.0 / (hit[0] + 1) if len(hit) else 0.0


def fit(rows: list[dict], c: float) -> Linear:
    x = np.vstack([r["x"] for r in rows])
    y = np.concatenate([r["any"] for r in rows])
    groups = np.concatenate([np.full(len(r["x"]), i) for i, r in enumerate(rows)])
    mean, scale, coef, intercept = fit_ranker(x, y, groups, c)
    names = NAMES + EXTRA if x.shape[1] > len(NAMES) else NAMES
    return Linear(names, tuple(mean), tuple(scale), tuple(coef), intercept)


def scores(model: Linear, r: dict) -> np.ndarray:
    return np.array([model.logit(v) for v in r["x"]])


def choose_c(rows: list[dict], grid=(0.03, 0.1, 0.3, 1.0, 3.0), folds: int = 5) -> float:
    def cv(c):
        out = []
        for f in range(folds):
            model = fit([r for i, r in enumerate(rows) if i % folds != f], c)
            out += [reciprocal_rank(r["first"], scores(model, r)) for i, r in enumerate(rows) if i % folds == f]
        return float(np.mean(out))
    results = {c: cv(c) for c in grid}
    print("5-fold MRR on the tuning questions by c: " + ", ".join(f"{c}: {m:.3f}" for c, m in results.items()))
    return max(grid, key=lambda c: (round(results[c], 3), -c))     # ties: the stronger penalty


def table(groups: dict[str, list[dict]], model: Linear) -> str:
    lines = ["| set | type | n | MRR@5 fused | MRR@5 reranked |", "|---|---|---|---|---|"]
    for name, rows in groups.items():
        by_type = defaultdict(list)
        for r in rows:
            by_type[r["item"].get("type", "")].append(r)
            by_type["all"].append(r)
        for kind in sorted(by_type, key=lambda t: (t == "all", t)):
            rs = by_type[kind]
            before = np.mean([reciprocal_rank(r["first"], None) for r in rs])
            after = np.mean([reciprocal_rank(r["first"], scores(model, r)) for r in rs])
            lines.append(f"| {name} | {kind} | {len(rs)} | {before:.3f} | {after:.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--probes", action="store_true", help="add the project's tuning probes to the tuning part")
    parser.add_argument("--variant", choices=["chosen", "all"], default="chosen")
    parser.add_argument("--c", type=float, default=None, help="inverse L2 strength (default: by 5-fold MRR)")
    parser.add_argument("--write", action="store_true", help="write the model to KB_RERANK_MODEL")
    args = parser.parse_args()
    settings = load_settings()
    kb = KnowledgeBase(settings.replace(rerank_depth=0))          # the fused order the reranker starts from
    depth = settings.rerank_depth or 20
    items = load()
    tune = gather(kb, [q for q in items if part_of(q["id"]) == "tune"], depth, args.variant)
    if args.probes:
        tune += gather(kb, load(tuple(HERE / p for p in PROBES)), depth, args.variant)
    check = gather(kb, [q for q in items if part_of(q["id"]) == "check"], depth, args.variant)
    held = gather(kb, load(tuple(HERE / p for p in HELD_OUT)), depth, args.variant)
    c = args.c if args.c is not None else choose_c(tune)
    model = fit(tune, c)
    print(f"{len(tune)} tuning questions, depth {depth}, c {c}")
    for name, w in zip(model.names, model.coef):
        print(f"  {name:20s} {w:+.3f}")
    print(table({"tune": tune, "check": check, "held-out probe": held}, model))
    if args.write:
        if args.variant != "chosen":
            raise SystemExit("only the chosen features are the product's (kb.rerank.NAMES)")
        fitted = {"date": datetime.date.today().isoformat(), "questions": len(tune), "depth": depth, "c": c,
                  "probes": args.probes}
        path = Path(settings.rerank_model)
        path.write_text(json.dumps(to_json(model, kb.embedder.model_name, fitted), indent=1) + "\n", encoding="utf-8")
        print(f"written {path}")


if __name__ == "__main__":
    main()
