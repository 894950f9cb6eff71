"""Issue 15: nothing a file, a question or a failing disk does takes the knowledge base down or leaves it stuck.

Real files, real Chroma and BM25 in a temp data dir; the hash embedder (KB_EMBED_BACKEND=hash) stands in for the model.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kb.cli.main import main
from kb.embeddings import HashEmbedding
from kb.errors import KBError
from kb.library import KnowledgeBase
from kb.retrieve import Filters
from kb.settings import load_settings

A_TEXT = "常州科教城获评中国最佳创业园区第一名。\n\n科教城集聚各类研发机构，孵化科技企业超过三千家。"


@pytest.fixture
def cli(monkeypatch, data_dir, capsys):
    monkeypatch.setenv("KB_EMBED_BACKEND", "hash")

    def run(*argv) -> tuple[int, str, str]:
        rc = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return rc, out, err
    return run


def _kb(**env) -> KnowledgeBase:
    return KnowledgeBase(load_settings(env={**_env(), **env}), embedder=HashEmbedding())


def _env() -> dict:
    import os
    return {k: v for k, v in os.environ.items() if k.startswith("KB_")}


@pytest.fixture
def small(tmp_path, data_dir):
    """One document indexed in-process; returns its folder."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(A_TEXT, encoding="utf-8")
    events = list(_kb().ingest([folder]))
    assert [e.status for e in events] == ["ok"], [e.message for e in events]
    return folder


# -- 1. questions ------------------------------------------------------------------------------------------------

def test_a_huge_question_is_refused_at_once(small):
    kb = _kb()
    question = "常州科教城" * 2000                                    # 10,000 characters
    for call in (kb.search, kb.ask):
        started = time.perf_counter()
        with pytest.raises(KBError, match=r"^问题过长（10000 字），请控制在 500 字以内$"):
            call(question)
        assert time.perf_counter() - started < 1.0
    assert kb.search("科教城 研发机构", top_k=1)                        # still answering


def test_the_question_limit_is_a_setting(small):
    kb = _kb(KB_MAX_QUESTION_CHARS="5")
    with pytest.raises(KBError, match="请控制在 5 字以内"):
        kb.search("科教城研发机构")


def test_batch_reports_bad_lines_and_goes_on(tmp_path, small, cli):
    batch = tmp_path / "q.jsonl"
    batch.write_text("\n".join([
        json.dumps({"id": "ok1", "question": "科教城孵化了多少科技企业？"}, ensure_ascii=False),
        '{"id": "broken", "question": ',                            # truncated JSON
        json.dumps({"id": "nq"}),                                    # no question
        json.dumps({"id": "long", "question": "科" * 600}, ensure_ascii=False),
        "",
        json.dumps({"id": "ok2", "question": "科教城获评什么？"}, ensure_ascii=False),
    ]), encoding="utf-8")
    for command in ("ask", "search"):
        rc, out, err = cli(command, "--batch", batch)
        lines = [json.loads(line) for line in out.splitlines()]
        assert [line["id"] for line in lines] == ["ok1", 2, "nq", "long", "ok2"], out
        assert rc == 1 and not err
        assert "第 2 行不是有效的问题" in lines[1]["error"] and "第 3 行" in lines[2]["error"]
        assert lines[3]["error"] == "问题过长（600 字），请控制在 500 字以内"
        assert "error" not in lines[0] and "error" not in lines[4]


# -- 2. document identity ----------------------------------------------------------------------------------------

def _two_notices(tmp_path) -> Path:
    folder = tmp_path / "notices"
    for year, text in (("2022", "2022年度科技计划项目申报通知：溧阳市动力电池项目申报截止日期为三月底。"),
                       ("2023", "2023年度科技计划项目申报通知：金坛区光伏项目申报截止日期为五月底。")):
        (folder / year).mkdir(parents=True)
        (folder / year / "通知.txt").write_text(text, encoding="utf-8")
    return folder


def test_same_name_in_two_folders_are_two_documents(tmp_path, cli):
    folder = _two_notices(tmp_path)
    rc, out, _ = cli("ingest", "-q", folder)
    assert rc == 0 and "[成功] 2022/通知.txt：" in out and "[成功] 2023/通知.txt：" in out, out
    kb = _kb()
    assert {d["doc_id"]: d["source"] for d in kb.documents()} == {"2022/通知.txt": "通知.txt",
                                                                   "2023/通知.txt": "通知.txt"}
    for doc_id, words in (("2022/通知.txt", "动力电池"), ("2023/通知.txt", "光伏")):
        hits = kb.search(f"{words}项目申报截止", top_k=1, filters=Filters(doc_ids=(doc_id,)))
        assert hits and words in hits[0].text and hits[0].doc_id == doc_id
    assert cli("ingest", "-q", folder)[1].count("[未变化]") == 2

    rc, _, err = cli("remove", "通知.txt")
    assert rc == 1 and "“通知.txt”对应 2 个文档（2022/通知.txt、2023/通知.txt），请用文档编号指定" in err, err
    rc, out, _ = cli("remove", "2022/通知.txt")
    assert rc == 0 and [d["doc_id"] for d in _kb().documents()] == ["2023/通知.txt"]
    assert cli("remove", "通知.txt")[0] == 0 and _kb().documents() == []       # unambiguous now


def test_bare_name_ids_from_older_data_dirs_keep_working(tmp_path, cli):
    """Files given one by one get their bare name; a second 通知.txt elsewhere does not replace the first, and
    ingesting the folder later finds both under the ids they already have."""
    folder = _two_notices(tmp_path)
    assert cli("ingest", "-q", folder / "2022" / "通知.txt")[0] == 0
    assert [d["doc_id"] for d in _kb().documents()] == ["通知.txt"]              # the old, bare-name id
    rc, out, _ = cli("ingest", "-q", folder / "2023" / "通知.txt")
    assert rc == 0 and "[成功]" in out
    assert sorted(d["doc_id"] for d in _kb().documents()) == ["2023/通知.txt", "通知.txt"]
    rc, out, _ = cli("ingest", "-q", folder)
    assert rc == 0 and out.count("[未变化]") == 2, out
    (folder / "2022" / "通知.txt").write_text("2022年度通知已修订：溧阳市动力电池项目延期至六月底。", encoding="utf-8")
    rc, out, _ = cli("ingest", "-q", folder)
    assert rc == 0 and "[成功] 2022/通知.txt" in out
    kb = _kb()
    assert sorted(d["doc_id"] for d in kb.documents()) == ["2023/通知.txt", "通知.txt"]
    hits = kb.search("动力电池项目延期", top_k=1, filters=Filters(doc_ids=("通知.txt",)))
    assert hits and "六月底" in hits[0].text
