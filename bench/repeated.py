"""Questions about measures the corpus reports more than once with different figures (bench/probe_repeated.jsonl,
pairs found by bench/find_repeated.py), split by bench/dataset.py into a tuning part and a check part.

    python bench/repeated.py [--failures] [--json FILE]

Two bars (issue 14): a question naming no time is right when the answer gives every differing figure, each
with a citation of its document; a question naming a time or asking for the newest is right when the answer
gives the expected figure, cited, and none of the others. Figures are compared as written (九年 ≠ 9年).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dataset import PARTS, part_of  # noqa: E402
from kb.library import KnowledgeBase  # noqa: E402

PROBE = Path(__file__).resolve().parent / "probe_repeated.jsonl"


def has(text: str, value: str) -> bool:
    """value in text as a figure of its own: 3% is not in 3.3%, 7年 not in 17年."""
    return re.search(r"(?<![\d.])" + re.escape(value), text) is not None


def cited(answer, figure: dict) -> bool:
    """The figure is in the answer's text and quoted by one of its citations of the expected document."""
    return has(answer.text, figure["value"]) and any(
        c.hit.doc_id == figure["doc"] and has(c.quote, figure["value"]) for c in answer.citations)


def judge(item: dict, answer) -> bool:
    if item["time"] == "none":
        return answer.answered and all(cited(answer, f) for f in item["figures"])
    return (answer.answered and any(cited(answer, f) for f in item["expect"])
            and not any(has(answer.text, v) for v in item["reject"]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--qa", default=str(PROBE))
    parser.add_argument("--failures", action="store_true")
    parser.add_argument("--json", help="write per-question results to this file")
    args = parser.parse_args()
    items = [json.loads(line) for line in open(args.qa, encoding="utf-8") if line.strip()]
    kb = KnowledgeBase(create=False)
    rows = []
    for item in items:
        t0 = time.perf_counter()
        answer = kb.ask(item["question"])
        rows.append({"id": item["id"], "part": part_of(item["id"]), "time": item["time"],
                     "question": item["question"], "answer": answer.text, "notes": list(answer.notes),
                     "correct": judge(item, answer), "ms": 1000 * (time.perf_counter() - t0),
                     "expected": [f["value"] for f in item.get("figures", item.get("expect", []))]})
    print(f"answerer: {kb.answerer_kind()}, dated: {kb.settings.dated}")
    print("| part | no time named: every figure with its source | time named / newest: correct |")
    print("|---|---|---|")
    for part in PARTS:
        mine = [r for r in rows if r["part"] == part]
        none = [r for r in mine if r["time"] == "none"]
        timed = [r for r in mine if r["time"] != "none"]
        cell = lambda rs: f"{sum(r['correct'] for r in rs)}/{len(rs)} = {sum(r['correct'] for r in rs) / len(rs):.2f}" \
            if rs else "–"
        print(f"| {part} | {cell(none)} | {cell(timed)} |")
    print(f"\n{len(rows)} questions, mean {sum(r['ms'] for r in rows) / len(rows):.0f} ms per question")
    if args.failures:
        print("\nFailures:")
        for r in rows:
            if not r["correct"]:
                print(f"- {r['id']} ({r['part']}, {r['time']}): {r['question']}\n    expected: {' / '.join(r['expected'])}"
                      f"\n    answer:   {r['answer'][:240]}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
