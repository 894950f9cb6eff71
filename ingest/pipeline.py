"""One file in, one ParsedDocument out; then chunks."""
from __future__ import annotations

import hashlib
from pathlib import Path

from .chunking import chunk_document
from .clean import paragraphs
from .errors import IngestError
from .limits import ParseLimits
from .metadata import guess_metadata, load_metadata_file
from .models import DocMeta, ParsedDocument
from .readers import read_file
from .structure import assign_headings, split_articles

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm")

__all__ = ["parse_file", "chunk_document", "SUPPORTED_SUFFIXES", "content_hash"]


# Bump when parsing or chunking changes what a file turns into: documents indexed by an older
# version then count as changed and are re-indexed by the next `kb ingest`.
INGEST_VERSION = "3"


def content_hash(path: Path, salt: str = "") -> str:
    """Identity of a file's content as indexed: its bytes, the ingest version and any extra salt."""
    return hashlib.sha256(f"{INGEST_VERSION}|{salt}|".encode() + path.read_bytes()).hexdigest()


def parse_file(path: str | Path, metadata: dict | None = None, doc_id: str | None = None,
               digest: str | None = None, limits: ParseLimits | None = None) -> ParsedDocument:
    """Read, clean and structure one file. Raises IngestError with a Chinese message for bad input.

    `metadata` overrides what is guessed; by default it comes from a metadata.toml next to the file.
    `digest` is the content hash the caller already computed (else it is computed here).
    `limits` bound what a compressed file may inflate to (ingest.limits).
    """
    path = Path(path)
    raw = read_file(path, limits)
    paras = paragraphs(list(raw.blocks), raw.wrap_width)
    if not paras:
        raise IngestError(f"{path.name}：清理后没有可索引的文字")
    toc = assign_headings(paras)

    pieces, offsets, page_starts, headings, pos = [], [], [], [], 0
    for para in paras:
        offsets.append(pos)
        if para.page is not None and (not page_starts or page_starts[-1][1] != para.page):
            page_starts.append((pos, para.page))
        page_starts += [(pos + off, page) for off, page in para.page_marks]
        if para.level:
            headings.append((pos, para.level, para.label or para.text))
        pieces.append(para.text)
        pos += len(para.text) + 1
    text = "\n".join(pieces)

    fields = {**guess_metadata(path.name, raw.text), **raw.meta}
    if metadata is None:
        metadata = load_metadata_file(path.parent).get(path.name, {})
    fields.update(metadata)
    meta = DocMeta(doc_id=doc_id or path.name, title=fields.get("title", path.stem),
                   publication=fields.get("publication", ""), issue=fields.get("issue", ""),
                   date=fields.get("date", ""), kind=fields.get("kind", "news"), source=path.name,
                   content_hash=digest or content_hash(path))
    articles = split_articles(paras, offsets, len(text), meta.title, toc)
    return ParsedDocument(meta=meta, text=text, articles=articles, page_starts=page_starts,
                          headings=headings, warnings=list(raw.warnings))
