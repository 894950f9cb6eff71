"""The evaluation questions and their fixed split into a tuning part and a check part.

Every weight and threshold of the answerer is chosen on the tuning part; figures are reported on the check part.
The split is by a hash of the question id, so it does not depend on file order and a new question lands in a part
that never changes.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
DEFAULT_SETS = (EVAL_DIR / "dev_qa.jsonl", EVAL_DIR / "dev2_qa.jsonl")
PARTS = ("tune", "check")


def part_of(question_id: str) -> str:
    """'tune' or 'check', half each, from the id's SHA-1."""
    return PARTS[hashlib.sha1(question_id.encode("utf-8")).digest()[0] % 2]


def load(paths=DEFAULT_SETS, part: str = "all") -> list[dict]:
    items = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            items += [json.loads(line) for line in fh if line.strip()]
    return [q for q in items if part == "all" or part_of(q["id"]) == part]
