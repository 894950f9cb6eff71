"""Plain data passed between ingestion stages."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DocMeta:
    doc_id: str            # stable identity of the source (its path relative to the folder ingested)
    title: str
    publication: str = ""
    issue: str = ""
    date: str = ""         # YYYY-MM or YYYY-MM-DD, sortable as text
    kind: str = "news"     # magazine | policy | news
    source: str = ""       # file name shown to staff
    content_hash: str = ""


@dataclass(frozen=True)
class Article:
    title: str
    start: int             # character offsets in ParsedDocument.text
    end: int
    page: int | None = None   # printed page where the article starts, when the source says
    column: str = ""          # magazine column (栏目), when known


@dataclass
class ParsedDocument:
    meta: DocMeta
    text: str                                        # cleaned text
    articles: list[Article]
    # (offset, printed page) pairs, ascending; empty for sources without pages.
    page_starts: list[tuple[int, int]] = field(default_factory=list)
    # Heading lines: (offset, level, title); used for section context of chunks.
    headings: list[tuple[int, int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    ord: int
    text: str
    start: int
    end: int
    article: str
    section: str = ""
    page: int | None = None
    page_end: int | None = None

    def context_text(self) -> str:
        """What retrievers index: the chunk with its article and section named, so headings inform the match."""
        head = " ".join(x for x in (self.article, self.section) if x and x not in self.text[:80])
        return f"{head}\n{self.text}" if head else self.text
