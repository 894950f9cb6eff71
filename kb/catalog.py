"""The document catalog (SQLite): the single source of truth for what is indexed.

Documents and their chunks live here; Chroma holds vectors and BM25 holds tokens for the same chunk ids.
A document is visible to queries only once its status is 'ready'.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import threading
import weakref
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from ingest import Chunk, DocMeta

from .model import DocumentInfo, Filters

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, title TEXT, publication TEXT, issue TEXT, date TEXT, kind TEXT, source TEXT,
    path TEXT, content_hash TEXT, status TEXT, n_chunks INTEGER, n_chars INTEGER, warnings TEXT, ingested_at TEXT
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT NOT NULL, doc_id TEXT NOT NULL, ord INTEGER, text TEXT, start INTEGER, end_ INTEGER,
    article TEXT, section TEXT, page INTEGER, page_end INTEGER, index_text TEXT, tokens TEXT, PRIMARY KEY (chunk_id, doc_id)
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""

# A staged version lives under "~staging~//<doc_id>": doc ids are file names or relative paths, which never hold
# "//", so no file can collide with a staging id (with the old "~staging~<doc_id>", a file named "~staging~a.txt" was
# deleted whenever a.txt was re-indexed).
STAGING_PREFIX = "~staging~//"

DOC_FIELDS = ("doc_id", "title", "publication", "issue", "date", "kind", "source", "path", "content_hash",
              "status", "n_chunks", "n_chars", "warnings", "ingested_at")


def salvage(path: Path, dry_run: bool = False) -> str | None:
    """A catalog SQLite cannot read (truncated, overwritten, "database disk image is malformed") is moved aside, so
    that a new one can be rebuilt from the manifest; returns what was done, or None when the catalog is sound."""
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            ok = db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            db.execute("SELECT count(*) FROM documents").fetchone()
        finally:
            db.close()
        if ok:
            return None
        problem = "完整性检查未通过"
    except sqlite3.DatabaseError as err:
        problem = str(err)
        if not any(word in problem for word in ("malformed", "not a database", "encrypted", "corrupt")):
            raise                  # locked, unreadable, …: not damage, never a reason to move the catalog

    aside = path.with_name(f"{path.name}.damaged-{datetime.now():%Y%m%d-%H%M%S}")
    if dry_run:
        return f"目录数据库无法读取（{problem}），将移至 {aside.name} 并从清单重建"
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(path) + suffix)
        if source.exists():
            os.replace(source, Path(str(aside) + suffix))
    return f"目录数据库无法读取（{problem}），已移至 {aside.name}，将从清单重建"


def _open_read_only(path: Path) -> tuple[sqlite3.Connection, Path | None]:
    """Immutable when the WAL was checkpointed (the usual state once writers have closed); else a private copy of
    the database and its WAL, whose commits an immutable open would not see."""
    wal = Path(f"{path}-wal")
    if wal.is_file() and wal.stat().st_size:
        scratch = Path(tempfile.mkdtemp(prefix="kb-catalog-readonly-"))
        shutil.copyfile(path, scratch / path.name)
        shutil.copyfile(wal, scratch / wal.name)
        db = sqlite3.connect(scratch / path.name, check_same_thread=False, isolation_level=None)
        db.execute("SELECT count(*) FROM documents").fetchone()      # folds the WAL in while the copy is fresh
        return db, scratch
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False,
                           isolation_level=None), None


class Catalog:
    def __init__(self, path: Path, read_only: bool = False):
        """read_only: a data dir this process cannot write (a read-only mount); immutable, since SQLite could not
        create the WAL's shared-memory file there (the last writer to close has checkpointed the WAL)."""
        if read_only:
            self._db, scratch = _open_read_only(path)
            if scratch:
                weakref.finalize(self, shutil.rmtree, scratch, True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        if not read_only:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)
        self._lock = threading.RLock()

    @contextmanager
    def _tx(self):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self._db.in_transaction:      # SQLite has already rolled back after "database or disk is full"
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    # -- reads -------------------------------------------------------------
    def documents(self, status: str | None = "ready") -> list[DocumentInfo]:
        query = "SELECT * FROM documents" + (" WHERE status = ?" if status else "") + " ORDER BY date DESC, doc_id"
        with self._lock:
            rows = self._db.execute(query, (status,) if status else ()).fetchall()
        return [DocumentInfo.from_row(r) for r in rows]

    def _one(self, where: str, args: tuple) -> DocumentInfo | None:
        with self._lock:
            row = self._db.execute(f"SELECT * FROM documents WHERE {where}", args).fetchone()
        return DocumentInfo.from_row(row) if row else None

    def document(self, doc_id: str) -> DocumentInfo | None:
        return self._one("doc_id = ?", (doc_id,))

    def find_by_hash(self, content_hash: str) -> DocumentInfo | None:
        return self._one("content_hash = ? AND status = 'ready'", (content_hash,))

    def find_by_path(self, path: str) -> DocumentInfo | None:
        return self._one("path = ? AND status = 'ready' ORDER BY doc_id", (path,))

    def chunk_ids(self, doc_id: str | None = None, ready_only: bool = True) -> list[str]:
        query = "SELECT c.chunk_id FROM chunks c JOIN documents d USING (doc_id)"
        where, args = [], []
        if ready_only:
            where.append("d.status = 'ready'")
        if doc_id:
            where.append("c.doc_id = ?")
            args.append(doc_id)
        if where:
            query += " WHERE " + " AND ".join(where)
        with self._lock:
            return [r[0] for r in self._db.execute(query + " ORDER BY c.doc_id, c.ord", args)]

    def chunks(self, chunk_ids: list[str]) -> dict[str, dict]:
        """Chunk rows joined with their document's metadata, by id (ready documents only)."""
        out: dict[str, dict] = {}
        with self._lock:
            for i in range(0, len(chunk_ids), 500):
                part = chunk_ids[i:i + 500]
                rows = self._db.execute(
                    "SELECT c.*, d.title, d.publication, d.issue, d.date, d.kind, d.source FROM chunks c "
                    f"JOIN documents d USING (doc_id) WHERE d.status = 'ready' AND c.chunk_id IN "
                    f"({','.join('?' * len(part))})", part).fetchall()
                out.update((r["chunk_id"], dict(r)) for r in rows)
        return out

    def all_chunks(self, columns: str = "c.*") -> list[dict]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {columns} FROM chunks c JOIN documents d USING (doc_id) WHERE d.status = 'ready' "
                "ORDER BY c.doc_id, c.ord").fetchall()
        return [dict(r) for r in rows]

    def filter_chunk_ids(self, filters: Filters | None) -> set[str] | None:
        """Ids of ready chunks that pass the filters; None when there are no filters."""
        filters = filters or Filters()
        doc_ids, kinds, date_from, date_to = filters.doc_ids, filters.kinds, filters.date_from, filters.date_to
        where, args = ["d.status = 'ready'"], []
        if doc_ids:
            where.append(f"d.doc_id IN ({','.join('?' * len(doc_ids))})")
            args += list(doc_ids)
        if kinds:
            where.append(f"d.kind IN ({','.join('?' * len(kinds))})")
            args += list(kinds)
        if date_from:
            where.append("d.date >= ?")
            args.append(date_from)
        if date_to:
            where.append("substr(d.date, 1, ?) <= ?")
            args += [len(date_to), date_to]
        if len(where) == 1:
            return None
        with self._lock:
            rows = self._db.execute("SELECT c.chunk_id FROM chunks c JOIN documents d USING (doc_id) WHERE "
                                    + " AND ".join(where), args).fetchall()
        return {r[0] for r in rows}

    # -- writes ------------------------------------------------------------
    def stage(self, meta: DocMeta, path: str, chunks: list[Chunk], tokens: list[str], n_chars: int,
              warnings: list[str]) -> None:
        """Record a new version of a document as 'staging' (invisible) under a temporary id."""
        staging_id = STAGING_PREFIX + meta.doc_id
        with self._tx():
            self._delete(staging_id)
            self._db.execute(f"INSERT INTO documents ({','.join(DOC_FIELDS)}) VALUES ({','.join('?' * len(DOC_FIELDS))})",
                             (staging_id, meta.title, meta.publication, meta.issue, meta.date, meta.kind, meta.source,
                              path, meta.content_hash, "staging", len(chunks), n_chars,
                              json.dumps(warnings, ensure_ascii=False), datetime.now().isoformat(timespec="seconds")))
            self._db.executemany(
                "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [(c.chunk_id, staging_id, c.ord, c.text, c.start, c.end, c.article, c.section, c.page, c.page_end,
                  c.context_text(), t) for c, t in zip(chunks, tokens)])

    def meta(self, key: str) -> str | None:
        """A value of the catalog's own (the tokenizer its tokens were cut with); None when unset or in a
        catalog older than the meta table."""
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError:     # a read-only catalog written before the meta table existed
            return None
        return row[0] if row else None

    def retokenize(self, tokenize, key: str, value: str) -> None:
        """Every chunk's tokens cut again from its index text, and meta[key] = value, in one transaction."""
        with self._tx():
            rows = self._db.execute("SELECT rowid, index_text FROM chunks").fetchall()
            self._db.executemany("UPDATE chunks SET tokens = ? WHERE rowid = ?",
                                 [(" ".join(tokenize(r["index_text"] or "")), r["rowid"]) for r in rows])
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def publish(self, doc_id: str) -> None:
        """Atomically replace the ready version of doc_id with its staged version."""
        staging_id = STAGING_PREFIX + doc_id
        with self._tx():
            self._delete(doc_id)
            self._db.execute("UPDATE chunks SET doc_id = ? WHERE doc_id = ?", (doc_id, staging_id))
            self._db.execute("UPDATE documents SET doc_id = ?, status = 'ready' WHERE doc_id = ?", (doc_id, staging_id))

    def export(self, doc_id: str) -> tuple[dict, list[dict]] | None:
        """A ready document's row and chunk rows, as the manifest keeps them."""
        doc = self.document(doc_id)
        if not doc or doc.status != "ready":
            return None
        with self._lock:
            rows = self._db.execute("SELECT * FROM chunks WHERE doc_id = ? ORDER BY ord", (doc_id,)).fetchall()
        return doc.to_json(), [dict(r) for r in rows]

    def restore(self, doc: dict, chunks: list[dict]) -> None:
        """Put back a ready document from its manifest (the catalog lost it)."""
        columns = ("chunk_id", "doc_id", "ord", "text", "start", "end_", "article", "section", "page", "page_end",
                   "index_text", "tokens")
        with self._tx():
            self._delete(doc["doc_id"])
            self._db.execute(f"INSERT INTO documents ({','.join(DOC_FIELDS)}) VALUES ({','.join('?' * len(DOC_FIELDS))})",
                             tuple(doc.get(f) for f in DOC_FIELDS[:9]) + ("ready",) +
                             tuple(doc.get(f) for f in DOC_FIELDS[10:]))
            self._db.executemany(f"INSERT OR REPLACE INTO chunks ({','.join(columns)}) VALUES ({','.join('?' * len(columns))})",
                                 [tuple(c.get(k) for k in columns[:1]) + (doc["doc_id"],) +
                                  tuple(c.get(k) for k in columns[2:]) for c in chunks])

    def update_source(self, doc_id: str, source: str, path: str) -> None:
        with self._tx():
            self._db.execute("UPDATE documents SET source = ?, path = ? WHERE doc_id = ?", (source, path, doc_id))

    def remove(self, doc_id: str) -> None:
        with self._tx():
            self._delete(doc_id)

    def staged(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT doc_id FROM documents WHERE status = 'staging'")]

    def _delete(self, doc_id: str) -> None:
        self._db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
        self._db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
