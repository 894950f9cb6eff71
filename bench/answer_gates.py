"""Extra hard refusal gates on top of the fitted answerer, judged on the tuning questions, the check part and the
held-out probe (docs/quality.md, "Tried and not kept").

    KB_DATA_DIR=<indexed data dir> .venv/bin/python bench/answer_gates.py

Each line: answerable correct / unanswerable refused / answerable refused per set, with the committed model.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import fit_answerer as fit  # noqa: E402
from bench.dataset import load  # noqa: E402
from kb.answer import reader  # noqa: E402
from kb.answer.features import NAMES  # noqa: E402
from kb.answer.scorer import load as load_model  # noqa: E402
from kb.library import KnowledgeBase  # noqa: E402
from kb.settings import load_settings  # noqa: E402

HERE = Path(__file__).resolve().parent
SLOT, RARE, HEAD, OTHER_YEAR, CLASH, CLASH_PASSAGE, UNIT = (NAMES.index(n) for n in (
    "slot_absent_passage", "rare_absent_passage", "head_absent_passage", "year_other_in_quote", "qualifier_clash",
    "qualifier_clash_passage", "unit_missing"))


def main() -> None:
    kb = KnowledgeBase(load_settings().replace(answerer="fitted"))
    sets = {"tune": load(part="tune") + load(tuple(HERE / f"probe_{n}.jsonl" for n in fit.PROBES)),
            "check": load(part="check"),
            "held": load((HERE / "probe_heldout_answerable.jsonl", HERE / "probe_heldout_unanswerable.jsonl"))}
    scorer = load_model(kb.settings.answer_model)
    asked = {name: fit.gather(kb, items) for name, items in sets.items()}
    for a in asked.values():
        fit.rescore(a, scorer.candidate)
    base = reader._passes
    gates = {"none": lambda x: True, "slot wholly absent": lambda x: x[SLOT] < 1.0,
             "slot half absent": lambda x: x[SLOT] < 0.5, "rare half absent": lambda x: x[RARE] < 0.5,
             "answer head absent": lambda x: not x[HEAD], "quote of another year": lambda x: not x[OTHER_YEAR],
             "qualifier clash": lambda x: not x[CLASH], "clash in the passage": lambda x: not x[CLASH_PASSAGE],
             "unit missing": lambda x: not x[UNIT]}
    for name, gate in gates.items():
        reader._passes = lambda x, m, gate=gate: base(x, m) and gate(x)
        cells = []
        for part, a in asked.items():
            r = fit.judge_answers(a, [scorer], scorer.threshold, kb.settings.answer_min_coverage)
            cells.append(f"{part} {r['correct']:.3f}/{r['refused_unanswerable']:.3f}/{r['refused_answerable']:.3f}")
        print(f"{name:20s} " + " | ".join(cells), flush=True)
    reader._passes = base


if __name__ == "__main__":
    main()
