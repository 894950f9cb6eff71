"""Filters (kb/filters.py): typed dates read, reversed ranges and unknown documents refused with one Chinese line
in the library, the CLI and the page; a refusal under filters says so. Real files, real Chroma."""
from __future__ import annotations

import dataclasses
import shutil
import tempfile

import pytest

from kb import filters
from kb.errors import KBError
from kb.library import KnowledgeBase
from kb.model import DocumentInfo, Filters
from kb.settings import load_settings

from conftest import CORPUS, NEWS, HashEmbedding


def _client(url):
    from gradio_client import Client
    return Client(url, verbose=False, download_files=tempfile.mkdtemp(prefix="kb-test-"))

DOCS = [DocumentInfo("2023/通知.txt", source="通知.txt", title="关于高企认定的通知"),
        DocumentInfo("汇编.txt", source="汇编.txt", title="政策汇编"),
        DocumentInfo("2024/汇编.txt", source="汇编.txt", title="政策汇编")]


@pytest.mark.unit
def test_typed_dates_are_read_and_bad_ones_refused():
    assert [filters.parse_date(v) for v in ("2023年3月", "2023/3", "2023.03", "2023年3月5日", "2023", " ")] == \
        ["2023-03", "2023-03", "2023-03", "2023-03-05", "2023", ""]
    for bad in ("上个月", "2023年13月", "23-03"):
        with pytest.raises(KBError, match="格式不对"):
            filters.parse_date(bad)


@pytest.mark.unit
def test_ranges_kinds_and_documents_are_checked():
    with pytest.raises(KBError, match="起始日期 2024-01 晚于截止日期 2023-12"):
        filters.check(Filters(date_from="2024年1月", date_to="2023-12"), DOCS)
    assert filters.check(Filters(date_from="2023-06", date_to="2023"), DOCS).date_to == "2023"   # to the end of 2023
    with pytest.raises(KBError, match="未知的文档类型"):
        filters.check(Filters(kinds=("report",)), DOCS)
    with pytest.raises(KBError, match="知识库中没有文档“随便写的”"):
        filters.check(Filters(doc_ids=("随便写的",)), DOCS)
    with pytest.raises(KBError, match="对应 2 个文档"):
        filters.check(Filters(doc_ids=("汇编.txt",)), [DOCS[2], dataclasses.replace(DOCS[1], doc_id="2022/汇编.txt")])
    checked = filters.check(Filters(doc_ids=("关于高企认定的通知", "2023/通知.txt")), DOCS)
    assert checked.doc_ids == ("2023/通知.txt",)                                 # a title, once
    assert filters.labels(filters.check(Filters(doc_ids=("汇编.txt",), kinds=("policy",), date_from="2023年"), DOCS),
                          DOCS) == ["文档：政策汇编", "类型：政策文件", "日期：2023 至 不限"]


@pytest.fixture(scope="module")
def small_kb(tmp_path_factory):
    root = tmp_path_factory.mktemp("filters")
    shutil.copy(CORPUS / NEWS, root / NEWS)
    kb = KnowledgeBase(load_settings(env={"KB_DATA_DIR": str(root / "data")}),
                       embedder=HashEmbedding())
    assert [e.status for e in kb.ingest([root / NEWS])] == ["ok"]
    return kb


@pytest.mark.integration
def test_the_library_refuses_bad_filters_and_notes_a_refusal_under_them(small_kb):
    question = "2024年园区高新技术企业净增多少家？"
    with pytest.raises(KBError, match="晚于截止日期"):
        small_kb.search(question, filters=Filters(date_from="2025", date_to="2024"))
    with pytest.raises(KBError, match="没有文档"):
        small_kb.ask(question, filters=Filters(doc_ids=("不存在.txt",)))
    by_title = small_kb.ask(question, filters=Filters(doc_ids=(small_kb.documents()[0].title,)))
    assert by_title.answered and not any("限定范围" in n for n in by_title.notes)
    refused = small_kb.ask(question, filters=Filters(kinds=("policy",)))
    assert not refused.answered and any("限定范围" in n and "类型：政策文件" in n for n in refused.notes)
    assert small_kb.ask(question, filters=Filters(date_from="2024年1月")).answered is not None


@pytest.mark.integration
def test_the_cli_gives_the_same_lines(small_kb, monkeypatch, capsys):
    from cli.main import main
    monkeypatch.setenv("KB_DATA_DIR", str(small_kb.settings.data_dir))
    monkeypatch.setenv("KB_EMBED_BACKEND", "hash")
    question = "2024年园区高新技术企业净增多少家？"
    assert main(["ask", question, "--date-from", "2025年", "--date-to", "2024年12月"]) == 1
    assert "错误：起始日期 2025 晚于截止日期 2024-12" in capsys.readouterr().err
    assert main(["search", question, "--doc", "随便写的"]) == 1
    assert "知识库中没有文档“随便写的”" in capsys.readouterr().err
    assert main(["ask", question, "--kind", "policy"]) == 0
    assert "注：以上是在限定范围内检索的结果（类型：政策文件）" in capsys.readouterr().out


@pytest.mark.integration
def test_the_page_shows_the_same_lines(served):
    _, url, _ = served
    client = _client(url)
    chat, _, error, *_ = client.predict("高新技术企业净增多少家？", [], [], "2024-06", "2024-01", api_name="/ask")
    assert "起始日期 2024-06 晚于截止日期 2024-01" in error and chat == {"__type__": "update"}     # no turn
    chat, _, error, *_ = client.predict("高新技术企业净增多少家？", ["随便写的"], [], "", "", api_name="/ask")
    assert "知识库中没有文档“随便写的”" in error and chat == {"__type__": "update"}
    chat, *_ = client.predict("高新技术企业净增多少家？", [], ["policy"], "", "", api_name="/ask")
    assert "以上是在限定范围内检索的结果（类型：政策文件）" in chat[-1]["content"][0]["text"]


@pytest.mark.integration
def test_chips_show_filters_and_problems_as_text(small_kb):
    from ui.filter_bar import chips_html
    shown, active = chips_html(small_kb, ['<img src=x onerror="alert(1)">'], ["policy"], "", "")
    assert active and "kb-chip-bad" in shown and "&lt;img src=x" in shown and "<img" not in shown
    shown, active = chips_html(small_kb, [small_kb.documents()[0].doc_id], ["policy"], "2023年3月", "")
    assert f"文档：{small_kb.documents()[0].title}" in shown and "类型：政策文件" in shown and "日期：2023-03 至 不限" in shown
    assert chips_html(small_kb, [], [], "", "") == ('<div class="kb-chips"></div>', False)
