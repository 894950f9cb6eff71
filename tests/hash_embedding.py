"""The test suite's stand-in embedder: a deterministic character-bigram hashing vector, no model, no meaning.

Registered as embed_backend "hash" (KB_EMBED_BACKEND=hash) by conftest, and by tests/kb_cli.py for tests that run
`kb` in a subprocess, so that they exercise the full bookkeeping (catalog, Chroma, BM25) without a real model.
"""
from __future__ import annotations

import hashlib

import numpy as np

from kb.embeddings import CachedEmbedding, register_backend


class HashEmbedding(CachedEmbedding):
    model_name: str = "test-hash-embedding"
    dim: int = 64

    def _embed(self, texts: list[str], is_query: bool) -> list[list[float]]:
        out = []
        for text in texts:
            v = np.zeros(self.dim, dtype=np.float32)
            for i in range(len(text) - 1):
                v[int(hashlib.md5(text[i:i + 2].encode()).hexdigest(), 16) % self.dim] += 1
            out.append((v / (np.linalg.norm(v) or 1)).tolist())
        return out


def register() -> None:
    register_backend("hash", lambda settings: HashEmbedding())
