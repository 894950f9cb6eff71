"""The workplace in a real headless browser (Debian's chromium driven by Playwright): ask, follow [n], export.

Skipped when /usr/bin/chromium or the playwright package is missing (test.sh installs chromium when run as root).
No browser is downloaded: Playwright launches the system chromium with networking extras switched off.
"""
from __future__ import annotations

import os
from pathlib import Path

import docx
import pytest

from conftest import HashEmbedding, launch_app

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
FIRST = "2024年园区高新技术企业净增多少家？"
SECOND = "常州科教城成立多少年了？"
TIMEOUT_MS = 15_000

if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
    pytest.skip("需要 /usr/bin/chromium（apt-get install -y chromium）；未安装，跳过浏览器测试", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="需要 playwright 包（pip install -e '.[test]'）；未安装，跳过浏览器测试")
sync_api.expect.set_options(timeout=TIMEOUT_MS)      # two busy cores: a page reload can take more than 5 s


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


def test_ask_follow_citation_and_export_docx(served, page, tmp_path):
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
    assert f"一、{FIRST}" in text and f"二、{SECOND}" in text and "净增30家以上" in text


QUICK = ["2024年园区高新技术企业净增多少家？", "常州科教城成立多少年了？", "科教城获得什么荣誉？",
         "科教城有多少家高校？", "科教城今年有什么计划？"]


def test_questions_sent_while_one_is_answered_are_all_answered_in_order(served, page):
    _, url, _ = served
    page.goto(url)
    box = page.get_by_placeholder("请输入问题，回车发送")
    for question in QUICK:                     # five Enters 0.2 s apart, as the bureau did
        box.fill(question)
        box.press("Enter")
        page.wait_for_timeout(200)
    box.fill("正在输入的下一个问题")            # typed while the answers arrive
    turns = page.locator("details.src-turn > summary")
    sync_api.expect(turns).to_have_count(5)
    sync_api.expect(page.get_by_text("排队中")).to_have_count(0)
    shown = sorted(turns.all_inner_texts(), key=lambda t: int(t.split("：")[0].split()[1]))
    assert shown == [f"问题 {i}：{q}" for i, q in enumerate(QUICK, start=1)]
    assert box.input_value() == "正在输入的下一个问题"          # no answer cleared the box


def test_copy_gives_plain_text_and_copy_with_sources(served, page):
    _, url, _ = served
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
    page.goto(url)
    ask(page, FIRST, 1)
    page.locator(".message-row, .message-wrap").filter(has_text="净增30家以上").last.hover()
    page.locator('button[aria-label="复制此条"], button[title="复制此条"]').last.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "净增30家以上" in copied and "[1]" in copied and "<" not in copied, copied
    page.get_by_role("button", name="复制回答及出处").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(f"问：{FIRST}") and "出处：" in copied and "[1] " in copied and "<" not in copied
    assert copied.index("净增30家以上") < copied.index("出处：")


ENGLISH = ["Drop File Here", "Click to Upload", "Error", "Login", "Logout", "username", "password",
           "Incorrect Credentials", "processing", "Submit", "Clear", "Retry", "Undo", "Copy", "Examples",
           "Upload", "Loading", "In queue", "Built with", "Use via API", "Settings", "Chatbot", "- or -",
           "Drop", "Download", "Close", "Empty value", "Fullscreen", "Table actions", "Textbox", "Copy table data", "Remove"]
_TEXTS_JS = """() => {
  const seen = [document.body.innerText];
  for (const el of document.querySelectorAll('[title], [placeholder], [aria-label]')) {
    if (el.offsetParent === null) continue;          // not on screen
    seen.push(el.getAttribute('title') || '', el.getAttribute('placeholder') || '', el.getAttribute('aria-label') || '');
  }
  return seen.join('\\n');
}"""


def english_on_screen(page) -> list[str]:
    import re
    text = page.evaluate(_TEXTS_JS)
    return [w for w in ENGLISH if re.search(rf"(?<![A-Za-z]){re.escape(w)}(?![a-z])", text, re.I)]


@pytest.fixture
def english_page(browser):
    """A browser set to English: the page must still be Chinese."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


def test_no_english_on_any_tab_even_in_an_english_browser(served, english_page):
    page = english_page
    _, url, _ = served
    page.goto(url)
    sync_api.expect(page.get_by_placeholder("请输入问题，回车发送")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    box = page.get_by_placeholder("请输入问题，回车发送")
    box.press("Enter")                                  # empty: ignored, no error
    page.get_by_text("检索范围（可选）").click()
    page.get_by_label("起始日期").fill("上个月")
    box.fill(FIRST)
    box.press("Enter")
    error = page.locator("#kb-error-line")
    sync_api.expect(error).to_contain_text("日期“上个月”格式不对")
    assert page.locator(".error, .toast-body").count() == 0          # one line, no overlay, no toast
    assert english_on_screen(page) == []
    # gradio's status tracker writes its progress line as English text; the page script rewrites it
    page.evaluate("""() => { const d = document.createElement('div'); d.id = 'kb-probe';
                             d.textContent = 'processing | 2.3/0.9s'; document.body.appendChild(d); }""")
    sync_api.expect(page.locator("#kb-probe")).to_have_text("处理中 | 2.3/0.9s")
    page.get_by_role("tab", name="文档库").click()
    sync_api.expect(page.get_by_text("上传并索引")).to_be_visible()
    assert english_on_screen(page) == []
    page.locator('input[type="file"][multiple]').set_input_files(files=[
        {"name": "表格.xlsx", "mimeType": "application/octet-stream", "buffer": b"PK\x03\x04"}])
    sync_api.expect(page.get_by_role("row").filter(has_text="表格").filter(has_text="xlsx")).to_have_count(1)
    assert english_on_screen(page) == []                      # the chosen file's row
    page.get_by_role("button", name="上传并索引").click()
    sync_api.expect(page.get_by_role("grid", name="处理结果")).to_contain_text("不支持的文件类型")
    assert english_on_screen(page) == []
    page.get_by_role("tab", name="导出").click()
    page.get_by_role("button", name="生成导出文件").click()          # nothing asked yet: a Chinese line
    sync_api.expect(page.locator(".kb-error").filter(has_text="还没有可导出的问答")).to_be_visible()
    assert page.locator(".toast-body").count() == 0
    assert english_on_screen(page) == []


@pytest.fixture(scope="module")
def served_login(tmp_path_factory):
    from kb.library import KnowledgeBase
    from kb.settings import load_settings
    root = tmp_path_factory.mktemp("login")
    settings = load_settings(env={"KB_DATA_DIR": str(root / "data"), "KB_USERS": "amy:pw1:reader,bo:pw2:editor"})
    with launch_app(KnowledgeBase(settings, embedder=HashEmbedding())) as url:
        yield url


def test_login_page_is_chinese_and_reader_sees_no_editing(served_login, english_page):
    page = english_page
    page.goto(served_login)
    sync_api.expect(page.get_by_text("请使用管理员分配的账号登录")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert english_on_screen(page) == []
    page.get_by_label("用户名").fill("amy")
    page.get_by_label("密码").fill("wrong")
    page.get_by_role("button", name="登录").click()
    sync_api.expect(page.get_by_text("凭据不正确", exact=False)).to_be_visible()     # gradio's own zh-CN line
    assert english_on_screen(page) == []
    page.get_by_label("用户名").fill("amy")              # gradio's form empties the name after a refusal
    page.get_by_label("密码").fill("pw1")
    page.get_by_role("button", name="登录").click()
    sync_api.expect(page.get_by_placeholder("请输入问题，回车发送")).to_be_visible()
    sync_api.expect(page.get_by_text("当前用户：amy", exact=False)).to_be_visible()
    assert english_on_screen(page) == []
    page.get_by_role("tab", name="文档库").click()
    sync_api.expect(page.get_by_text("已索引的文档").first).to_be_visible()
    sync_api.expect(page.get_by_role("button", name="上传并索引")).to_have_count(0)
    page.get_by_role("link", name="退出登录").click()
    sync_api.expect(page.get_by_label("用户名")).to_be_visible()


def test_markup_in_a_question_is_shown_as_text_not_run(served, page):
    _, url, _ = served
    page.goto(url)
    evil = '<img src=x onerror="window.kbXss=1"><script>window.kbXss=2</script>科教城获得什么荣誉？'
    box = page.get_by_placeholder("请输入问题，回车发送")
    box.fill(evil)
    box.press("Enter")
    sync_api.expect(page.locator("details.src-turn > summary")).to_have_count(1)
    sync_api.expect(page.get_by_text('<img src=x onerror="window.kbXss=1">', exact=False).first).to_be_visible()
    assert page.evaluate("window.kbXss") is None
    assert page.locator('img[src="x"]').count() == 0 and page.locator("details.src-turn script").count() == 0


def test_a_card_opens_its_whole_article_with_the_quote_marked(served, page):
    _, url, _ = served
    page.goto(url)
    ask(page, FIRST, 1)
    card = page.locator("#cite-1-1")
    sync_api.expect(card).not_to_contain_text("相关度")
    card.get_by_role("link", name="查看全文").click()
    view = page.locator("#kb-source-view")
    sync_api.expect(view.locator(".src-view")).to_have_count(1)          # the article arrived at all
    sync_api.expect(view.locator("mark")).not_to_have_count(0)
    sync_api.expect(view.locator("mark").first).to_be_in_viewport()
    sync_api.expect(view).to_contain_text("净增30家以上")
    assert len(view.inner_text()) > len(card.locator(".src-text").inner_text())     # the article, not the passage
    sync_api.expect(page.get_by_role("button", name="下载原文件", exact=False)).to_be_visible()
    assert len(page.context.pages) == 1


def test_history_survives_a_reload_and_is_restored(served, page):
    _, url, _ = served
    page.goto(url)
    ask(page, "科教城有多少家高校？", 1)
    page.reload()
    sync_api.expect(page.locator("details.src-turn")).to_have_count(0)      # a new page: nothing on screen
    page.get_by_text("历史对话").click()
    page.get_by_label("已保存的对话（最近的在前）").click()
    page.get_by_role("option").filter(has_text="科教城有多少家高校？").first.click()
    page.get_by_role("button", name="恢复所选对话").click()
    sync_api.expect(page.locator("details.src-turn > summary")).to_have_text(["问题 1：科教城有多少家高校？"])
    sync_api.expect(page.locator("#cite-1-1")).to_have_count(1)


def test_active_filters_are_chips_and_a_refusal_offers_to_search_everything(served, page):
    _, url, _ = served
    page.goto(url)
    page.get_by_text("检索范围（可选）").click()
    page.get_by_label("政策文件").check()
    chips = page.locator("#kb-filter-chips")
    sync_api.expect(chips).to_contain_text("类型：政策文件")
    page.get_by_label("起始日期").fill("2025年")
    page.get_by_label("截止日期").fill("2024年")
    page.get_by_label("截止日期").press("Tab")
    sync_api.expect(chips).to_contain_text("起始日期 2025 晚于截止日期 2024")
    page.get_by_label("起始日期").fill("")
    page.get_by_label("截止日期").fill("")
    page.get_by_label("截止日期").press("Tab")
    sync_api.expect(chips).not_to_contain_text("晚于")
    box = page.get_by_placeholder("请输入问题，回车发送")
    box.fill(FIRST)
    box.press("Enter")
    sync_api.expect(page.get_by_text("以上是在限定范围内检索的结果", exact=False).first).to_be_visible()
    everything = page.get_by_role("button", name="清除筛选，在全部文档中重新检索上一问")
    everything.click()
    sync_api.expect(page.locator("#cite-2-1")).to_have_count(1)
    sync_api.expect(chips).not_to_contain_text("政策文件")
    sync_api.expect(everything).to_be_hidden()
    assert page.locator("details.src-turn > summary").first.inner_text() == f"问题 2：{FIRST}"


@pytest.fixture(scope="module")
def served_magazine(tmp_path_factory):
    import shutil
    from kb.library import KnowledgeBase
    from kb.settings import load_settings
    from conftest import CORPUS
    root = tmp_path_factory.mktemp("magazine")
    (root / "corpus").mkdir()
    shutil.copy(CORPUS / "changzhou-keji-2023-03.txt", root / "corpus")
    settings = load_settings(env={"KB_DATA_DIR": str(root / "data"), "KB_CORPUS_DIR": str(root / "corpus")})
    kb = KnowledgeBase(settings, embedder=HashEmbedding())
    assert [e.status for e in kb.ingest([root / "corpus"])] == ["ok"]
    with launch_app(kb) as url:
        yield url


def test_a_follow_up_that_means_nothing_alone_is_answered_from_the_conversation(served_magazine, page):
    page.goto(served_magazine)
    ask(page, "首次认定为独角兽企业奖励多少？", 1)
    sync_api.expect(page.locator("#cite-1-1")).to_contain_text("奖励最高200万元")
    ask(page, "潜在的呢？", 2)
    answer = page.locator('a.cite-link[href="#cite-2-1"]').locator("xpath=ancestor::*[contains(@class,'message')][1]")
    sync_api.expect(answer).to_contain_text("潜在独角兽企业的，奖励最高50万元")
    sync_api.expect(answer).to_contain_text("按上文理解为：")
    sync_api.expect(page.locator("#cite-2-1 mark")).to_contain_text("潜在独角兽")
