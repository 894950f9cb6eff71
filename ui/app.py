"""The staff's Gradio workplace: a thin layer over kb.library (问答 · 文档库 · 导出)."""
from __future__ import annotations

import os
import threading

# Before gradio is imported: no analytics calls, no telemetry.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import gradio as gr  # noqa: E402

from kb.settings import Settings  # noqa: E402

from . import render  # noqa: E402
from .chat import build_chat_tab  # noqa: E402
from .export_tab import build_export_tab  # noqa: E402
from .library_tab import build_library_tab  # noqa: E402

TITLE = "常州科技知识库"
# System fonts only: nothing is fetched from Google Fonts or any other host.
FONTS = ["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Zen Hei", "ui-sans-serif", "system-ui",
         "sans-serif"]
MONO_FONTS = ["ui-monospace", "Consolas", "monospace"]
CSS = render.CSS + """
.app-header h1 { margin-bottom: 0; }
footer { display: none !important; }
"""

# Clicking [n] in an older answer: unfold that turn's sources so the anchor is visible.
HEAD = """<script>
window.addEventListener("hashchange", () => {
  const el = document.getElementById(decodeURIComponent(location.hash.slice(1)));
  const turn = el && el.closest("details");
  if (turn && !turn.open) { turn.open = true; el.scrollIntoView({block: "nearest"}); }
});
</script>"""


def theme() -> gr.themes.Base:
    return gr.themes.Default(primary_hue="blue", font=FONTS, font_mono=MONO_FONTS)


def parse_users(spec: str) -> list[tuple[str, str]]:
    """'name:password,name2:pw2' -> [(name, password), ...]; malformed entries are an error."""
    users = []
    for item in (spec or "").split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, password = item.partition(":")
        if not sep or not name.strip() or not password:
            raise ValueError(f"用户配置格式应为 用户名:密码，多个用逗号分隔（出错的一项：{name.strip() or item}）")
        users.append((name.strip(), password))
    return users


def build_app(kb) -> gr.Blocks:
    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        gr.Markdown(f"# {TITLE}\n科技期刊、政策文件与新闻报道的检索问答：每个回答都标注出处，点击 [1] [2] 可查看原文。",
                    elem_classes="app-header")
        with gr.Tabs():
            with gr.Tab("问答"):
                chat = build_chat_tab(kb)
            with gr.Tab("文档库"):
                refresh, refreshed = build_library_tab(kb, chat.docs)
            with gr.Tab("导出"):
                build_export_tab(chat.pairs)
        app.load(refresh, None, refreshed, api_visibility="private")
    return app


def launch_options(settings: Settings) -> dict:
    """Everything launch() needs besides host and port; the tests use the same options."""
    users = parse_users(settings.users)
    return {"theme": theme(), "css": CSS, "head": HEAD, "share": False, "ssr_mode": False, "pwa": False, "mcp_server": False,
            "auth": users or None, "auth_message": "请使用管理员分配的账号登录" if users else None,
            "max_file_size": f"{settings.max_file_mb:g}mb", "footer_links": [], "show_error": True, "quiet": True}


def _warm_up(kb) -> None:
    try:
        kb.warm_up()
    except Exception as err:      # an empty or broken index is reported when someone asks, not here
        print(f"预热未完成：{err}", flush=True)


def serve(host: str | None = None, port: int | None = None) -> None:
    from kb.library import KnowledgeBase
    kb = KnowledgeBase()
    host = host or kb.settings.host
    port = port or kb.settings.port
    if host not in ("127.0.0.1", "localhost", "::1") and not kb.settings.users:
        print(f"注意：服务监听 {host}，局域网内的其他电脑也能访问；建议设置 KB_USERS 启用登录。", flush=True)
    # Models and indexes load while gradio starts, not on the first user's question.
    threading.Thread(target=_warm_up, args=(kb,), name="kb-warm-up", daemon=True).start()
    print(f"常州科技知识库已启动：http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}", flush=True)
    build_app(kb).queue(default_concurrency_limit=4).launch(server_name=host, server_port=port,
                                                            **launch_options(kb.settings))
