"""Conversation history per user (kb/history.py, ui/history_panel.py): kept in the data dir, listed, restored after
a reload with sources and exports intact, deleted. Real files; the app over HTTP on 127.0.0.1."""
from __future__ import annotations

import json
import os
import shutil
import tempfile

import pytest

from kb.answer import Answer, Citation
from kb.errors import KBError
from kb.history import LOCAL_USER, History, answer_from_json, answer_to_json
from kb.retrieve import Hit
from kb.verify import SentenceCheck

from kb.library import KnowledgeBase
from kb.settings import load_settings

from conftest import CORPUS, NEWS, HashEmbedding, launch_app


def _client(url):
    from gradio_client import Client
    return Client(url, verbose=False, download_files=tempfile.mkdtemp(prefix="kb-test-"))


def _ask(client, question):
    chat, sources, error, _, _ = client.predict(question, [], [], "", "", api_name="/ask")
    assert "kb-error\"></div>" in error, error
    return chat[-1]["content"][0]["text"], sources


@pytest.fixture(scope="module")
def served_login(tmp_path_factory):
    """The app with two logins (amy reads, bo edits)."""
    root = tmp_path_factory.mktemp("history-login")
    shutil.copy(CORPUS / NEWS, root / NEWS)
    settings = load_settings(env={"KB_DATA_DIR": str(root / "data"), "KB_USERS": "amy:pw1:reader,bo:pw2:editor"})
    kb = KnowledgeBase(settings, embedder=HashEmbedding())
    assert [e.status for e in kb.ingest([root / NEWS])] == ["ok"]
    with launch_app(kb) as url:
        yield kb, url


def _answer(question="首次认定高企奖励多少？") -> Answer:
    hit = Hit(rank=1, chunk_id="c1", text="首次认定为高新技术企业的，奖励20万元。", score=1.2, doc_id="政策.txt",
              title="奖励办法", source="政策.txt", date="2023-06", article="第二章", section="第三条", page=3,
              kind="policy", bm25_score=3.5, dense_score=0.8, found_by=("bm25", "dense"))
    return Answer(question, "奖励20万元[1]。", True, (Citation(1, hit, "奖励20万元", ((12, 18),)),),
                  related=(hit,), answerer="llm", coverage=0.8, notes=("按上文理解为：…",),
                  verification=(SentenceCheck("奖励20万元[1]。", (1,), True),))


@pytest.mark.unit
def test_an_answer_comes_back_as_it_was(tmp_path):
    answer = _answer()
    data = json.loads(json.dumps(answer_to_json(answer), ensure_ascii=False))
    assert answer_from_json(data) == answer


@pytest.mark.unit
def test_each_user_sees_only_their_conversations_newest_first(tmp_path):
    history = History(tmp_path / "history")
    history.save("amy", "20240101-000000-aaaaaa", [("甲问", _answer("甲问"))])
    history.save("amy", "20240102-000000-bbbbbb", [("乙问", _answer("乙问")), ("丙问", _answer("丙问"))])
    history.save("bo", "20240103-000000-cccccc", [("丁问", _answer("丁问"))])
    history.save("", "20240104-000000-dddddd", [("本机问", _answer("本机问"))])
    history.save("amy", "20240105-000000-eeeeee", [])                          # nothing asked: nothing kept
    listed = history.list("amy")
    assert [(s.title, s.turns) for s in listed] == [("乙问", 2), ("甲问", 1)]
    assert "乙问（2 问）" in listed[0].label()
    assert [s.title for s in history.list("bo")] == ["丁问"] and [s.title for s in history.list(None)] == ["本机问"]
    assert history.list(LOCAL_USER) == history.list("")
    assert history.load("amy", listed[0].id) == [("乙问", _answer("乙问")), ("丙问", _answer("丙问"))]
    with pytest.raises(KBError, match="已不存在"):
        history.load("bo", listed[0].id)                                      # another user's id is not theirs
    history.delete("amy", listed[0].id)
    assert [s.title for s in history.list("amy")] == ["甲问"]
    with pytest.raises(KBError, match="已不存在"):
        history.delete("amy", listed[0].id)
    with pytest.raises(KBError, match="编号无效"):
        history.load("amy", "../../catalog")


@pytest.mark.unit
def test_a_damaged_file_is_left_out_and_old_conversations_are_pruned(tmp_path):
    history = History(tmp_path / "history", keep=3)
    for i in range(5):
        history.save("amy", f"2024010{i}-000000-aaaaaa", [(f"问{i}", _answer(f"问{i}"))])
        os.utime(history._path("amy", f"2024010{i}-000000-aaaaaa"), (1000 + i, 1000 + i))
    history.save("amy", "20240109-000000-aaaaaa", [("问9", _answer("问9"))])
    assert len(history.list("amy")) == 3
    broken = history._path("amy", "20240109-000000-aaaaaa")
    broken.write_text("{not json", encoding="utf-8")
    assert "问9" not in [s.title for s in history.list("amy")] and len(history.list("amy")) == 2
    with pytest.raises(KBError, match="无法读取"):
        history.load("amy", "20240109-000000-aaaaaa")


@pytest.mark.integration
def test_a_conversation_is_restored_after_a_reload_and_deleted(served):
    kb, url, _ = served
    history = History.of(kb.settings)
    before = {s.id for s in history.list("")}
    first = _client(url)
    _ask(first, "2024年园区高新技术企业净增多少家？")
    _ask(first, "常州科教城成立多少年了？")
    new = [s for s in history.list("") if s.id not in before]
    assert len(new) == 1 and new[0].turns == 2 and new[0].title == "2024年园区高新技术企业净增多少家？"

    again = _client(url)                                            # a reload: a new session, nothing on screen
    chat, sources, error, plain, _, message = again.predict(new[0].id, api_name="/history_restore")
    assert len(chat) == 4 and 'id="cite-2-1"' in sources and plain
    path, _ = again.predict("all", ".md", api_name="/export")       # the restored turns export as before
    assert "2024年园区高新技术企业净增多少家？" in open(path, encoding="utf-8").read()
    _ask(again, "科教城获得什么荣誉？")                               # continues the same entry
    assert [s.turns for s in history.list("") if s.id == new[0].id] == [3]

    _, message = again.predict(new[0].id, api_name="/history_delete")
    assert new[0].id not in {s.id for s in history.list("")} and message.endswith('"></div>')
    *_, message = again.predict(new[0].id, api_name="/history_restore")
    assert "已不存在" in message


@pytest.mark.integration
def test_history_is_per_login_name(served_login, tmp_path):
    from gradio_client import Client
    kb, url = served_login
    history = History.of(kb.settings)
    amy = Client(url, auth=("amy", "pw1"), verbose=False, download_files=str(tmp_path))
    amy.predict("2024年园区高新技术企业净增多少家？", [], [], "", "", api_name="/ask")
    mine = history.list("amy")
    assert mine and not history.list("bo") and not history.list("")
    bo = Client(url, auth=("bo", "pw2"), verbose=False, download_files=str(tmp_path))
    *_, message = bo.predict(mine[0].id, api_name="/history_restore")
    assert "已不存在" in message                                   # bo cannot open amy's conversation
    bo.predict(mine[0].id, api_name="/history_delete")
    assert history.list("amy") == mine
