"""BM25 (bm25s) over the jieba tokens stored in the catalog; persisted, rebuilt aside and swapped in whole."""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np


class Bm25Index:
    def __init__(self, folder: Path):
        self.folder = folder
        self._lock = threading.Lock()
        self._loaded_version: str | None = None
        self._bm25 = None
        self.ids: list[str] = []
        self._problem: str | None = None

    def version(self) -> str | None:
        """Changes whenever any process publishes or removes a document."""
        marker = self.folder / "current"
        return marker.read_text().strip() if marker.is_file() else None

    def build(self, rows: list[dict]) -> None:
        """Build beside the live index, then switch the 'current' pointer with an atomic rename."""
        import bm25s
        version = f"v{time.time_ns()}"
        target = self.folder / version
        target.mkdir(parents=True)
        ids = [r["chunk_id"] for r in rows]
        if rows:
            bm25 = bm25s.BM25()
            bm25.index([r["tokens"].split(" ") if r["tokens"] else [""] for r in rows], show_progress=False)
            bm25.save(str(target), show_progress=False)
        (target / "ids.json").write_text(json.dumps(ids), encoding="utf-8")
        tmp = self.folder / "current.tmp"
        tmp.write_text(version)
        os.replace(tmp, self.folder / "current")
        # Keep the previous version for readers that are still loading it.
        for old in sorted(self.folder.glob("v*"), key=lambda p: int(p.name[1:]))[:-2]:
            shutil.rmtree(old, ignore_errors=True)

    def _ensure_loaded(self) -> None:
        version = self.version()
        if version == self._loaded_version:
            return
        with self._lock:
            if version == self._loaded_version:
                return
            bm25, ids, problem = None, [], None
            if version:
                try:
                    bm25, ids = self._load(self.folder / version)
                except Exception as err:    # damaged files: search answers from the dense side until rebuilt
                    problem = f"BM25 索引文件损坏（{version}：{type(err).__name__}）"
            self._bm25, self.ids, self._problem, self._loaded_version = bm25, ids, problem, version

    @staticmethod
    def _load(target: Path):
        import bm25s
        ids = json.loads((target / "ids.json").read_text(encoding="utf-8"))
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ValueError("ids.json is not a list of chunk ids")
        if not ids:
            return None, []
        bm25 = bm25s.BM25.load(str(target), show_progress=False)
        if bm25.scores["num_docs"] != len(ids):
            raise ValueError("ids.json and the index disagree")
        return bm25, ids

    def problem(self) -> str | None:
        """Why the stored index could not be used (then it counts as empty), or None."""
        self._ensure_loaded()
        return self._problem

    def idf(self, term: str) -> float:
        """Inverse document frequency of a term over the indexed chunks (unseen terms get the maximum).
        Called dozens of times per question: it uses the index search() loaded for that question, and only
        looks for one on disk when none is loaded yet."""
        if self._loaded_version is None:
            self._ensure_loaded()
        if self._bm25 is None:
            return 1.0
        n = self._bm25.scores["num_docs"]
        token_id = self._bm25.vocab_dict.get(term)
        indptr = self._bm25.scores["indptr"]
        df = int(indptr[token_id + 1] - indptr[token_id]) if token_id is not None else 0
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def stored_ids(self) -> list[str]:
        self._ensure_loaded()
        return list(self.ids)

    def search(self, terms: list[str], k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        self._ensure_loaded()
        if self._bm25 is None or not terms:
            return []
        scores = self._bm25.get_scores(terms)
        if allowed is not None:
            mask = np.fromiter((cid in allowed for cid in self.ids), dtype=bool, count=len(self.ids))
            scores = np.where(mask, scores, 0.0)
        top = np.argsort(-scores)[:k]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]
