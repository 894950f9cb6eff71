"""Run the dev question set through the library and print retrieval and answer quality by question type.

    python bench/eval_dev.py [--qa ../shared/eval/dev_qa.jsonl] [--k 5] [--failures]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.judge import answer_correct, covers, first_covering_rank  # noqa: E402
from kb.library import KnowledgeBase  # noqa: E402

DEFAULT_QA = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "dev_qa.jsonl"
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
        row = {"id": item["id"], "type": item["type"], "question": item["question"], "gold": item["answer"],
               "answer": answer.text, "answered": answer.answered, "seconds": elapsed,
               "coverage": round(answer.coverage, 3)}
        if evidence:
            row["recall"] = all(any(covers(p, s) for p in passages) for s in evidence)
            rank = first_covering_rank(passages, evidence[0])
            row["rr"] = 1.0 / rank if rank else 0.0
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
    parser.add_argument("--qa", default=str(DEFAULT_QA))
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--failures", action="store_true", help="list every failed question")
    parser.add_argument("--json", help="write per-question results to this file")
    args = parser.parse_args()
    items = [json.loads(line) for line in open(args.qa, encoding="utf-8") if line.strip()]
    kb = KnowledgeBase()
    if not kb.catalog.documents():
        for event in kb.ingest():
            print(event.message, file=sys.stderr)
    results = evaluate(kb, items, args.k)
    print(table(results, args.k))
    mean_ms = 1000 * sum(r["seconds"] for r in results) / len(results)
    print(f"\n{len(results)} questions, mean {mean_ms:.0f} ms per question (search + ask)")
    if args.failures:
        print("\nFailures:")
        for r in results:
            bad = [x for x in ("recall", "correct") if x in r and not r[x]]
            if bad:
                print(f"- {r['id']} [{r['type']}] {'/'.join(bad)}: {r['question']}")
                print(f"    gold:   {r['gold']}")
                print(f"    answer: {r['answer'][:200]}")
                for s in r.get("missing", []):
                    print(f"    missing evidence: {s[:60]}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
