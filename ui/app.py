"""The staff's Gradio workplace: a thin layer over kb.library (问答 · 文档库 · 导出)."""
from __future__ import annotations

import os
import threading

import gradio as gr  # noqa: E402

from kb.settings import Settings  # noqa: E402

from starlette.middleware import Middleware  # noqa: E402

from . import filter_bar, page, render  # noqa: E402
from .auth import ROLE_LABELS, Login, parse_users  # noqa: E402
from .chat import build_chat_tab  # noqa: E402
from .export_tab import build_export_tab  # noqa: E402
from .library_tab import build_library_tab  # noqa: E402
from .source_view import OPEN_JS  # noqa: E402

TITLE = "常州科技知识库"
# System fonts only: nothing is fetched from Google Fonts or any other host.
FONTS = ["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Zen Hei", "ui-sans-serif", "system-ui",
         "sans-serif"]
MONO_FONTS = ["ui-monospace", "Consolas", "monospace"]
CSS = render.CSS + filter_bar.CSS + """
.app-header h1 { margin-bottom: 0; }
.app-header { align-items: flex-start; }
footer { display: none !important; }
"""

# Clicking [n] in an older answer: unfold that turn's sources so the anchor is visible.
# Copying: gradio's per-message copy button copies the message's HTML; the clipboard gets its text instead
# ([1] stays, <a …> goes). kbCopy falls back to execCommand where the page is plain http on the LAN
# (no navigator.clipboard there).
HEAD = """<script>
const kbPlain = (s) => {
  if (!/<[a-z\\/]/i.test(s)) return s;
  const doc = new DOMParser().parseFromString(s.replace(/<br\\s*\\/?>/gi, "\\n"), "text/html");
  return doc.body.textContent;
};
if (navigator.clipboard && navigator.clipboard.writeText) {
  const write = navigator.clipboard.writeText.bind(navigator.clipboard);
  navigator.clipboard.writeText = (s) => write(kbPlain(String(s)));
}
// Labels gradio writes in English whatever the language (screen readers read them out).
const kbZh = {"chatbot conversation": "对话记录", "Textbox": "文本框", "Table actions": "表格操作",
  "Copy table data": "复制表格数据", "Fullscreen": "全屏", "Exit fullscreen": "退出全屏",
  "Click to upload or drop files": "点击上传或拖放文件", "Clear": "清除", "Copy": "复制", "Copied": "已复制",
  "Download": "下载", "Remove": "移除", "Upload": "上传", "Share": "分享", "Sort": "排序", "Search": "搜索",
  "Close": "关闭", "Empty value": "空", "File upload": "上传文件", "Error": "出错了", "Warning": "注意", "Info": "提示"};
const kbSel = Object.keys(kbZh).map((k) => `[aria-label="${k}"],[title="${k}"]`).join(",");
// The progress line is English text in gradio's status tracker ("processing | 2.3/0.9s", "queue: 2/5 |").
const kbText = [[/^processing \\|/, "处理中 |"], [/^queue: /, "排队："]];
const kbFixText = (node) => {
  for (const [pattern, zh] of kbText) {
    if (pattern.test(node.nodeValue)) node.nodeValue = node.nodeValue.replace(pattern, zh);
  }
};
const kbFixTree = (root) => {
  if (root.nodeType === Node.TEXT_NODE) return kbFixText(root);
  if (root.nodeType !== Node.ELEMENT_NODE) return;
  const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) kbFixText(walk.currentNode);
};
new MutationObserver((records) => {
  for (const r of records) {
    if (r.type === "characterData") kbFixText(r.target);
    for (const node of r.addedNodes || []) kbFixTree(node);
  }
  // A toast's heading is its type word ("Error"), whatever title the server sent.
  for (const el of document.querySelectorAll('[data-testid="toast-body"] .toast-title-row > span')) {
    const word = el.textContent.trim();
    if (kbZh[word]) el.textContent = kbZh[word];
  }
  for (const el of document.querySelectorAll(kbSel)) {
    for (const attr of ["aria-label", "title"]) {
      if (kbZh[el.getAttribute(attr)]) el.setAttribute(attr, kbZh[el.getAttribute(attr)]);
    }
  }
}).observe(document.documentElement, {subtree: true, childList: true, characterData: true});
window.kbCopy = (text) => {
  if (!text) return;
  if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text); return; }
  const area = document.createElement("textarea");
  area.value = text; document.body.appendChild(area); area.select(); document.execCommand("copy"); area.remove();
};
%OPEN_JS%
window.addEventListener("hashchange", () => {
  const el = document.getElementById(decodeURIComponent(location.hash.slice(1)));
  const turn = el && el.closest("details");
  if (turn && !turn.open) { turn.open = true; el.scrollIntoView({block: "nearest"}); }
});
</script>""".replace("%OPEN_JS%", OPEN_JS)


def theme() -> gr.themes.Base:
    return gr.themes.Default(primary_hue="blue", font=FONTS, font_mono=MONO_FONTS)


def login_for(settings: Settings) -> Login:
    return Login(parse_users(settings.users), settings.login_max_failures, settings.login_window_s)


def build_app(kb, login: Login | None = None) -> gr.Blocks:
    login = login or login_for(kb.settings)
    # delete_cache: what gradio copies into its temp folder for the browser (exports, a document's original for
    # 下载原文件, page images) is deleted after an hour, so no copy of a removed document stays for long.
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(1800, 3600)) as app:
        with gr.Row(elem_classes="app-header"):
            gr.Markdown(f"# {TITLE}\n科技期刊、政策文件与新闻报道的检索问答：每个回答都标注出处，点击 [1] [2] 可查看原文。")
            who = gr.Markdown("", visible=bool(login.users))
            # all_session=false: only this browser is logged out, not the same user's other sessions.
            gr.Button("退出登录", link="/logout?all_session=false", size="sm", scale=0, min_width=90,
                      visible=bool(login.users))
        with gr.Tabs():
            with gr.Tab("问答"):
                chat = build_chat_tab(kb)
            with gr.Tab("文档库"):
                library = build_library_tab(kb, chat.docs, login)
            with gr.Tab("导出"):
                build_export_tab(chat.conversation)

        def on_load(request: gr.Request):
            name = getattr(request, "username", None)
            editor = login.role(name) == "editor"
            role = ROLE_LABELS[login.role(name)]
            return (*library.refresh(), f"当前用户：**{name}**（{role}）" if name else "",
                    chat.history.choices(request), *[gr.update(visible=editor) for _ in library.editor_only])

        app.load(on_load, None, [*library.refreshed, who, chat.history.chosen, *library.editor_only],
                 api_visibility="private")
    return app


def launch_options(settings: Settings, login: Login | None = None) -> dict:
    """Everything launch() needs besides host and port; the tests use the same options (and the same Login
    as build_app, so the page and the API agree on who may do what)."""
    login = login or login_for(settings)
    return {"theme": theme(), "css": CSS, "head": HEAD, "share": False, "ssr_mode": False, "pwa": False, "mcp_server": False,
            "auth": login if login.users else None,
            "auth_message": "请使用管理员分配的账号登录" if login.users else None,
            "i18n": page.i18n(), "app_kwargs": {"middleware": [Middleware(page.ChinesePage)]},
            "max_file_size": f"{settings.max_file_mb:g}mb", "footer_links": [], "show_error": True, "quiet": True}


def _warm_up(kb) -> None:
    try:
        kb.warm_up()
    except Exception as err:      # an empty or broken index is reported when someone asks, not here
        print(f"预热未完成：{err}", flush=True)


def serve(host: str | None = None, port: int | None = None) -> None:
    # No analytics calls, no telemetry (gradio reads the variable when it would call; build_app also says so).
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from kb.library import KnowledgeBase
    kb = KnowledgeBase()
    host = host or kb.settings.host
    port = port or kb.settings.port
    if host not in ("127.0.0.1", "localhost", "::1") and not kb.settings.users:
        print(f"注意：服务监听 {host}，局域网内的其他电脑也能访问；建议设置 KB_USERS 启用登录。", flush=True)
    # Models and indexes load while gradio starts, not on the first user's question.
    threading.Thread(target=_warm_up, args=(kb,), name="kb-warm-up", daemon=True).start()
    print(f"常州科技知识库已启动：http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}", flush=True)
    login = login_for(kb.settings)
    build_app(kb, login).queue(default_concurrency_limit=4).launch(server_name=host, server_port=port,
                                                                   **launch_options(kb.settings, login))
