"""The writing side of the library: one writer at a time (a file lock across processes), files indexed
(parse → chunk → stage → vectors → publish → BM25 swap), documents removed, the stores checked and mended."""
from __future__ import annotations

import fcntl
import json
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ingest import SUPPORTED_SUFFIXES, IngestError, chunk_document
from ingest.metadata import METADATA_FILE, load_metadata_file
from ingest.pipeline import content_hash

from .errors import KBError
from .manifest import doc_key
from .model import DocumentInfo, IngestEvent, RepairReport
from .stores import Stores


@dataclass(frozen=True)
class Source:
    """A file to index and its place: the path relative to the folder it was found in (its bare name when given
    directly), so that 2022/通知.txt and 2023/通知.txt from one folder are two documents."""
    path: Path
    place: str


def collect_sources(paths: Iterable[str | Path]) -> list[Source]:
    """Expand folders into their supported files (README files describe a folder and are skipped)."""
    out: list[Source] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += [Source(p, p.relative_to(path).as_posix()) for p in sorted(path.rglob("*"))
                    if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                    and not p.name.lower().startswith("readme") and not p.name.startswith(".")]
        else:
            out.append(Source(path, path.name))
    return out


def collect_files(paths: Iterable[str | Path]) -> list[Path]:
    return [s.path for s in collect_sources(paths)]


def missing_data_dir_error(data_dir: Path) -> KBError:
    return KBError(f"数据目录不存在：{data_dir}（请先用 kb ingest 建立知识库，或检查 KB_DATA_DIR）")


def read_only_error(data_dir: Path) -> KBError:
    return KBError(f"数据目录是只读的（{data_dir}），可以检索和提问，但不能索引、删除或修复")


class Indexer:
    """Writes the stores it is given: ingest, publish, remove, repair."""

    def __init__(self, stores: Stores):
        self.stores = stores
        self.settings = stores.settings
        self.catalog, self.vectors, self.bm25, self.manifest = (stores.catalog, stores.vectors, stores.bm25,
                                                                stores.manifest)

    @property
    def tokenizer(self):
        return self.stores.tokenizer

    @property
    def embedder(self):
        return self.stores.embedder

    # -- writing ------------------------------------------------------------
    @contextmanager
    def writer(self):
        """One writer at a time across processes; readers never wait."""
        if self.stores.read_only:
            raise read_only_error(self.settings.data_dir)
        lock_path = self.settings.data_dir / "write.lock"
        with open(lock_path, "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise KBError("另一个索引任务正在进行（同一数据目录同时只允许一个写入者），请稍后再试") from None
            self.stores.writing = True
            try:
                yield
            finally:
                self.stores.writing = False
                self.stores.seen_version = self.bm25.version()     # our own writes need no refresh
                fcntl.flock(fh, fcntl.LOCK_UN)

    def ingest(self, paths: Iterable[str | Path] | None = None,
               progress: Callable[[int, int, str], None] | None = None) -> Iterator[IngestEvent]:
        """Index files or folders (default: the bundled corpus), yielding one event per file."""
        files = collect_sources(paths if paths else [self.settings.corpus_dir])
        with self.writer(), self.settings.parse_worker() as worker:
            self._repair()
            for i, source in enumerate(files, start=1):
                if progress:
                    progress(i - 1, len(files), source.place)
                yield self._ingest_one(source, i, len(files), worker)
            if progress:
                progress(len(files), len(files), "")

    def _ingest_one(self, source: Source, index: int, total: int, worker) -> IngestEvent:
        path, name = source.path, source.place
        shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        if shown != name:       # bytes that are not UTF-8 (a zip from another system): SQLite cannot store them
            return IngestEvent(index, total, shown, "failed",
                               f"{shown}：文件名不是有效的 UTF-8 编码，无法索引，请重命名后重试")
        try:
            if path.is_file() and path.stat().st_size > self.settings.max_file_mb * 1024 * 1024:
                raise IngestError(f"{name}：文件超过大小上限（{self.settings.max_file_mb:g} MB）")
            if path.is_file() and path.suffix.lower() not in SUPPORTED_SUFFIXES:
                raise IngestError(f"{name}：不支持的文件类型“{path.suffix or '无扩展名'}”"
                                  f"（支持 {' '.join(SUPPORTED_SUFFIXES)}）")
            digest = self._digest(path) if path.is_file() else ""
            doc_id = self._doc_id(source)
            current = self.catalog.document(doc_id)
            if current and current.content_hash == digest and current.status == "ready":
                return IngestEvent(index, total, name, "unchanged", f"{name}：内容未变化，跳过", doc_id,
                                   current.n_chunks)
            twin = self.catalog.find_by_hash(digest) if digest else None
            if twin and twin.doc_id != doc_id:
                if not Path(twin.path).exists():
                    self.catalog.update_source(twin.doc_id, path.name, str(path.resolve()))
                    self._write_manifest(twin.doc_id)
                    return IngestEvent(index, total, name, "renamed",
                                       f"{name}：与已索引的《{twin.title}》内容相同，已更新文件名",
                                       twin.doc_id, twin.n_chunks)
                return IngestEvent(index, total, name, "duplicate",
                                   f"{name}：与已索引的 {twin.source} 内容完全相同，未重复索引",
                                   twin.doc_id, twin.n_chunks)
            parsed = worker.parse(path, digest=digest, doc_id=doc_id, limits=self.settings.parse_limits())
            chunks = chunk_document(parsed, self.settings.chunk_size, self.settings.chunk_overlap)
            if not chunks:
                raise IngestError(f"{name}：没有可索引的文字")
            self._publish(parsed, str(path.resolve()), chunks)
            note = "；".join(parsed.warnings)
            message = f"{name}：已索引 {len(parsed.articles)} 篇文章、{len(chunks)} 个片段" + (f"（{note}）" if note else "")
            return IngestEvent(index, total, name, "ok", message, doc_id, len(chunks), tuple(parsed.warnings))
        except IngestError as err:
            return IngestEvent(index, total, name, "failed", str(err))
        except OSError as err:
            return IngestEvent(index, total, name, "failed", f"{name}：无法读取文件（{err.strerror or err}）")

    def _doc_id(self, source: Source) -> str:
        """The id a file is indexed under: the one it already has (a data dir from before ids held folders keeps
        its bare-name ids), else its place; when that id belongs to another file still on disk (two 通知.txt given
        one by one), the place grows by parent folders until it is free."""
        resolved = source.path.resolve()
        known = self.catalog.find_by_path(str(resolved))
        if known:
            return known.doc_id
        parts = resolved.parts
        depth = len(Path(source.place).parts)
        for k in range(depth, len(parts)):
            candidate = "/".join(parts[-k:])
            holder = self.catalog.document(candidate)
            if not holder or not holder.path or not Path(holder.path).exists():
                return candidate
        return resolved.as_posix()

    def _digest(self, path: Path) -> str:
        # Chunking settings and the file's metadata.toml entry are part of what a file turns into: changing
        # them re-indexes it on the next ingest (its vectors come from the embedding cache).
        salt = f"{self.settings.chunk_size}/{self.settings.chunk_overlap}"
        entry = self._metadata_entry(path)
        if entry:
            salt += "|" + json.dumps(entry, ensure_ascii=False, sort_keys=True)
        return content_hash(path, salt=salt)

    def _metadata_entry(self, path: Path) -> dict:
        try:
            return load_metadata_file(path.parent).get(path.name, {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise IngestError(f"{path.name}：同目录的 {METADATA_FILE} 格式有误（{err}），请修正后重试") from None

    def _publish(self, parsed, path: str, chunks) -> None:
        """Stage → vectors → publish in the catalog → drop old vectors → swap BM25. Queries see old or new, never a mix."""
        doc_id = parsed.meta.doc_id
        old_ids = set(self.catalog.chunk_ids(doc_id))
        texts = [c.context_text() for c in chunks]
        tokens = [" ".join(self.tokenizer.tokenize(t)) for t in texts]
        self.catalog.stage(parsed.meta, path, chunks, tokens, len(parsed.text), parsed.warnings)
        rows = [{"chunk_id": c.chunk_id, "doc_id": doc_id, "index_text": t, "kind": parsed.meta.kind,
                 "date": parsed.meta.date} for c, t in zip(chunks, texts)]
        self._add_vectors(rows)
        self._add_sentence_vectors([c.text for c in chunks])
        self.catalog.publish(doc_id)
        self._write_manifest(doc_id)
        self.vectors.delete(sorted(old_ids - {c.chunk_id for c in chunks}))
        self.rebuild_bm25()

    def _write_manifest(self, doc_id: str) -> None:
        exported = self.catalog.export(doc_id)
        if exported:
            self.manifest.write(*exported)

    def _add_vectors(self, rows: list[dict]) -> None:
        # Chroma pays ~0.2 s per call on disk whatever its size (300 vectors/s in batches of 64, 3,000/s in batches of
        # 1,000: bench/scale.py); the embedder batches internally (embed_batch_size), so hand Chroma large batches.
        batch = 512
        for i in range(0, len(rows), batch):
            part = rows[i:i + batch]
            vectors = self.embedder.get_text_embedding_batch([r["index_text"] for r in part])
            self.vectors.add(part, vectors)

    def _add_sentence_vectors(self, passages: list[str]) -> None:
        """The fitted answerer compares each sentence of a passage with the question: embed them now, into the
        cache, so that a question pays only the lookup."""
        if self.stores.answerer_kind() == "fitted":
            from .answer.reader import passage_sentences
            self.embedder.get_text_embedding_batch(passage_sentences(passages))

    def rebuild_bm25(self) -> None:
        self.bm25.build(self.catalog.all_chunks("c.chunk_id, c.tokens"))

    def known_sources(self) -> list[Path]:
        """Everything to re-index for “reindex all”: the corpus folder, the uploads folder, catalogued files."""
        folders = [self.settings.corpus_dir, self.settings.uploads_dir]
        paths = folders + [Path(d.path) for d in self.catalog.documents() if d.path]
        out: list[Path] = []
        for path in paths:
            inside = any(path != f and path.is_relative_to(f.resolve()) for f in folders)
            if path.exists() and path not in out and not inside:
                out.append(path)
        return out

    def remove(self, doc_id: str) -> int:
        """Remove a document (by id, or by file name or title when only one document has it) from the catalog,
        Chroma and BM25; returns chunks removed."""
        with self.writer():
            doc = self._find_document(doc_id)
            ids = self.catalog.chunk_ids(doc.doc_id)
            self.manifest.discard(doc.doc_id)      # first: a manifest without its document means a lost catalog
            self.catalog.remove(doc.doc_id)
            self.vectors.delete(ids)
            self.rebuild_bm25()
            # An uploaded copy goes too, so that re-indexing everything does not bring the document back.
            path = Path(doc.path) if doc.path else None
            if path and path.is_file() and path.is_relative_to(self.settings.uploads_dir.resolve()):
                path.unlink()
            return len(ids)

    def _find_document(self, key: str) -> DocumentInfo:
        doc = self.catalog.document(key)
        if doc:
            return doc
        matches = [d for d in self.catalog.documents() if key in (d.source, d.title)]
        if not matches:
            raise KBError(f"未找到文档：{key}")
        if len(matches) > 1:
            ids = "、".join(sorted(d.doc_id for d in matches))
            raise KBError(f"“{key}”对应 {len(matches)} 个文档（{ids}），请用文档编号指定要删除哪一个")
        return matches[0]

    def repair(self, dry_run: bool = False, notes: Iterable[str] = ()) -> RepairReport:
        """Check the stores against the catalog and mend them; dry_run reports without changing anything."""
        with self.writer():
            return self._repair(dry_run, tuple(notes))

    def _repair(self, dry_run: bool = False, notes: tuple[str, ...] = ()) -> RepairReport:
        """Bring the catalog back from the manifest where it lost documents, then Chroma and BM25 in line with it
        (after an interrupted run, damaged files, a lost catalog). Never deletes vectors because the catalog is
        empty: an emptied catalog is far likelier than a knowledge base whose every document was removed."""
        notes = list(notes)
        staged = self.catalog.staged()
        if not dry_run:
            for doc_id in staged:
                self.catalog.remove(doc_id)
        restored, restored_ids, written = self._sync_manifest(dry_run, notes)
        wanted = set(self.catalog.chunk_ids()) | restored_ids
        have = self.vectors.ids()
        extra, missing = sorted(have - wanted), wanted - have
        if extra and not wanted:
            notes.append(f"目录中没有任何文档，而向量库中有 {len(have)} 个向量，且没有可用的文档清单：未删除这些向量"
                         "（请从备份恢复 catalog.sqlite，或重新索引文件）")
            extra = []
        problem = self.bm25.problem()
        if problem:
            notes.append(problem + ("，将从目录重建" if dry_run else "，已从目录重建"))
        rebuild = bool(problem) or set(self.bm25.stored_ids()) != wanted or not self.bm25.version()
        # Tokens cut by another tokenizer (an upgrade changed the vocabulary or the cutting) miss query words.
        stale = self.catalog.meta("tokenizer") != self.tokenizer.fingerprint
        if stale and wanted:
            notes.append("分词规则或词表已更新，" + ("将按新规则重建全文索引" if dry_run else "已按新规则重建全文索引"))
            rebuild = True
        if not dry_run:
            if stale:
                self.catalog.retokenize(self.tokenizer.tokenize, "tokenizer", self.tokenizer.fingerprint)
            self.vectors.delete(extra)
            if missing:
                rows = [r for r in self.catalog.all_chunks(
                    "c.chunk_id, c.doc_id, c.index_text, d.kind, d.date") if r["chunk_id"] in missing]
                self._add_vectors(rows)
            if rebuild:
                self.rebuild_bm25()
        return RepairReport(len(extra), len(missing), rebuild, tuple(restored), written, len(staged), tuple(notes),
                            dry_run)

    def _sync_manifest(self, dry_run: bool, notes: list[str]) -> tuple[list[str], set[str], int]:
        """Documents whose manifest has no catalog row are restored; ready documents without a current manifest
        get one. Returns (restored doc ids, their chunk ids, manifests written)."""
        docs = {doc_key(d.doc_id): d for d in self.catalog.documents()}
        current = {(e.key, e.content_hash) for e in self.manifest.entries()}
        restored, restored_ids = [], set()
        for entry in self.manifest.entries():
            if entry.key in docs:
                continue
            loaded = self.manifest.load(entry)
            if loaded is None:
                notes.append(f"文档清单 {entry.path.name} 已损坏，已跳过")
                continue
            row, chunks = loaded
            if not dry_run:
                self.catalog.restore(row, chunks)
            doc = DocumentInfo.from_row(row)
            docs[entry.key] = doc
            restored.append(doc.doc_id)
            restored_ids |= {c["chunk_id"] for c in chunks}
        stale = [d for key, d in docs.items() if (key, (d.content_hash or "")[:16]) not in current]
        if not dry_run:
            for doc in stale:
                self._write_manifest(doc.doc_id)
        return restored, restored_ids, len(stale)

    def heal_bm25(self) -> None:
        """Damaged BM25 files are derived state: rebuild them from the catalog when this process may write;
        otherwise (another writer, a read-only data dir) answer from the dense side for now."""
        try:
            with self.writer():
                if self.bm25.problem():
                    self.rebuild_bm25()
        except (KBError, OSError):
            pass
