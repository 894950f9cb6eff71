"""The knowledge base against a real `chroma run` server on loopback (KB_CHROMA_URL), including the server going
away and coming back while a KnowledgeBase stays open. Skipped when the `chroma` executable is not installed."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlparse

import chromadb
import pytest

from cli.main import main
from kb.errors import KBError
from kb.library import KnowledgeBase
from kb.retrieve import Filters
from kb.settings import load_settings

from conftest import CORPUS, HashEmbedding, free_port

CHROMA = shutil.which("chroma") or shutil.which("chroma", path=str(Path(sys.executable).parent))
pytestmark = [pytest.mark.integration, pytest.mark.slow,
              pytest.mark.skipif(CHROMA is None, reason="未安装 chroma 命令行（pip install chromadb），跳过 Chroma 服务模式测试")]

POLICY = "第一条 对首次认定的高新技术企业奖励20万元。\n\n第二条 对再次认定的高新技术企业奖励10万元。"
SMALL = ("kejiribao-2021-zhongzhou-shuniu.txt", "xiandaikuaibao-2023-kejiaocheng.txt")


class ChromaServer:
    """`chroma run` on 127.0.0.1 with its own data folder; stop() and start() keep the port and the folder."""

    def __init__(self, folder: Path):
        self.folder, self.port, self.proc = folder, free_port(), None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"}
        log = open(self.folder.parent / f"chroma-{self.port}.log", "ab")
        self.proc = subprocess.Popen([CHROMA, "run", "--path", str(self.folder), "--host", "127.0.0.1",
                                      "--port", str(self.port)], stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                pytest.fail(f"chroma run exited ({self.proc.returncode}); see {log.name}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"chroma run did not answer its heartbeat within {timeout} s; see {log.name}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    server = ChromaServer(tmp_path_factory.mktemp("chroma_server") / "data")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server_env(chroma_server, monkeypatch):
    """KB_* for a KnowledgeBase on the server, each test in its own collection."""
    monkeypatch.setenv("KB_CHROMA_URL", chroma_server.url)
    monkeypatch.setenv("KB_COLLECTION", f"test_{uuid.uuid4().hex[:12]}")
    monkeypatch.setenv("KB_EMBED_BACKEND", "hash")
    return chroma_server


def _files(tmp_path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in SMALL + ("metadata.toml",):
        shutil.copy(CORPUS / name, folder / name)
    (folder / "policy.txt").write_text(POLICY, encoding="utf-8")
    return folder


def _kb() -> KnowledgeBase:
    return KnowledgeBase(load_settings(), embedder=HashEmbedding())


def _consistent(kb) -> bool:
    return set(kb.catalog.chunk_ids()) == kb.vectors.ids() == set(kb.bm25.stored_ids())


def test_ingest_search_ask_remove_on_a_server(server_env, tmp_path, data_dir):
    folder = _files(tmp_path)
    kb = _kb()
    assert [e.status for e in kb.ingest([folder])] == ["ok"] * 3
    assert _consistent(kb) and not (data_dir / "chroma").exists()        # nothing written to an embedded store
    assert kb.status().vector_store == f"Chroma 服务 {server_env.url}"
    url = urlparse(server_env.url)              # the server's collection is searched at the configured breadth
    collection = chromadb.HttpClient(host=url.hostname, port=url.port).get_collection(kb.settings.collection)
    assert collection.configuration["hnsw"]["ef_search"] == kb.settings.dense_search_ef

    hits = kb.search("首次认定高企奖励多少？", top_k=3)
    assert hits and "20万元" in hits[0].text and hits[0].doc_id == "policy.txt"
    answer = kb.ask("首次认定高企奖励多少？")
    assert answer.answered and "20万元" in answer.text and answer.citations[0].hit.doc_id == "policy.txt"

    # Dense retrieval alone honours document and date filters (the doc_id metadata used to be "None").
    vector = kb.embedder.get_query_embedding("常州科教城")
    only = [cid for cid, _ in kb.vectors.query(vector, 5, Filters(doc_ids=(SMALL[1],)))]
    assert only and {r["doc_id"] for r in kb.catalog.chunks(only).values()} == {SMALL[1]}
    assert kb.vectors.query(vector, 5, Filters(date_from="2023-01"))
    assert not kb.vectors.query(vector, 5, Filters(date_from="2030-01"))

    ids = kb.vectors.ids()
    assert [e.status for e in kb.ingest([folder])] == ["unchanged"] * 3 and kb.vectors.ids() == ids

    assert kb.remove("policy.txt") == 1
    assert _consistent(kb) and not any(h.doc_id == "policy.txt" for h in kb.search("首次认定高企奖励", top_k=5))

    # A second KnowledgeBase (another process in real life) sees the same server collection at once.
    other = _kb()
    assert other.vectors.ids() == kb.vectors.ids()
    assert other.search("科教城", top_k=3, filters=Filters(doc_ids=(SMALL[1],)))


def test_upsert_replaces_metadata_of_an_unchanged_chunk(server_env):
    """Chroma's add() ignores ids it holds; a chunk whose text stays but whose document's date changes must move."""
    kb = _kb()
    row = {"chunk_id": "c1", "doc_id": "d.txt", "index_text": "常州科教城", "kind": "news", "date": "2020-01"}
    vector = kb.embedder.get_text_embedding("常州科教城")
    kb.vectors.add([row], [vector])
    kb.vectors.add([{**row, "date": "2024-05", "kind": "policy"}], [vector])
    assert [cid for cid, _ in kb.vectors.query(vector, 3, Filters(kinds=("policy",), date_from="2024-01"))] == ["c1"]
    assert kb.vectors.query(vector, 3, Filters(date_to="2020-12")) == []


def test_server_stops_and_comes_back(tmp_path, monkeypatch, data_dir, capsys):
    server = ChromaServer(tmp_path / "own_server")
    server.start()
    try:
        monkeypatch.setenv("KB_CHROMA_URL", server.url)
        monkeypatch.setenv("KB_EMBED_BACKEND", "hash")
        folder = _files(tmp_path)
        kb = _kb()
        assert [e.status for e in kb.ingest([folder / "policy.txt"])] == ["ok"]
        assert kb.search("首次认定高企奖励", top_k=1)

        server.stop()
        with pytest.raises(KBError, match=r"^无法连接向量库（http://127\.0\.0\.1:\d+）.*请确认 Chroma 服务已启动"):
            kb.search("首次认定高企奖励", top_k=1)
        with pytest.raises(KBError, match="^无法连接向量库"):              # and again: no stale half-open state
            kb.search("首次认定高企奖励", top_k=1)
        with pytest.raises(KBError, match="^无法连接向量库"):
            list(kb.ingest([folder]))
        assert main(["search", "高企奖励"]) == 1                            # the CLI: one line, no traceback
        err = capsys.readouterr().err
        assert err.startswith("错误：无法连接向量库") and "Traceback" not in err and len(err.splitlines()) == 1

        server.start()                                                     # same port, same folder
        hits = kb.search("首次认定高企奖励", top_k=1)                          # the same KnowledgeBase object
        assert hits and "20万元" in hits[0].text and "dense" in hits[0].found_by
        assert sorted(e.status for e in kb.ingest([folder])) == ["ok", "ok", "unchanged"] and _consistent(kb)
    finally:
        server.stop()
