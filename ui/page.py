"""The page in Chinese whatever the browser's language: <html lang="zh-CN">, gradio's own strings from its zh-CN
catalogue (it follows navigator.language), and the few strings that catalogue lacks."""
from __future__ import annotations

# Runs before gradio's bundle: gradio picks its UI language from navigator.language (an English Windows shows
# “Drop File Here”); the bureau's workplace is Chinese on every machine.
FORCE_ZH = (b'<script>(() => { const zh = () => "zh-CN", zhs = () => ["zh-CN", "zh"];'
            b' Object.defineProperty(Navigator.prototype, "language", {get: zh, configurable: true});'
            b' Object.defineProperty(Navigator.prototype, "languages", {get: zhs, configurable: true}); })();</script>')

# Keys gradio's zh-CN catalogue does not have (it falls back to English for them).
MISSING_ZH = {
    "login": {"incorrect_credentials": "用户名或密码错误（多次输错后该账号将暂时无法登录）",
              "enable_cookies": "请允许浏览器保存 Cookie 后再登录", "login": "登录", "username": "用户名",
              "password": "密码"},
    "chatbot": {"copy_message": "复制此条", "copied_message": "已复制", "new_chat": "新对话",
                "message_placeholder": "请输入……", "conversation": "对话", "chatbot": "对话", "complete": "完成"},
    "blocks": {"queue_position": "排队中：第 {position} 位，共 {size} 位", "progress": "进度"},
    "common": {"queue_position": "排队中：第 {position} 位，共 {size} 位", "run": "运行", "upload": "上传",
               "download_all": "全部下载"},
    "upload_text": {"click_to_upload": "点击上传", "drop_file": "将文件拖放到此处", "or": "或"},
}


def i18n():
    import gradio as gr
    return gr.I18n(**{"zh-CN": _flat(MISSING_ZH)})


def _flat(tree: dict, prefix: str = "") -> dict[str, str]:
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def localise(html: bytes) -> bytes:
    html = html.replace(b'lang="en"', b'lang="zh-CN"', 1)
    return html.replace(b"<head>", b"<head>" + FORCE_ZH, 1)


class ChinesePage:
    """ASGI middleware: rewrite gradio's HTML pages (the app and its login page) as they leave the server; note
    each request's client address for the login throttle."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":       # for login throttling per address (ui.auth.Login)
            from .auth import CLIENT_ADDRESS
            CLIENT_ADDRESS.set((scope.get("client") or ("",))[0] or "")
        if scope["type"] != "http" or scope.get("method") != "GET":
            return await self.app(scope, receive, send)
        start, body = {}, []

        async def capture(message):
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers") or [])
                if not headers.get(b"content-type", b"").startswith(b"text/html") or b"content-encoding" in headers:
                    start["pass"] = True
                    return await send(message)
                start["msg"] = message
                return None
            if start.get("pass"):
                return await send(message)
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return None
            data = localise(b"".join(body))
            msg = start["msg"]
            headers = [(k, v) for k, v in msg.get("headers", []) if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(data)).encode()))
            await send({**msg, "headers": headers})
            await send({"type": "http.response.body", "body": data})

        await self.app(scope, receive, capture)
