"""The optional LLM answerer against a scripted OpenAI-compatible server on 127.0.0.1: what the user sees."""
import subprocess
import sys
import time

import pytest

from kb.answer import NOT_FOUND
from kb.errors import KBError
from kb.library import KnowledgeBase
from kb.llm_answer import api_base, build_client
from kb.settings import load_settings
from kb.verify import FLAG, check_sentence, extract_facts

from conftest import GOOD, POLICY, QUESTION, ROOT, HashEmbedding, fake_llm


@pytest.fixture(scope="module")
def server():
    with fake_llm() as httpd:
        yield httpd


@pytest.fixture(autouse=True)
def fresh_script(server):
    server.script, server.requests = {"reply": GOOD}, []


@pytest.fixture(scope="module")
def make_kb(tmp_path_factory, server):
    """KnowledgeBase over one tiny ingested policy, one per settings variant (built once: jieba loads per KB)."""
    folder = tmp_path_factory.mktemp("llm_kb")
    doc = folder / "policy.txt"
    doc.write_text(POLICY, encoding="utf-8")
    embedder = HashEmbedding()           # what the hash_embedder fixture returns; module scope needs it directly
    base = KnowledgeBase(load_settings(env={"KB_DATA_DIR": str(folder / "data")}), embedder=embedder)
    assert [e.status for e in base.ingest([doc])] == ["ok"]
    defaults = {"llm_url": f"http://127.0.0.1:{server.server_address[1]}", "llm_model": "fake-model",
                "llm_timeout": 5.0}
    built: dict = {}

    def make(**changes):
        key = tuple(sorted(changes.items()))
        if key not in built:
            settings = base.settings.replace(**{**defaults, **changes})
            if settings.llm_url:
                build_client(settings)   # import the client package now, so timings below measure the request
            built[key] = KnowledgeBase(settings, embedder=embedder)
            assert built[key].search(QUESTION)     # load jieba, BM25 and Chroma now, not inside a timed ask
        return built[key]
    return make


def _ask(kb, server, reply, **kwargs):
    server.script = {"reply": reply}
    return kb.ask(QUESTION, **kwargs)


# -- normalisation and sentence checks (no server) ---------------------------------
@pytest.mark.unit
@pytest.mark.parametrize("a, b", [("20万元", "200000元"), ("二十万元", "200,000元"), ("1.5亿元", "15000万元"),
                                  ("30%", "百分之三十"), ("2023年3月", "2023-03"), ("一亿五千万元", "1.5亿元")])
def test_amounts_dates_and_percentages_normalise(a, b):
    assert [(f.kind, f.value) for f in extract_facts(a)] == [(f.kind, f.value) for f in extract_facts(b)]


@pytest.mark.unit
def test_sentence_checks():
    passage = ["《常州科技》2023年第3期｜2023-03\n首次认定奖励20万元，列入“龙城英才计划”的项目资助比例30%。"]
    assert check_sentence("据2023年3月的资料，首次认定奖励二十万元[1]。", passage).verified
    assert check_sentence("“龙城英才计划”项目资助比例为百分之三十[1]。", passage).verified
    assert check_sentence("资助比例为百分之三十【1】", passage).citations == (1,)
    assert check_sentence("《常州科技》2024年第3期也有报道[1]。", passage).problems == ("“2024年”未见于所引资料[1]",)
    assert check_sentence("“金凤凰计划”资助20万元[1]。", passage).problems == ("“金凤凰计划”未见于所引资料[1]",)
    two = passage + ["常州科技｜2020-11\n首次认定奖励15万元。"]
    assert check_sentence("2023年3月的资料为20万元[1]，2020年11月的资料为15万元[2]。", two).verified
    assert not check_sentence("2023年3月的资料为15万元[1]。", two).verified
    assert check_sentence("具体包括：", passage).verified
    assert not check_sentence("首次认定奖励20万元[1][2]。", passage).verified


@pytest.mark.integration
def test_disabled_by_default_and_nothing_imported(data_dir, hash_embedder, tmp_path):
    settings = load_settings(env={"KB_DATA_DIR": str(data_dir)})
    assert settings.llm_url == "" and settings.llm_timeout == 20.0 and settings.llm_on_unverified == "flag"
    with pytest.raises(KBError):
        build_client(settings)
    code = ("import sys, kb.library, kb.llm_answer, cli.main; "
            "print(any(m.startswith(('openai', 'llama_index.llms.openai')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
    assert api_base("http://127.0.0.1:8000") == "http://127.0.0.1:8000/v1"
    assert api_base("https://host/compatible-mode/v1/chat/completions") == "https://host/compatible-mode/v1"


@pytest.mark.integration
def test_extractive_answer_unchanged_without_llm(make_kb, server):
    answer = make_kb(llm_url="").ask(QUESTION, on_token=lambda t: pytest.fail("no streaming without an LLM"))
    assert answer.answerer == "extractive" and "20万元" in answer.text
    assert answer.to_json()["verification"] is None and server.requests == []


# -- answers through KnowledgeBase.ask -------------------------------------------------
@pytest.mark.integration
def test_correct_answer_is_shown_as_written(make_kb, server):
    answer = _ask(make_kb(), server, GOOD)
    assert answer.answerer == "llm" and answer.answered and answer.text == GOOD and answer.notes == ()
    assert answer.verified_count == 1 and FLAG not in answer.text
    assert answer.citations[0].n == 1 and "奖励20万元" in answer.citations[0].quote
    a, b = answer.citations[0].spans[0]
    assert answer.citations[0].hit.text[a:b].strip() == answer.citations[0].quote
    path, request = server.requests[0]
    assert path == "/v1/chat/completions" and request["model"] == "fake-model" and not request.get("stream")
    prompt = "\n".join(m["content"] for m in request["messages"])
    assert "[1] " in prompt and "奖励20万元" in prompt and QUESTION in prompt
    assert "资料中未找到相关内容" in prompt and "哪些" in prompt and "日期" in prompt


@pytest.mark.integration
def test_streaming_tokens_reach_the_callback(make_kb, server):
    reply = GOOD + "\n再次认定的奖励10万元[1]。"
    tokens = []
    answer = _ask(make_kb(), server, reply, on_token=tokens.append)
    assert len(tokens) > 3 and "".join(tokens) == reply and server.requests[0][1]["stream"] is True
    assert answer.text == reply and answer.verified_count == 2 and len(answer.verification) == 2


@pytest.mark.integration
def test_bogus_citation_is_flagged(make_kb, server):
    answer = _ask(make_kb(), server, GOOD + "另有配套奖励5万元[9]。")
    assert answer.text == GOOD + "另有配套奖励5万元[9]。" + FLAG
    checks = answer.to_json()["verification"]
    assert checks["verified"] == 1 and checks["total"] == 2
    assert checks["sentences"][1] == {"text": "另有配套奖励5万元[9]。", "citations": [9], "verified": False,
                                      "problems": ["引用[9]不存在"]}
    assert answer.notes == ("有 1 句未能在所引资料中核实，已标注“未核实”",)
    assert [c.n for c in answer.citations] == [1]


@pytest.mark.integration
def test_wrong_amount_is_flagged(make_kb, server):
    answer = _ask(make_kb(), server, "对首次认定的高新技术企业奖励30万元[1]。")
    assert answer.text.endswith(FLAG) and answer.verified_count == 0
    assert answer.verification[0].problems == ("“30万元”未见于所引资料[1]",)


@pytest.mark.integration
@pytest.mark.parametrize("amount", ["200000元", "二十万元", "20.0万元"])
def test_same_amount_in_another_unit_passes(make_kb, server, amount):
    answer = _ask(make_kb(), server, f"首次认定的高新技术企业可获得{amount}奖励[1]。")
    assert FLAG not in answer.text and answer.verified_count == 1 and answer.notes == ()


@pytest.mark.integration
def test_uncited_sentence_is_unverified(make_kb, server):
    answer = _ask(make_kb(), server, "首次认定的高新技术企业奖励20万元。")
    assert answer.text == "首次认定的高新技术企业奖励20万元。" + FLAG
    assert answer.verification[0].problems == ("没有标注引用",)


@pytest.mark.integration
def test_drop_mode_removes_unverified_sentences(make_kb, server):
    kb = make_kb(llm_on_unverified="drop")
    answer = _ask(kb, server, GOOD + "\n再次认定奖励15万元[1]。")
    assert answer.text == GOOD and answer.notes == ("已删去 1 句未能在所引资料中核实的内容",)
    assert [c.verified for c in answer.verification] == [True, False]
    answer = _ask(kb, server, "首次认定奖励50万元[1]。")
    assert answer.answerer == "extractive" and "20万元" in answer.text
    assert answer.notes == ("大模型的回答未能在所引资料中核实，已改用摘录式回答",)


@pytest.mark.integration
def test_refusal_is_passed_through(make_kb, server):
    answer = _ask(make_kb(), server, "资料中未找到相关内容")
    assert answer.answerer == "llm" and not answer.answered and answer.text == NOT_FOUND
    assert answer.citations == () and answer.related


def _assert_fallback(answer, reason):
    assert answer.answerer == "extractive" and "20万元" in answer.text and "[1]" in answer.text
    assert answer.notes == (f"大模型服务不可用（{reason}），已改用摘录式回答",)
    assert answer.to_json()["notes"] == list(answer.notes)


@pytest.mark.integration
@pytest.mark.parametrize("stream, stall_after_first", [(False, False), (True, False), (True, True)])
def test_timeout_falls_back_within_the_limit(make_kb, server, stream, stall_after_first):
    kb = make_kb(llm_timeout=1.0)
    server.script = {"reply": GOOD, "delay": 4.0, "stall_after_first": stall_after_first}
    tokens = []
    started = time.monotonic()
    answer = kb.ask(QUESTION, on_token=tokens.append if stream else None)
    assert time.monotonic() - started < 1.0 + 2.0
    _assert_fallback(answer, "超时")
    assert len(server.requests) == 1           # no retries
    assert tokens == ([GOOD[:4]] if stall_after_first else [])


@pytest.mark.integration
@pytest.mark.parametrize("mode, stream, reason", [("malformed", False, "返回格式错误"),
                                                  ("bad_sse", True, "返回格式错误"),
                                                  ("http500", False, "HTTP 500")])
def test_broken_responses_fall_back(make_kb, server, mode, stream, reason):
    server.script = {"reply": GOOD, "mode": mode}
    answer = make_kb().ask(QUESTION, on_token=(lambda t: None) if stream else None)
    _assert_fallback(answer, reason)


@pytest.mark.integration
def test_unreachable_endpoint_falls_back(make_kb, server):
    kb = make_kb(llm_url="http://127.0.0.1:9")      # the discard port: nothing listens there
    _assert_fallback(kb.ask(QUESTION), "无法连接")


@pytest.mark.integration
def test_warm_up_loads_without_calling_the_llm(make_kb, server):
    make_kb(llm_timeout=1.0).warm_up()
    assert server.requests == []
