"""Offline by construction: non-loopback sockets are refused, and every test gets its own data dir."""
from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from kb.embeddings import HashEmbedding  # noqa: E402,F401  (re-exported: tests import it from conftest)

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"

_real_connect = socket.socket.connect
_real_create_connection = socket.create_connection


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
