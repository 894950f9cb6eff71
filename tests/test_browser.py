"""The workplace in a real headless browser (Debian's chromium driven by Playwright): ask, follow [n], export.

Skipped when /usr/bin/chromium or the playwright package is missing (test.sh installs chromium when run as root).
No browser is downloaded: Playwright launches the system chromium with networking extras switched off.
"""
from __future__ import annotations

import os
from pathlib import Path

import docx
import pytest

from test_ui import served  # noqa: F401  (the app on 127.0.0.1 with a small corpus and the hash embedder)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
FIRST = "2024年园区高新技术企业净增多少家？"
SECOND = "常州科教城成立多少年了？"
TIMEOUT_MS = 15_000

if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
    pytest.skip("需要 /usr/bin/chromium（apt-get install -y chromium）；未安装，跳过浏览器测试", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="需要 playwright 包（pip install -e '.[test]'）；未安装，跳过浏览器测试")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, timeout=30_000)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


def ask(page, question: str, turn: int):
    box = page.get_by_placeholder("请输入问题，回车发送")
    box.fill(question)
    box.press("Enter")
    sync_api.expect(page.locator(f'#cite-{turn}-1')).to_have_count(1)        # its sources have arrived
    sync_api.expect(box).to_have_value("")


def test_ask_follow_citation_and_export_docx(served, page, tmp_path):  # noqa: F811
    expect = sync_api.expect
    _, url, _ = served
    page.goto(url)
    ask(page, FIRST, 1)
    answer = page.locator('a.cite-link[href="#cite-1-1"]').locator("xpath=ancestor::*[contains(@class,'message')][1]")
    expect(answer).to_contain_text("净增30家以上")
    card = page.locator("#cite-1-1")
    expect(card).to_be_visible()
    expect(card).to_contain_text("常州科教城")
    expect(card.locator("mark")).not_to_have_count(0)

    # A second question folds the first turn's sources; [1] in the first answer must unfold and show its card.
    ask(page, SECOND, 2)
    expect(card).to_be_hidden()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.locator('a.cite-link[href="#cite-1-1"]').click()
    expect(card).to_be_visible()
    expect(card).to_be_in_viewport()
    assert page.evaluate("location.hash") == "#cite-1-1"
    assert len(page.context.pages) == 1                       # the marker stays in the page, no new tab

    page.get_by_role("tab", name="导出").click()
    page.get_by_label("整个对话").check()
    page.get_by_role("button", name="生成导出文件").click()
    link = page.get_by_role("row").filter(has_text=".docx").get_by_role("link")      # gradio's file row: ⇣
    expect(link).to_be_visible()
    with page.expect_download() as info:
        link.click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert target.suffix == ".docx"
    text = "\n".join(p.text for p in docx.Document(str(target)).paragraphs)
    assert f"问题 1：{FIRST}" in text and f"问题 2：{SECOND}" in text and "净增30家以上" in text
