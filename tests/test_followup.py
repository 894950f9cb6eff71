"""Follow-up questions: a short, elliptical question is read against the previous one (kb.followup, kb.ask)."""
from __future__ import annotations

import shutil

import pytest

from kb.followup import resolve
from kb.library import KnowledgeBase
from kb.settings import load_settings

from conftest import CORPUS, HashEmbedding

POLICY = """常州市高新技术企业培育奖励办法

第一条 对首次认定的高新技术企业，给予一次性奖励20万元。

第二条 对再次认定的高新技术企业，给予一次性奖励10万元。

第三条 对新认定的省级工程技术研究中心，给予奖励50万元。

第四条 本办法自2023年1月1日起施行。
"""


@pytest.mark.unit
@pytest.mark.parametrize("question, history, reading", [
    ("那再次认定呢？", ["首次认定高企奖励多少？"], "再次认定高企奖励多少？"),
    ("潜在的呢？", ["常州有多少家企业入选独角兽瞪羚企业？"], "潜在常州有多少家企业入选独角兽瞪羚企业？"),
    ("那2023年呢？", ["2022年常州研发投入多少？"], "2023年常州研发投入多少？"),
    ("潜在的呢？", ["首次认定高企奖励多少？", "那再次认定呢？"], "潜在再次认定高企奖励多少？"),   # read on the reading
    ("那么常州科教城成立多少年了？", ["首次认定高企奖励多少？"], None),      # a question of its own
    ("高企奖励多少？", ["首次认定高企奖励多少？"], None),
    ("那再次认定呢？", [], None),
])
def test_follow_ups_are_read_against_the_previous_question(question, history, reading):
    assert resolve(question, history) == reading


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    root = tmp_path_factory.mktemp("followup")
    (root / "docs").mkdir()
    (root / "docs" / "奖励办法.txt").write_text(POLICY, encoding="utf-8")
    shutil.copy(CORPUS / "changzhou-keji-2023-03.txt", root / "docs")
    kb = KnowledgeBase(load_settings(env={"KB_DATA_DIR": str(root / "data")}), embedder=HashEmbedding())
    assert all(e.status == "ok" for e in kb.ingest([root / "docs"]))
    return kb


@pytest.mark.integration
def test_ask_carries_the_previous_subject_and_says_how_it_read_the_question(kb):
    first = kb.ask("首次认定高企奖励多少？")
    assert "20万元" in first.text
    answer = kb.ask("那再次认定呢？", history=["首次认定高企奖励多少？"])
    assert answer.answered and "10万元" in answer.text and "20万元" not in answer.text
    assert answer.notes[0] == "按上文理解为：再次认定高企奖励多少？"
    assert not any(n.startswith("按上文") for n in kb.ask("首次认定高企奖励多少？", history=["别的问题"]).notes)


@pytest.mark.integration
def test_elliptical_follow_up_finds_the_passage_of_its_subject(kb):
    answer = kb.ask("潜在的呢？", history=["常州有多少家企业入选独角兽瞪羚企业？"])
    passages = [c.hit.text for c in answer.citations] + [h.text for h in answer.related]
    assert any("潜在独角兽" in p for p in passages[:3])
    assert answer.notes[0].startswith("按上文理解为：潜在")
