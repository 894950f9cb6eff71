"""Run the dev question set through the library and print retrieval and answer quality by question type.

    python bench/eval_dev.py [--part tune|check|all] [--qa FILE ...] [--k 5] [--failures]

By default both dev sets (../shared/eval/dev_qa.jsonl, dev2_qa.jsonl), split by bench/dataset.py into the tuning
part and the check part, each with its own table.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dataset import DEFAULT_SETS, PARTS, load, part_of  # noqa: E402
from bench.judge import answer_correct, covers, retrieved  # noqa: E402
from kb.library import KnowledgeBase  # noqa: E402

TYPES = ["lexical", "paraphrase", "numeric", "multi", "unanswerable"]


def evaluate(kb: KnowledgeBase, items: list[dict], k: int) -> list[dict]:
    results = []
    for item in items:
        t0 = time.perf_counter()
        hits = kb.search(item["question"], top_k=k)
        answer = kb.ask(item["question"])
        elapsed = time.perf_counter() - t0
        passages = [h.text for h in hits]
        evidence = item["evidence"]
        row = {"id": item["id"], "part": part_of(item["id"]), "type": item["type"], "question": item["question"], "gold": item["answer"],
               "answer": answer.text, "answered": answer.answered, "seconds": elapsed,
               "coverage": round(answer.coverage, 3)}
        if evidence:
            row["recall"], row["rr"] = retrieved(passages, evidence)
            row["missing"] = [s for s in evidence if not any(covers(p, s) for p in passages)]
            row["correct"] = answer.answered and answer_correct(answer.text, item["answer"])
        else:
            row["correct"] = not answer.answered
        results.append(row)
    return results


def table(results: list[dict], k: int) -> str:
    by_type = defaultdict(list)
    for r in results:
        by_type[r["type"]].append(r)
    lines = [f"| type | n | recall@{k} | MRR | answer accuracy | refused |", "|---|---|---|---|---|---|"]

    def row(name, rs):
        if not rs:
            return
        ans = [r for r in rs if "recall" in r]
        rec = f"{sum(r['recall'] for r in ans) / len(ans):.3f}" if ans else "–"
        mrr = f"{sum(r['rr'] for r in ans) / len(ans):.3f}" if ans else "–"
        acc = sum(r["correct"] for r in rs) / len(rs)
        refused = sum(not r["answered"] for r in rs) / len(rs)
        lines.append(f"| {name} | {len(rs)} | {rec} | {mrr} | {acc:.3f} | {refused:.3f} |")

    for t in TYPES:
        if by_type[t]:
            row(t, by_type[t])
    row("answerable", [r for r in results if r["type"] != "unanswerable"])
    row("all", results)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--qa", nargs="+", default=[str(p) for p in DEFAULT_SETS])
    parser.add_argument("--part", default="split", choices=["split", "all", *PARTS],
                        help="split: a table for each part (default); all: one table; tune/check: that part only")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--failures", action="store_true", help="list every failed question")
    parser.add_argument("--json", help="write per-question results to this file")
    args = parser.parse_args()
    items = load(args.qa)
    kb = KnowledgeBase()
    if not kb.catalog.documents():
        for event in kb.ingest():
            print(event.message, file=sys.stderr)
    results = evaluate(kb, items, args.k)
    parts = PARTS if args.part == "split" else (args.part,)
    for part in parts:
        chosen = [r for r in results if part == "all" or r["part"] == part]
        print(f"\n{part} part ({len(chosen)} questions)" if part != "all" else "")
        print(table(chosen, args.k))
    mean_ms = 1000 * sum(r["seconds"] for r in results) / len(results)
    print(f"\n{len(results)} questions, mean {mean_ms:.0f} ms per question (search + ask)")
    if args.failures:
        print("\nFailures:")
        for r in results:
            bad = [x for x in ("recall", "correct") if x in r and not r[x]]
            if bad and (args.part in ("split", "all") or r["part"] == args.part):
                print(f"- {r['id']} ({r['part']}) [{r['type']}] {'/'.join(bad)}: {r['question']}")
                print(f"    gold:   {r['gold']}")
                print(f"    answer: {r['answer'][:200]}")
                for s in r.get("missing", []):
                    print(f"    missing evidence: {s[:60]}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
