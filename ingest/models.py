"""Plain data passed between ingestion stages: a reader's blocks (RawText), then the parsed document and its chunks."""
from __future__ import annotations

from dataclasses import dataclass, field


BLOCK_KINDS = ("heading", "paragraph", "list_item", "table_row", "caption")    # no reader marks captions yet


@dataclass(frozen=True)
class Block:
    """One piece of a source as its reader found it, text already cleaned (ingest.clean.clean_blocks)."""
    kind: str                          # one of BLOCK_KINDS
    text: str
    level: int = 0                     # heading level (1 = article title); 0 for the rest
    page: int | None = None            # printed page (PDF); None for sources without pages
    box: tuple[float, float, float, float] | None = None    # (x0, top, x1, bottom) on its PDF page
    # The source marks no break before it: a hard-wrapped line of a text file, a paragraph going on from the
    # previous PDF page. Cleaning joins it onto the previous paragraph when that one is left open.
    continues: bool = False


@dataclass(frozen=True)
class RawText:
    """What a reader makes of a file: its blocks, before paragraphs, headings and articles are worked out."""
    blocks: tuple[Block, ...]
    fmt: str                           # txt | md | pdf | docx | html
    text: str = ""                     # the file's plain text as read, for guessing metadata (never parsed again)
    wrap_width: int | None = None      # the width its lines are hard-wrapped at, when they are (clean._wrap_width)
    warnings: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)   # metadata the file itself states (issue, date, …)

    @property
    def page_starts(self) -> list[tuple[int, int]]:
        """(index of the block, printed page) where each page's text starts."""
        out: list[tuple[int, int]] = []
        for i, b in enumerate(self.blocks):
            if b.page is not None and (not out or self.blocks[i - 1].page != b.page):
                out.append((i, b.page))
        return out


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
