"""Follow-up questions: a short, elliptical question is read against the previous one (kb.followup, kb.ask)."""
from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kb.followup import REWRITE_PROMPT, clean_rewrite, leans_on_context, resolve
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
    kb = KnowledgeBase(load_settings(env={"KB_DATA_DIR": str(root / "data")}),
                       embedder=HashEmbedding())
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


@pytest.mark.integration
def test_kb_ask_session_reads_a_follow_up_against_the_named_conversation(kb, monkeypatch, capsys):
    from cli.main import main
    monkeypatch.setenv("KB_DATA_DIR", str(kb.settings.data_dir))
    monkeypatch.setenv("KB_EMBED_BACKEND", "hash")
    assert main(["ask", "首次认定高企奖励多少？", "--session", "张三"]) == 0
    assert "20万元" in capsys.readouterr().out
    assert main(["ask", "那再次认定呢？", "--session", "张三"]) == 0
    out = capsys.readouterr().out
    assert "注：按上文理解为：再次认定高企奖励多少？" in out and "10万元" in out
    assert main(["ask", "那再次认定呢？", "--session", "李四"]) == 0               # another session: no context
    assert "按上文理解为" not in capsys.readouterr().out
    assert main(["ask", "那2023年呢？", "--session", "张三", "--json"]) == 0       # read on the session's last reading
    assert json.loads(capsys.readouterr().out)["notes"][0] == "按上文理解为：2023年再次认定高企奖励多少？"


class RewritingLLM(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint on 127.0.0.1: rewrites follow-ups, answers from the passages it is given."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(request)
        system = request["messages"][0]["content"]
        reply = self.server.rewrite if system == REWRITE_PROMPT else "对再次认定的高新技术企业，给予一次性奖励10万元[1]。"
        body = json.dumps({"id": "c1", "object": "chat.completion", "created": 0, "model": request["model"],
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": reply}}],
                           "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}},
                          ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def llm():
    server = ThreadingHTTPServer(("127.0.0.1", 0), RewritingLLM)
    server.requests, server.rewrite = [], "改写后的问题：再次认定的高新技术企业奖励多少？"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.mark.integration
def test_with_an_llm_the_rewrite_prompt_reads_the_follow_up_and_is_shown(kb, llm):
    settings = kb.settings.replace(llm_url=f"http://127.0.0.1:{llm.server_port}", llm_timeout=10.0)
    with_llm = KnowledgeBase(settings, embedder=HashEmbedding())
    answer = with_llm.ask("它的再次认定呢？", history=["首次认定高企奖励多少？"])
    assert answer.notes[0] == "按上文理解为：再次认定的高新技术企业奖励多少？" and "10万元" in answer.text
    rewrite = llm.requests[0]["messages"][1]["content"]
    assert "首次认定高企奖励多少？" in rewrite and "它的再次认定呢？" in rewrite
    llm.rewrite = "那再次认定呢？"                                    # unchanged: the rules' reading stays
    answer = with_llm.ask("那再次认定呢？", history=["首次认定高企奖励多少？"])
    assert answer.notes[0] == "按上文理解为：再次认定高企奖励多少？"
    before = len(llm.requests)
    with_llm.ask("常州市高新技术企业培育奖励办法何时施行？", history=["首次认定高企奖励多少？"])
    assert all(r["messages"][0]["content"] != REWRITE_PROMPT for r in llm.requests[before:])   # stands alone


@pytest.mark.unit
def test_rewrite_replies_are_cleaned():
    assert clean_rewrite("<think>想想</think>\n“再次认定奖励多少？”\n解释", "那再次认定呢？", 500) == "再次认定奖励多少？"
    assert clean_rewrite("", "那再次认定呢？", 500) is None and clean_rewrite("那再次认定呢？", "那再次认定呢？", 500) is None
    assert clean_rewrite("长" * 501, "那再次认定呢？", 500) is None
    assert leans_on_context("那再次认定呢？") and leans_on_context("它的规模多大？") and not leans_on_context(
        "常州市高新技术企业培育奖励办法何时施行？")
