"""What the library's parts share: the stores of one data dir (catalog, vectors, BM25, manifest) and the models,
which load on first use. The indexer writes them, the retriever reads them; neither owns them alone."""
from __future__ import annotations

import os
import threading

from .catalog import Catalog
from .lexical import Bm25Index
from .manifest import Manifest
from .settings import Settings
from .text import Tokenizer
from .vectors import VectorIndex


class Stores:
    def __init__(self, settings: Settings, embedder=None):
        self.settings = settings
        # A data dir on a read-only mount (or not ours to write) still answers questions: nothing on the query
        # path writes there, and every write says why it cannot.
        self.read_only = not os.access(settings.data_dir, os.W_OK)
        self.catalog = Catalog(settings.catalog_path, read_only=self.read_only)
        self.vectors = VectorIndex(settings)
        self.bm25 = Bm25Index(settings.bm25_dir)
        self.manifest = Manifest(settings.data_dir / "manifest")
        self._embedder = embedder
        self._tokenizer: Tokenizer | None = None
        self._init_lock = threading.Lock()
        # The BM25 version this process has seen: the retriever reopens the vector store when another process
        # published; our own writes (writing, then the version after them) need no refresh.
        self.writing = False
        self.seen_version: str | None = None

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

    def answerer_kind(self) -> str:
        """"fitted" or "rules": the setting, or for "auto" the fitted answerer when this embedder is its fit's."""
        if self.settings.answerer != "auto":
            return self.settings.answerer
        from .answer.scorer import fit_embedder
        return "fitted" if self.embedder.model_name == fit_embedder(self.settings.answer_model) else "rules"

    def reranker(self):
        """The passage reranker (kb.rerank.Reranker), or None: off, not fit, or fit with another embedding model."""
        if not self.settings.rerank_depth:
            return None
        from .rerank import load
        model = load(self.settings.rerank_model)
        return model if model and model.embedder == self.embedder.model_name else None

    def close(self) -> None:
        """Release the vector store client; the next call reconnects and rereads what other processes wrote."""
        self.vectors.close()
