"""Files → typed blocks → clean paragraphs → articles → chunks. Knows nothing of indexes or UI."""
from .errors import IngestError
from .models import Article, Block, Chunk, DocMeta, ParsedDocument, RawText
from .pipeline import chunk_document, parse_file, SUPPORTED_SUFFIXES

__all__ = ["IngestError", "Article", "Block", "Chunk", "DocMeta", "ParsedDocument", "RawText", "parse_file",
           "chunk_document", "SUPPORTED_SUFFIXES"]
