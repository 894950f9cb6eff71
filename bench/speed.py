"""Speed on this machine: first ingest of the corpus, unchanged re-ingest, warm and cold `kb ask`.

    python bench/speed.py [--qa ../shared/eval/dev_qa.jsonl]

Uses a fresh temporary data dir (nothing cached), runs the real CLI as a user would, prints a table.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KB = [sys.executable, "-m", "cli.main"]
DEFAULT_QA = ROOT.parent / "shared" / "eval" / "dev_qa.jsonl"


def timed(args: list[str], env: dict, stdin: str | None = None) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, input=stdin)
    if out.returncode not in (0, 1):
        raise SystemExit(out.stderr)
    return time.perf_counter() - t0, out.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--qa", default=str(DEFAULT_QA))
    parser.add_argument("--data-dir", help="a new, empty folder to index into and keep (default: a temporary one)")
    args = parser.parse_args()
    questions = [json.loads(l) for l in open(args.qa, encoding="utf-8") if l.strip()]
    rows = []
    with (nullcontext(args.data_dir) if args.data_dir else tempfile.TemporaryDirectory()) as data_dir:
        env = {**os.environ, "KB_DATA_DIR": data_dir}
        first, _ = timed(KB + ["ingest", "-q"], env)
        rows.append(("first `kb ingest` of corpus/ (embeds every chunk)", f"{first:.1f} s", "≤ 300 s"))
        second, _ = timed(KB + ["ingest", "-q"], env)
        rows.append(("second `kb ingest`, nothing changed", f"{second:.2f} s", "≤ 10 s"))
        batch = Path(data_dir) / "q.jsonl"
        batch.write_text("\n".join(json.dumps({"id": q["id"], "question": q["question"]}, ensure_ascii=False)
                                   for q in questions), encoding="utf-8")
        single = Path(data_dir) / "one.jsonl"
        single.write_text(json.dumps({"id": 0, "question": questions[0]["question"]}, ensure_ascii=False))
        for answerer in ("rules", "fitted"):
            run_env = {**env, "KB_ANSWERER": answerer}
            t_one, _ = timed(KB + ["ask", "--batch", str(single)], run_env)
            t_all, out = timed(KB + ["ask", "--batch", str(batch)], run_env)
            warm = (t_all - t_one) / max(len(questions) - 1, 1)
            rows.append((f"`kb ask --batch`, warm, per question ({len(questions)} questions, KB_ANSWERER={answerer})",
                         f"{1000 * warm:.0f} ms", "≤ 150 ms"))
        colds = [timed(KB + ["ask", q["question"]], env)[0] for q in questions[:5]]
        rows.append(("cold `kb ask` process (mean of 5)", f"{sum(colds) / len(colds):.2f} s", "≤ 5 s"))
        disk = sum(f.stat().st_size for f in Path(data_dir).rglob("*") if f.is_file())
        rows.append(("data dir size after ingest", f"{disk / 2**20:.1f} MiB", ""))
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rows.append(("peak RSS of any child process", f"{peak:.0f} MiB", ""))
    print("| measure | result | bar |\n|---|---|---|")
    for name, value, bar in rows:
        print(f"| {name} | {value} | {bar} |")


if __name__ == "__main__":
    main()
