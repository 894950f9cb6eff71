"""Offline by construction: non-loopback sockets are refused, and every test gets its own data dir. Also the
shared helpers (free port, the app on 127.0.0.1, a fake LLM, PDFs made in the test) and the check that every
test carries one of the markers unit / integration / browser."""
from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import shutil
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hash_embedding import HashEmbedding, register  # HashEmbedding re-exported for the tests

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
KB_CLI = TESTS / "kb_cli.py"          # `kb` with the hash embedder registered, for subprocess tests
CORPUS = ROOT / "corpus"

_real_connect = socket.socket.connect
_real_create_connection = socket.create_connection


def pytest_configure(config):
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    register()                   # embed_backend "hash" (KB_EMBED_BACKEND=hash) for in-process tests


def _is_loopback(address) -> bool:
    if isinstance(address, (str, bytes)):      # AF_UNIX
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self, address):
    if not _is_loopback(address):
        raise ConnectionRefusedError(f"test suite is offline: connection to {address!r} refused")
    return _real_connect(self, address)


def _guarded_create_connection(address, *args, **kwargs):
    if not _is_loopback(address):
        raise ConnectionRefusedError(f"test suite is offline: connection to {address!r} refused")
    return _real_create_connection(address, *args, **kwargs)


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket, "create_connection", _guarded_create_connection)
    yield


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    path = tmp_path / "kbdata"
    monkeypatch.setenv("KB_DATA_DIR", str(path))
    return path


@pytest.fixture
def hash_embedder():
    """Deterministic stand-in for bookkeeping tests (ids, consistency); the same as KB_EMBED_BACKEND=hash."""
    return HashEmbedding()


@pytest.fixture(scope="session")
def corpus_kb(tmp_path_factory):
    """The bundled corpus indexed once with the real bundled model (shared, read-only for tests)."""
    from kb.library import KnowledgeBase
    from kb.settings import load_settings
    settings = load_settings(env={"KB_DATA_DIR": str(tmp_path_factory.mktemp("corpus_kb"))})
    kb = KnowledgeBase(settings)
    events = list(kb.ingest([CORPUS]))
    assert all(e.status == "ok" for e in events), [e.message for e in events]
    return kb


@pytest.fixture(scope="session")
def tokenizer(tmp_path_factory):
    """The bureau tokenizer (jieba with the vocabulary and aliases), for answerer tests on hand-made passages."""
    from kb.settings import Settings
    from kb.text import Tokenizer
    s = Settings()
    return Tokenizer(s.vocab_file, s.aliases_file, cache_dir=tmp_path_factory.mktemp("jieba"))


# -- shared helpers: free port, the app on 127.0.0.1, a fake LLM, PDFs made in the test ------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def launch_app(kb, login=None):
    """The Gradio workplace over `kb` on a free 127.0.0.1 port (the launch options the real server uses); its URL."""
    from ui.app import build_app, launch_options, login_for
    login = login or login_for(kb.settings)
    app = build_app(kb, login)
    port = free_port()
    app.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                       **launch_options(kb.settings, login))
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


NEWS = "xiandaikuaibao-2023-kejiaocheng.txt"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The app on 127.0.0.1 over one news file of the corpus and the hash embedder: (kb, url, root folder)."""
    from kb.library import KnowledgeBase
    from kb.settings import load_settings
    root = tmp_path_factory.mktemp("ui")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / NEWS, corpus / NEWS)
    settings = load_settings(env={"KB_DATA_DIR": str(root / "data"), "KB_CORPUS_DIR": str(corpus)})
    kb = KnowledgeBase(settings, embedder=HashEmbedding())
    assert [e.status for e in kb.ingest([corpus])] == ["ok"]
    with launch_app(kb) as url:
        yield kb, url, root


# The tiny policy the LLM tests ask about, and the answer a well-behaved model gives.
POLICY = ("常州市高新技术企业培育奖励办法\n"
          "第一条 对首次认定的高新技术企业，奖励20万元。\n"
          "第二条 对再次认定的高新技术企业，奖励10万元。\n"
          "第三条 列入《常州市科技企业培育计划》的企业，研发费用补助比例为30%。")
QUESTION = "首次认定高企奖励多少？"
GOOD = "对首次认定的高新技术企业奖励20万元[1]。"


class FakeLLM(BaseHTTPRequestHandler):
    """An OpenAI-compatible /chat/completions over real HTTP. Replies per the server's script: reply text, delay
    before (or, streaming, after the first chunk), mode (http500 | malformed | bad_sse)."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        script = self.server.script
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, request))
        try:
            if script.get("delay") and not script.get("stall_after_first"):
                time.sleep(script["delay"])
            if script.get("mode") == "http500":
                return self._send(500, "application/json", b'{"error": {"message": "boom"}}')
            if script.get("mode") == "malformed":
                return self._send(200, "application/json", b'{"choices": [{"message": ')
            if request.get("stream"):
                return self._stream(script)
            body = {"id": "c1", "object": "chat.completion", "created": 0, "model": request["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": script["reply"]}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
            self._send(200, "application/json", json.dumps(body, ensure_ascii=False).encode())
        except (BrokenPipeError, ConnectionResetError):
            pass            # the client gave up (timeout test)

    def _send(self, status, ctype, body):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, script):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        reply = script["reply"]
        for i in range(0, len(reply), 4):
            chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m",
                     "choices": [{"index": 0, "delta": {"content": reply[i:i + 4]}, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()
            if i == 0 and script.get("stall_after_first"):
                time.sleep(script["delay"])
        if script.get("mode") == "bad_sse":
            self.wfile.write(b"data: {not json\n\n")
        self.wfile.write(b"data: [DONE]\n\n")


@contextlib.contextmanager
def fake_llm(script: dict | None = None):
    """A FakeLLM server on 127.0.0.1; set .script to change what it does, .requests holds (path, body) seen."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeLLM)
    httpd.daemon_threads = True
    httpd.script, httpd.requests = script or {"reply": GOOD}, []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def pdf_pages(path: Path, pages: list[list[str]], encrypt: str | None = None, size: float = 12) -> Path:
    """A PDF with one line per string, a page per list, in reportlab's built-in CID font (STSong-Light)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt)
    for lines in pages:
        c.setFont("STSong-Light", size)
        for i, line in enumerate(lines):
            c.drawString(72, 780 - i * 20, line)
        c.showPage()
    c.save()
    return path


KINDS = ("unit", "integration", "browser")


def pytest_collection_modifyitems(config, items):
    """Every test says what it needs: exactly one of unit / integration / browser (slow may come on top)."""
    wrong = [f"{item.nodeid}: {kinds or 'none'}" for item in items
             if len(kinds := [k for k in KINDS if item.get_closest_marker(k)]) != 1]
    if wrong:
        raise pytest.UsageError("tests need exactly one of the markers unit / integration / browser:\n"
                                + "\n".join(wrong))
