"""The Chroma side, through llama-index's ChromaVectorStore: embedded on disk by default, a server by URL."""
from __future__ import annotations

import logging
import math
import os
import shutil
import tempfile
import threading
import weakref
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from llama_index.core.schema import MetadataMode, NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (FilterCondition, FilterOperator, MetadataFilter,
                                                  MetadataFilters, VectorStoreQuery)
from llama_index.core.vector_stores.utils import node_to_metadata_dict

from .errors import KBError
from .model import Filters

log = logging.getLogger(__name__)


def date_number(date: str) -> int:
    """'2023-03' → 202303, '2021' → 202100: Chroma compares numbers only."""
    digits = "".join(ch for ch in (date or "") if ch.isdigit())
    return int((digits[:6] + "000000")[:6]) if digits else 0


def _is_connection_error(err: Exception) -> bool:
    """httpx / chromadb errors that mean the server is not there (refused, reset, timed out)."""
    names = " ".join(t.__name__ for t in type(err).__mro__) + " " + str(err)
    return any(word in names for word in ("ConnectError", "ConnectionError", "ConnectTimeout", "RemoteProtocolError",
                                           "ReadError", "Connection refused", "Could not connect"))


class SharedLock:
    """Many holders at once, or one exclusive holder (used to reopen the store between queries)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._shared = 0
        self._exclusive = False

    @contextmanager
    def shared(self):
        with self._cond:
            while self._exclusive:
                self._cond.wait()
            self._shared += 1
        try:
            yield
        finally:
            with self._cond:
                self._shared -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self):
        with self._cond:
            while self._exclusive or self._shared:
                self._cond.wait()
            self._exclusive = True
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


class VectorIndex:
    """Owns the Chroma client and collection; every vector is passed in explicitly (no Chroma embedding)."""

    def __init__(self, settings):
        self.settings = settings
        self._store = None
        self._client = None
        self._connect_lock = threading.Lock()   # concurrent first queries (a server's first users) connect once
        self._in_use = SharedLock()             # calls share the client; refresh() waits for them to finish

    @property
    def location(self) -> str:
        return self.settings.chroma_url or str(self.settings.chroma_dir)

    def _connect(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from llama_index.vector_stores.chroma import ChromaVectorStore

        config = ChromaSettings(anonymized_telemetry=False)
        try:
            if self.settings.chroma_url:
                url = urlparse(self.settings.chroma_url)
                client = chromadb.HttpClient(host=url.hostname or "127.0.0.1",
                                             port=url.port or (443 if url.scheme == "https" else 8000),
                                             ssl=url.scheme == "https", settings=config)
            else:
                client = chromadb.PersistentClient(path=str(self._local_path()), settings=config)
            collection = client.get_or_create_collection(self.settings.collection,
                                                         metadata={"hnsw:space": "cosine"})
            self._widen_search(collection)
        except Exception as err:
            raise KBError(self._unreachable(err)) from None
        self._client = client
        return ChromaVectorStore(chroma_collection=collection)

    def _widen_search(self, collection) -> None:
        """settings.dense_search_ef as the HNSW search breadth (a setting Chroma lets change after creation). A
        store that refuses it is still searched, at its own breadth."""
        hnsw = (collection.configuration or {}).get("hnsw")
        if not hnsw or hnsw.get("ef_search") == self.settings.dense_search_ef:
            return
        try:
            collection.modify(configuration={"hnsw": {"ef_search": self.settings.dense_search_ef}})
        except Exception as err:  # noqa: BLE001 - any refusal leaves a working store
            log.warning("Chroma did not take ef_search=%s: %s", self.settings.dense_search_ef, err)

    def _local_path(self) -> Path:
        """The embedded store's folder; for one this process cannot write (a read-only mount), a private copy:
        Chroma opens its SQLite for writing even to read."""
        folder = self.settings.chroma_dir
        if not folder.is_dir() or os.access(folder, os.W_OK):
            folder.mkdir(parents=True, exist_ok=True)
            return folder
        scratch = Path(tempfile.mkdtemp(prefix="kb-chroma-readonly-"))
        weakref.finalize(self, shutil.rmtree, scratch, True)
        shutil.copytree(folder, scratch / "chroma")
        return scratch / "chroma"

    def _unreachable(self, err: Exception) -> str:
        hint = "（请确认 Chroma 服务已启动、地址和端口正确）" if self.settings.chroma_url else ""
        return f"无法连接向量库（{self.location}）：{type(err).__name__}{hint}"

    def close(self) -> None:
        """Drop the client; the next call connects again (an embedded store then rereads what is on disk)."""
        client, self._client, self._store = self._client, None, None
        if client is not None:
            try:
                client.close()
            except Exception:
                pass

    @property
    def store(self):
        with self._connect_lock:
            if self._store is None:
                self._store = self._connect()
            return self._store

    def refresh(self) -> None:
        """Reopen the embedded store so this process sees what another process wrote (its HNSW index is
        read once per client); waits for calls in flight. A server needs no refresh."""
        if self.settings.chroma_url:
            return
        with self._in_use.exclusive():
            self.close()

    def _call(self, fn):
        """Run fn(store) with a store that stays open until it returns."""
        with self._in_use.shared():
            try:
                return fn(self.store)
            except KBError:
                raise
            except Exception as err:
                self.close()   # reconnect next time: a server that went away may come back
                if self.settings.chroma_url and _is_connection_error(err):
                    raise KBError(self._unreachable(err)) from None
                raise KBError(f"向量库操作失败（{self.location}）：{type(err).__name__}: {err}") from None

    def add(self, rows: list[dict], vectors: list[list[float]]) -> None:
        # The SOURCE relationship matters: llama-index writes metadata["doc_id"] = ref_doc_id ("None" without it),
        # which silently emptied every dense search filtered by document.
        nodes = [TextNode(id_=r["chunk_id"], text=r["index_text"], embedding=v,
                          metadata={"doc_id": r["doc_id"], "kind": r["kind"], "date_num": date_number(r["date"])},
                          relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=r["doc_id"])},
                          excluded_embed_metadata_keys=["doc_id", "kind", "date_num"])
                 for r, v in zip(rows, vectors)]
        if nodes:
            # Upsert, not add: Chroma ignores add() for an id it holds, so a chunk whose text is unchanged but
            # whose document metadata (date, kind) or heading context changed would keep its stale entry.
            self._call(lambda store: store.client.upsert(
                ids=[n.node_id for n in nodes], embeddings=[n.embedding for n in nodes],
                metadatas=[node_to_metadata_dict(n, remove_text=True, flat_metadata=store.flat_metadata) for n in nodes],
                documents=[n.get_content(metadata_mode=MetadataMode.NONE) for n in nodes]))

    def ids(self) -> set[str]:
        out: set[str] = set()
        total = self._call(lambda store: store.client.count())
        for offset in range(0, total, 5000):
            out.update(self._call(lambda store: store.client.get(limit=5000, offset=offset, include=[]))["ids"])
        return out

    def delete(self, ids: list[str]) -> None:
        for i in range(0, len(ids), 5000):
            self._call(lambda store: store.delete_nodes(node_ids=ids[i:i + 5000]))

    def query(self, vector: list[float], k: int, where: Filters | None = None) -> list[tuple[str, float]]:
        where = where or Filters()
        doc_ids, kinds, date_from, date_to = where.doc_ids, where.kinds, where.date_from, where.date_to
        filters = []
        if doc_ids:
            filters.append(MetadataFilter(key="doc_id", value=list(doc_ids), operator=FilterOperator.IN))
        if kinds:
            filters.append(MetadataFilter(key="kind", value=list(kinds), operator=FilterOperator.IN))
        if date_from:
            filters.append(MetadataFilter(key="date_num", value=date_number(date_from), operator=FilterOperator.GTE))
        if date_to:
            filters.append(MetadataFilter(key="date_num", value=date_number(date_to) or 999999,
                                          operator=FilterOperator.LTE))
        query = VectorStoreQuery(query_embedding=vector, similarity_top_k=k,
                                 filters=MetadataFilters(filters=filters, condition=FilterCondition.AND) if filters else None)
        result = self._call(lambda store: store.query(query))
        # ChromaVectorStore reports exp(-distance); cosine distance d gives similarity 1 - d.
        return [(node_id, 1.0 + math.log(sim)) for node_id, sim in zip(result.ids or [], result.similarities or [])]
