"""The Gradio workplace driven over HTTP on 127.0.0.1 with gradio_client, plus kb.export and the UI helpers."""
from __future__ import annotations

import json
import shutil
import tempfile
from datetime import datetime

import docx
import pytest

from kb.answer import Answer, Citation
from kb.export import to_docx, to_json, to_markdown, where, write_export
from kb.library import KnowledgeBase
from kb.retrieve import Hit
from kb.settings import load_settings

from conftest import CORPUS, GOOD, NEWS, POLICY, QUESTION, HashEmbedding, fake_llm, launch_app

UPLOADED_FACT = "龙城未来实验室首期投入资金8.8亿元，由常州市科学技术局牵头组建。"


# -- kb.export -------------------------------------------------------------------
def _hit(text="常州科教城获评中国最佳创业园区第一名。", **kw) -> Hit:
    base = dict(rank=1, chunk_id="c1", text=text, score=0.03, doc_id="d.txt", title="《常州科技》2023年第3期",
                source="d.txt", date="2023-03", article="科教城简讯", page=4, publication="《常州科技》",
                issue="2023年第3期（总第171期）", kind="magazine")
    return Hit(**{**base, **kw})


def _pairs():
    hit = _hit()
    cited = Answer("科教城获得什么荣誉？", "常州科教城获评中国最佳创业园区第一名[1]。", True,
                   (Citation(1, hit, "常州科教城获评中国最佳创业园区第一名", ((0, 18),)),), related=(hit,))
    refused = Answer("火星基地在哪里？", "资料中未找到相关内容。", False, related=(_hit("无关段落<b>", rank=2),),
                     notes=("语言模型服务不可用，已改用摘录式回答",))
    return [(cited.question, cited), (refused.question, refused)]


WHEN = datetime(2024, 5, 6, 7, 8, 9)


@pytest.mark.unit
def test_where_lists_known_fields_once():
    assert where(_hit()) == "《常州科技》2023年第3期 · 2023年第3期（总第171期） · 2023-03 · 科教城简讯 · 第4页"
    assert where(_hit(issue="", page=None, article="")) == "《常州科技》2023年第3期 · 2023-03"


@pytest.mark.unit
def test_markdown_export_has_question_answer_citation_and_time():
    text = to_markdown(_pairs(), WHEN)
    assert "导出时间：2024-05-06 07:08:09" in text
    assert "## 问题 1：科教城获得什么荣誉？" in text and "获评中国最佳创业园区第一名[1]" in text
    assert "[1] 《常州科技》2023年第3期 · 2023年第3期（总第171期） · 2023-03 · 科教城简讯 · 第4页" in text
    assert "> 常州科教城获评中国最佳创业园区第一名" in text
    assert "**可能相关：**" in text and "资料中未找到相关内容" in text
    assert "*语言模型服务不可用，已改用摘录式回答*" in text


@pytest.mark.unit
def test_json_export_round_trips():
    data = json.loads(to_json(_pairs(), WHEN))
    assert data["exported_at"] == "2024-05-06 07:08:09" and len(data["items"]) == 2
    first = data["items"][0]
    assert first["question"] == "科教城获得什么荣誉？" and first["answered"] is True
    assert first["citations"][0]["quote_spans"] == [[0, 18]] and first["citations"][0]["page"] == 4
    assert data["items"][1]["answered"] is False and data["items"][1]["related"]


@pytest.mark.unit
def test_docx_export_opens_with_python_docx(tmp_path):
    path = write_export(_pairs(), tmp_path / "out.docx", WHEN)
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "一、科教城获得什么荣誉？" in text and "获评中国最佳创业园区第一名[1]" in text      # GB/T 9704 一、
    assert "[1] 《常州科技》2023年第3期" in text and "第4页" in text and "导出时间：2024-05-06 07:08:09" in text
    assert "可能相关" in text
    assert to_docx(_pairs(), WHEN)[:2] == b"PK"


@pytest.mark.unit
def test_export_rejects_empty_and_unknown_formats(tmp_path):
    with pytest.raises(ValueError, match="没有可导出"):
        to_markdown([])
    with pytest.raises(ValueError, match="不支持的导出格式"):
        write_export(_pairs(), tmp_path / "out.pdf")


# -- UI helpers ---------------------------------------------------------------------
@pytest.mark.unit
def test_answer_markers_link_to_their_citation_and_quotes_are_marked():
    from ui import render
    (_, cited), (_, refused) = _pairs()
    assert '<a href="#cite-3-1" class="cite-link">[1]</a>' in render.answer_markdown(cited, 3)
    panel = render.sources_html(cited, 3)
    assert 'id="cite-3-1"' in panel and "<mark>常州科教城获评中国最佳创业园区第一名</mark>" in panel
    assert "第4页" in panel and "科教城简讯" in panel
    assert "语言模型服务不可用" in render.answer_markdown(refused, 4)
    refused_panel = render.sources_html(refused, 4)
    assert "可能相关" in refused_panel and "&lt;b&gt;" in refused_panel and "<b>" not in refused_panel
    assert render.highlight("a<b>c", [(1, 4)]) == "a<mark>&lt;b&gt;</mark>c"


@pytest.mark.unit
def test_upload_names_are_sanitised_and_limits_enforced(tmp_path):
    from kb.uploads import safe_name, store_uploads
    assert safe_name("../../etc/passwd.TXT") == "passwd.txt"
    assert safe_name("C:\\Users\\x\\政策 汇编;rm -rf.PDF") == "政策_汇编_rm_-rf.pdf"
    assert safe_name("...") == "文档"
    big, ok, bad = tmp_path / "big.txt", tmp_path / "好.md", tmp_path / "表.xlsx"
    big.write_bytes(b"x" * 2048)
    ok.write_text("内容", encoding="utf-8")
    bad.write_bytes(b"PK")
    stored, rejected = store_uploads([str(big), str(ok), str(bad)], tmp_path / "uploads", max_mb=0.001)
    assert [p.name for p in stored] == ["好.md"] and (tmp_path / "uploads" / "好.md").is_file()
    reasons = {r.name: r.reason for r in rejected}
    assert big.exists() and bad.exists()                     # the caller's files, unless told they are temporary
    store_uploads([str(big), str(ok)], tmp_path / "uploads", max_mb=0.001, discard_sources=True)
    assert not big.exists() and not ok.exists()
    assert reasons["big.txt"].startswith("文件超过大小上限") and reasons["表.xlsx"].startswith("不支持的文件类型")


@pytest.mark.unit
def test_users_setting_becomes_launch_auth():
    from ui.app import launch_options
    from ui.auth import User, parse_users
    assert parse_users("") == [] and parse_users(" amy:pw1, bo:p:w ") == [User("amy", "pw1"), User("bo", "p:w")]
    assert parse_users("cy:pw:reader,di:a:b:editor") == [User("cy", "pw", "reader"), User("di", "a:b", "editor")]
    with pytest.raises(ValueError, match="用户名:密码"):
        parse_users("nobody")
    settings = load_settings(env={"KB_USERS": "amy:pw1"})
    options = launch_options(settings)
    assert options["auth"]("amy", "pw1") and not options["auth"]("amy", "x") and options["share"] is False
    assert launch_options(load_settings(env={}))["auth"] is None


@pytest.mark.unit
def test_theme_uses_no_web_fonts():
    import gradio as gr
    from ui.app import theme
    fonts = list(theme()._font) + list(theme()._font_mono)
    assert not any(isinstance(f, gr.themes.GoogleFont) for f in fonts)


# -- the running app (the served fixture is in conftest) ------------------------
def _client(url):
    from gradio_client import Client
    return Client(url, verbose=False, download_files=tempfile.mkdtemp(prefix="kb-ui-test-"))


def _ask(client, question):
    chat, sources, error, _, _ = client.predict(question, [], [], "", "", api_name="/ask")
    assert "kb-error\"></div>" in error, error
    return chat[-1]["content"][0]["text"], sources


@pytest.mark.integration
def test_ask_returns_answer_with_linked_citations(served):
    _, url, _ = served
    answer, sources = _ask(_client(url), "2024年园区高新技术企业净增多少家？")
    assert "净增30家以上" in answer and 'href="#cite-1-1"' in answer
    assert 'id="cite-1-1"' in sources and "<mark>" in sources and "相关度" not in sources     # no unexplained score
    assert "常州科教城" in sources


@pytest.mark.integration
def test_first_questions_arriving_together_all_get_answers(served, tmp_path):
    """A server's first users (or its warm-up and a user) must not race to open the vector store."""
    from concurrent.futures import ThreadPoolExecutor
    kb, _, _ = served
    shutil.copytree(kb.settings.data_dir, tmp_path / "data")       # a store path this process has not opened
    fresh = KnowledgeBase(kb.settings.replace(data_dir=tmp_path / "data"), embedder=HashEmbedding())
    fresh.tokenizer.words("预热")                    # jieba already has its own lock; this test is about Chroma
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: fresh.ask("2024年园区高新技术企业净增多少家？"), range(8)))
    assert all(a.answered for a in answers)


@pytest.mark.integration
def test_filters_restrict_documents_and_bad_dates_are_reported(served):
    from gradio_client.exceptions import AppError
    _, url, _ = served
    client = _client(url)
    chat, sources, *_ = client.predict("高新技术企业净增多少家？", [], ["policy"], "", "", api_name="/ask")
    assert "资料中未找到相关内容" in chat[-1]["content"][0]["text"]
    chat, _, error, *_ = client.predict("高新技术企业净增多少家？", [], [], "去年", "", api_name="/ask")
    assert "格式不对" in error and "2021年6月" in error     # one line beside the box, not an error overlay
    chat, *_ = client.predict("高新技术企业净增多少家？", [], [], "2023年", "2023年12月31日", api_name="/ask")
    assert "资料中未找到相关内容" not in chat[-1]["content"][0]["text"]     # 2023年12月31日 is read as 2023-12-31


@pytest.mark.integration
def test_upload_answer_from_it_then_remove(served, tmp_path):
    from gradio_client import handle_file
    kb, url, root = served
    client = _client(url)
    doc = tmp_path / "未来 实验室;简报.txt"
    doc.write_text("未来实验室简报\n\n" + UPLOADED_FACT + "\n实验室位于常州科教城。\n", encoding="utf-8")
    bad = tmp_path / "数据表.xlsx"
    bad.write_bytes(b"PK\x03\x04junk")
    broken = tmp_path / "坏文件.pdf"
    broken.write_bytes(b"%PDF-1.4 not really")
    results, _ = client.predict([handle_file(str(doc)), handle_file(str(bad)), handle_file(str(broken))],
                                api_name="/upload")
    rows = {r[0]: r for r in results["data"]}
    assert rows["未来_实验室_简报.txt"][1] == "成功", rows
    assert rows["数据表.xlsx"][1] == "失败" and "不支持的文件类型" in rows["数据表.xlsx"][2]
    assert rows["坏文件.pdf"][1] == "失败", rows
    assert sorted(p.name for p in (root / "data" / "uploads").iterdir()) == ["未来_实验室_简报.txt"]

    answer, sources = _ask(client, "龙城未来实验室首期投入资金多少？")
    assert "8.8亿元" in answer and "8.8亿元" in sources

    removed = client.predict("未来_实验室_简报.txt", api_name="/remove")
    assert removed["data"][0][1] == "已删除"
    again = client.predict("未来_实验室_简报.txt", api_name="/remove")        # a row, not an error overlay
    assert again["data"][0][1] == "未删除" and again["data"][0][2]
    assert client.predict(None, api_name="/upload")[0]["data"] == [["", "未上传", "请先选择要上传的文件"]]
    assert kb.catalog.document("未来_实验室_简报.txt") is None
    assert not (root / "data" / "uploads" / "未来_实验室_简报.txt").exists()
    answer, sources = _ask(_client(url), "龙城未来实验室首期投入资金多少？")     # a fresh conversation
    assert "8.8亿元" not in answer + sources


@pytest.mark.integration
def test_export_conversation_as_docx_markdown_and_json(served):
    _, url, _ = served
    client = _client(url)
    _ask(client, "2024年园区高新技术企业净增多少家？")
    _ask(client, "常州科教城成立多少年了？")
    path, _ = client.predict("all", ".docx", api_name="/export")
    assert path.endswith(".docx")
    text = "\n".join(p.text for p in docx.Document(path).paragraphs)
    assert "一、2024年园区高新技术企业净增多少家？" in text and "二、常州科教城成立多少年了？" in text
    assert "[1] 常州科教城" in text and "净增30家以上" in text and "导出时间：" in text
    md = open(client.predict("last", ".md", api_name="/export")[0], encoding="utf-8").read()
    assert "问题 1：常州科教城成立多少年了？" in md and "2024年园区" not in md.split("## 问题 1")[0]
    data = json.load(open(client.predict("all", ".json", api_name="/export")[0], encoding="utf-8"))
    assert [i["question"] for i in data["items"]] == ["2024年园区高新技术企业净增多少家？", "常州科教城成立多少年了？"]


@pytest.mark.integration
def test_export_without_questions_says_so(served):
    _, url, _ = served
    path, message = _client(url).predict("all", ".docx", api_name="/export")
    assert path is None and "还没有可导出的问答" in message


@pytest.mark.integration
def test_reindex_everything_skips_unchanged_files(served):
    _, url, _ = served
    results = _client(url).predict(api_name="/reindex")
    assert [row[:2] for row in results["data"]] == [[NEWS, "未变化"]]


@pytest.mark.integration
def test_page_loads_nothing_from_other_hosts(served):
    import re
    import urllib.request
    _, url, _ = served
    page = urllib.request.urlopen(url, timeout=10).read().decode("utf-8")
    css = urllib.request.urlopen(url + "theme.css", timeout=10).read().decode("utf-8")
    assert "常州科技知识库" in page
    for text in (page, css):
        assert not re.search(r"fonts\.googleapis|fonts\.gstatic|cdn\.jsdelivr|unpkg\.com", text)


@pytest.mark.integration
def test_login_required_when_users_are_set(tmp_path):
    import urllib.error
    import urllib.request
    from gradio_client import Client
    settings = load_settings(env={"KB_DATA_DIR": str(tmp_path / "data"), "KB_USERS": "amy:pw1"})
    with launch_app(KnowledgeBase(settings, embedder=HashEmbedding())) as url:
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(url + "config", timeout=10)
        client = Client(url, auth=("amy", "pw1"), verbose=False)
        assert "/ask" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]


@pytest.mark.integration
def test_llm_answer_streams_into_the_chat(tmp_path):
    """With an LLM configured, drafts reach the browser while the model writes; the checked answer replaces them."""
    from gradio_client import Client
    doc = tmp_path / "policy.txt"
    doc.write_text(POLICY, encoding="utf-8")
    # A pause after the first chunk, so that a draft is on screen before the answer is checked.
    with fake_llm({"reply": GOOD, "delay": 0.6, "stall_after_first": True}) as llm:
        settings = load_settings(env={"KB_DATA_DIR": str(tmp_path / "data"), "KB_LLM_MODEL": "fake-model",
                                      "KB_LLM_URL": f"http://127.0.0.1:{llm.server_address[1]}"})
        kb = KnowledgeBase(settings, embedder=HashEmbedding())
        assert [e.status for e in kb.ingest([doc])] == ["ok"]
        with launch_app(kb) as url:
            job = Client(url, verbose=False).submit(QUESTION, [], [], "", "", api_name="/ask")
            final = job.result(timeout=30)
            shown = [out[0][-1]["content"][0]["text"] for out in job.outputs()]     # the chat after each update
    assert llm.requests and llm.requests[0][1]["stream"] is True
    drafts = [text for text in shown if "生成中" in text]
    assert any(GOOD[:4] in text and GOOD not in text for text in drafts), shown    # a partial answer was shown
    answer = final[0][-1]["content"][0]["text"]
    assert "20万元" in answer and 'href="#cite-1-1"' in answer and "生成中" not in answer
    assert 'id="cite-1-1"' in final[1] and final[2] == '<div class="kb-error"></div>'


# -- user text is text everywhere --------------------------------------------------
EVIL = '<script>alert(1)</script><img src=x onerror="alert(2)">高新技术企业净增多少家？'


@pytest.mark.integration
def test_markup_in_a_question_stays_text_in_every_output(served, tmp_path):
    import re
    _, url, _ = served
    client = _client(url)
    chat, sources, *_ = client.predict(EVIL, [], [], "", "", api_name="/ask")
    question_shown = chat[-2]["content"][0]["text"]
    for html_out in (question_shown, sources):
        assert "<script" not in html_out and "<img" not in html_out, html_out
        assert "&lt;script&gt;" in html_out
    md = open(client.predict("last", ".md", api_name="/export")[0], encoding="utf-8").read()
    assert not re.search(r"<\s*(script|img)", md, re.I) and "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    raw_json = open(client.predict("last", ".json", api_name="/export")[0], encoding="utf-8").read()
    assert "<" not in raw_json and json.loads(raw_json)["items"][0]["question"] == EVIL     # escaped, not altered
    path, _ = client.predict("last", ".docx", api_name="/export")
    text = "\n".join(p.text for p in docx.Document(path).paragraphs)
    assert f"一、{EVIL}" in text                      # Word shows the characters; it has no markup to run


@pytest.mark.unit
def test_copy_texts_are_plain():
    from ui import render
    (q, cited), (q2, refused) = _pairs()
    assert render.answer_text(cited) == "常州科教城获评中国最佳创业园区第一名[1]。"
    full = render.answer_with_sources(q, cited)
    assert full.splitlines()[:2] == [f"问：{q}", "答：常州科教城获评中国最佳创业园区第一名[1]。"]
    assert "出处：" in full and "[1] 《常州科技》2023年第3期" in full and "<" not in full
    assert "可能相关：" in render.answer_with_sources(q2, refused)


@pytest.mark.unit
def test_questions_of_one_session_are_answered_in_turn():
    import threading
    import time
    from ui.conversation import Conversation
    conv, done = Conversation(), []

    def answer(q, ticket, pause):
        with conv.turn(ticket):
            time.sleep(pause)
            done.append(q)

    tickets = [(q, conv.take_ticket(q), 0.05 * (3 - i)) for i, q in enumerate("甲乙丙")]
    threads = [threading.Thread(target=answer, args=t) for t in reversed(tickets)]     # started out of order
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert done == ["甲", "乙", "丙"] and conv.snapshot()[1] == []


@pytest.mark.unit
def test_a_question_abandoned_before_its_turn_does_not_block_later_ones():
    from ui.conversation import Conversation
    conv = Conversation()
    first, gone, third = (conv.take_ticket(q) for q in "甲乙丙")
    conv.abandon(gone)
    with conv.turn(first):
        pass
    with conv.turn(third):            # would wait forever for 乙
        conv.add("丙", None)
    assert conv.questions() == ["丙"] and conv.snapshot()[1] == []


# -- login: throttling and roles ------------------------------------------------------
@pytest.mark.unit
def test_sixth_wrong_password_in_ten_minutes_is_refused_without_checking():
    from ui.auth import Login, User
    now = [1000.0]
    login = Login([User("amy", "pw1", "reader")], max_failures=5, window_s=600, clock=lambda: now[0])
    for _ in range(5):
        assert not login("amy", "guess")
    assert login.checked == 5
    assert not login("amy", "guess") and not login("amy", "pw1")        # even the right one, unchecked
    assert login.checked == 5
    assert login("bo", "x") is False and login.checked == 6             # other names are not locked
    now[0] += 601
    assert login("amy", "pw1") and login.checked == 7                   # the window has passed


@pytest.fixture(scope="module")
def served_roles(tmp_path_factory):
    from ui.app import login_for
    root = tmp_path_factory.mktemp("roles")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / NEWS, corpus / NEWS)
    settings = load_settings(env={"KB_DATA_DIR": str(root / "data"), "KB_CORPUS_DIR": str(corpus),
                                  "KB_USERS": "amy:pw1:reader,bo:pw2:editor"})
    kb = KnowledgeBase(settings, embedder=HashEmbedding())
    assert [e.status for e in kb.ingest([corpus])] == ["ok"]
    login = login_for(settings)
    with launch_app(kb, login) as url:
        yield kb, url, login


@pytest.mark.integration
def test_a_reader_is_refused_upload_remove_and_reindex_through_the_api(served_roles, tmp_path):
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError
    kb, url, _ = served_roles
    reader = Client(url, auth=("amy", "pw1"), verbose=False, download_files=str(tmp_path))
    doc = tmp_path / "简报.txt"
    doc.write_text("未来实验室简报\n\n" + UPLOADED_FACT + "\n", encoding="utf-8")
    with pytest.raises(AppError, match="只读权限"):
        reader.predict([handle_file(str(doc))], api_name="/upload")
    with pytest.raises(AppError, match="只读权限"):
        reader.predict(NEWS, api_name="/remove")
    with pytest.raises(AppError, match="只读权限"):
        reader.predict(api_name="/reindex")
    assert kb.catalog.document(NEWS) is not None and kb.catalog.document("简报.txt") is None
    chat, *_ = reader.predict("2024年园区高新技术企业净增多少家？", [], [], "", "", api_name="/ask")
    assert "净增30家以上" in chat[-1]["content"][0]["text"]                     # a reader still asks
    editor = Client(url, auth=("bo", "pw2"), verbose=False, download_files=str(tmp_path))
    assert editor.predict(api_name="/reindex")["data"][0][:2] == [NEWS, "未变化"]


@pytest.mark.integration
def test_login_is_throttled_over_http(served_roles):
    import urllib.error
    import urllib.parse
    import urllib.request
    _, url, login = served_roles

    def attempt(password):
        data = urllib.parse.urlencode({"username": "bo", "password": password}).encode()
        try:
            return urllib.request.urlopen(url + "login", data, timeout=10).status
        except urllib.error.HTTPError as err:
            return err.code

    assert attempt("pw2") == 200
    for _ in range(5):
        assert attempt("guess") == 400
    checked = login.checked
    assert attempt("pw2") == 400 and login.checked == checked      # the 6th is refused without a check
    assert len(login.failures[("bo", "127.0.0.1")]) == 5             # counted for this name at this address


@pytest.mark.integration
def test_a_follow_up_is_read_against_the_sessions_previous_question(served):
    _, url, _ = served
    client = _client(url)
    _ask(client, "2024年园区高新技术企业净增多少家？")
    answer, _ = _ask(client, "那2023年呢？")
    assert "按上文理解为：2023年园区高新技术企业净增多少家？" in answer
    answer, _ = _ask(_client(url), "那2023年呢？")              # another session has no previous question
    assert "按上文理解为" not in answer


@pytest.mark.integration
def test_logout_ends_only_this_session(served_roles):
    import httpx
    _, url, _ = served_roles
    here, elsewhere = httpx.Client(base_url=url, timeout=10), httpx.Client(base_url=url, timeout=10)
    for client in (here, elsewhere):
        assert client.post("login", data={"username": "amy", "password": "pw1"}).status_code == 200
        assert client.get("config").status_code == 200
    assert here.get("logout", params={"all_session": "false"}).status_code in (200, 302)
    assert here.get("config").status_code == 401
    assert elsewhere.get("config").status_code == 200          # the same user's other browser stays logged in


@pytest.mark.integration
def test_long_and_empty_questions(served):
    _, url, _ = served
    client = _client(url)
    chat, _, error, *_ = client.predict("高" * 501, [], [], "", "", api_name="/ask")
    assert "问题过长（501 字）" in error and not chat            # the library's refusal, as the line
    client.predict("   ", [], [], "", "", api_name="/ask")     # ignored: no turn, no message
    answer, _ = _ask(client, "2024年园区高新技术企业净增多少家？")
    assert "净增30家以上" in answer
    client.predict("", [], [], "", "", api_name="/ask")
    chat, *_ = client.predict("常州科教城成立多少年了？", [], [], "", "", api_name="/ask")
    assert len(chat) == 4                                       # two turns: the empty ones were no questions


@pytest.mark.integration
def test_the_upload_lifecycle_lives_in_kb(tmp_path):
    from kb.uploads import upload
    settings = load_settings(env={"KB_DATA_DIR": str(tmp_path / "data")})
    kb = KnowledgeBase(settings, embedder=HashEmbedding())
    temp = tmp_path / "gradio"
    temp.mkdir()
    good, twin, bad = temp / "简报.txt", temp / "简报副本.txt", temp / "表.xlsx"
    good.write_text("未来实验室简报\n\n" + UPLOADED_FACT + "\n", encoding="utf-8")
    twin.write_text(good.read_text(encoding="utf-8"), encoding="utf-8")
    bad.write_bytes(b"PK\x03\x04")
    results = {r.name: r for r in upload(kb, [str(good), str(twin), str(bad)])}
    assert results["简报.txt"].status == "成功" and results["简报副本.txt"].status == "重复"
    assert results["表.xlsx"].status == "失败" and "不支持的文件类型" in results["表.xlsx"].message
    assert list(temp.iterdir()) == []                                   # the server's copies are gone
    assert [p.name for p in settings.uploads_dir.iterdir()] == ["简报.txt"]  # refused and duplicate: no copy
    kb.remove("简报.txt")
    assert list(settings.uploads_dir.iterdir()) == []                   # removing the document removes its copy


@pytest.mark.unit
def test_failed_logins_count_per_name_and_address():
    from ui.auth import CLIENT_ADDRESS, NAME_CEILING, Login, User
    now = [0.0]
    login = Login([User("amy", "pw1")], max_failures=5, window_s=600, clock=lambda: now[0])

    def attempt(address, password):
        token = CLIENT_ADDRESS.set(address)
        try:
            return login("amy", password)
        finally:
            CLIENT_ADDRESS.reset(token)

    for _ in range(5):
        assert not attempt("10.0.0.9", "guess")
    checked = login.checked
    assert not attempt("10.0.0.9", "pw1") and login.checked == checked       # that address is refused unchecked
    assert attempt("10.0.0.2", "pw1")                                        # amy at her own desk still logs in
    for i in range(5 * NAME_CEILING - 5):                                    # guesses spread over many machines
        attempt(f"10.1.0.{i}", "guess")
    assert not attempt("10.0.0.2", "pw1")                                    # now the name is locked everywhere
    now[0] += 601
    assert attempt("10.0.0.2", "pw1")
