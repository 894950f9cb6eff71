"""A copy of what the catalog holds per published document, one JSON file each under data_dir/manifest, so that a
lost, truncated or emptied catalog.sqlite can be rebuilt (`kb repair`) instead of the index being thrown away.

The file name carries the document's key and content hash, so checking the manifest against the catalog reads a
folder listing, not the files.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    key: str            # from the doc id (ids hold "/" and Chinese; file names should not)
    content_hash: str
    path: Path


def doc_key(doc_id: str) -> str:
    return hashlib.sha1(doc_id.encode("utf-8", "surrogatepass")).hexdigest()[:20]


class Manifest:
    def __init__(self, folder: Path):
        self.folder = folder

    def entries(self) -> list[Entry]:
        if not self.folder.is_dir():
            return []
        out = []
        for path in sorted(self.folder.glob("*.json")):
            key, _, digest = path.stem.partition("-")
            out.append(Entry(key, digest, path))
        return out

    def write(self, doc: dict, chunks: list[dict]) -> None:
        """Atomically (temp file, then rename); older versions of the document go after the new one is in place."""
        self.folder.mkdir(parents=True, exist_ok=True)
        key = doc_key(doc["doc_id"])
        target = self.folder / f"{key}-{(doc['content_hash'] or '')[:16]}.json"
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps({"doc": doc, "chunks": chunks}, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, target)
        for entry in self.entries():
            if entry.key == key and entry.path != target:
                entry.path.unlink(missing_ok=True)

    def discard(self, doc_id: str) -> None:
        key = doc_key(doc_id)
        for entry in self.entries():
            if entry.key == key:
                entry.path.unlink(missing_ok=True)

    @staticmethod
    def load(entry: Entry) -> tuple[dict, list[dict]] | None:
        """The document row and its chunk rows; None for a damaged file (left where it is)."""
        try:
            data = json.loads(entry.path.read_text(encoding="utf-8"))
            doc, chunks = data["doc"], data["chunks"]
            if not (isinstance(doc, dict) and doc.get("doc_id") and isinstance(chunks, list) and chunks
                    and all(isinstance(c, dict) and c.get("chunk_id") for c in chunks)):
                return None
            return doc, chunks
        except (OSError, ValueError, KeyError, TypeError):
            return None
