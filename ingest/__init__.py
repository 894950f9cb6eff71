"""Files → clean documents → articles → chunks. Knows nothing of indexes or UI."""
from .errors import IngestError
from .models import Article, Chunk, DocMeta, ParsedDocument
from .pipeline import chunk_document, parse_file, SUPPORTED_SUFFIXES

__all__ = ["IngestError", "Article", "Chunk", "DocMeta", "ParsedDocument", "parse_file", "chunk_document",
           "SUPPORTED_SUFFIXES"]
