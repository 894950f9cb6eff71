"""Whether the dense search gives the same candidates in every process, at each search breadth (docs/quality.md).

    KB_DATA_DIR=<indexed data dir> .venv/bin/python bench/dense_breadth.py [--ef 100 512]

For each breadth (KB_DENSE_SEARCH_EF, set on the store when a process opens it) two fresh processes, one after the
other, rank the dense candidates and the evidence of every tuning question. The table counts the questions whose
lists differ between the two processes and the mean time of a dense query (the store already open). A last
process only opens the store, which puts back the configured breadth.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dataset import load  # noqa: E402


def dump(out: str) -> None:
    """In this process: each tuning question's dense candidates and evidence (ids and rounded scores)."""
    from kb.library import KnowledgeBase
    from kb.model import Filters
    from kb.settings import load_settings

    kb = KnowledgeBase(load_settings())
    items = load(part="tune")
    kb.vectors.query(kb.embedder.get_query_embedding(items[0]["question"]), 1, Filters())   # opens the store
    rows, spent = {}, 0.0
    for item in items:
        vector = kb.embedder.get_query_embedding(item["question"])
        start = time.perf_counter()
        dense = kb.vectors.query(vector, kb.settings.candidates, Filters())
        spent += time.perf_counter() - start
        evidence = kb.evidence(item["question"])
        rows[item["id"]] = {"dense": [(c, round(s, 6)) for c, s in dense],
                            "evidence": [(h.chunk_id, round(h.score, 6)) for h in evidence]}
    Path(out).write_text(json.dumps({"rows": rows, "ms": 1000 * spent / max(len(rows), 1)}), encoding="utf-8")


def run(ef: int, out: Path) -> dict:
    env = {**os.environ, "KB_DENSE_SEARCH_EF": str(ef)}
    subprocess.run([sys.executable, __file__, "--dump", str(out)], env=env, check=True)
    return json.loads(out.read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ef", type=int, nargs="+", default=[100, 512])
    parser.add_argument("--dump", help=argparse.SUPPRESS)
    parser.add_argument("--reopen", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dump:
        dump(args.dump)
        return
    if args.reopen:
        from kb.library import KnowledgeBase
        from kb.settings import load_settings
        KnowledgeBase(load_settings()).vectors.store          # opening it sets the breadth
        return
    print("| ef_search | questions | dense lists differing | evidence differing | query ms (1st / 2nd process) |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for ef in args.ef:
            first, second = (run(ef, Path(tmp) / f"{ef}-{i}.json") for i in (1, 2))
            a, b = first["rows"], second["rows"]
            dense = sum(a[q]["dense"] != b[q]["dense"] for q in a)
            evidence = sum(a[q]["evidence"] != b[q]["evidence"] for q in a)
            print(f"| {ef} | {len(a)} | {dense} | {evidence} | {first['ms']:.2f} / {second['ms']:.2f} |", flush=True)
    subprocess.run([sys.executable, __file__, "--reopen"], check=True)


if __name__ == "__main__":
    main()
