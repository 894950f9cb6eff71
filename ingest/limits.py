"""Cheap checks before a parser sees a file: what a zip (.docx) or a PDF would inflate to, counted without keeping
it, so a few kilobytes that expand to gigabytes are refused instead of filling memory."""
from __future__ import annotations

import itertools
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import Iterator

from .errors import IngestError

MB = 1024 * 1024


@dataclass(frozen=True)
class ParseLimits:
    max_inflated_mb: float = 200.0     # zip members together, or PDF streams together, once decompressed
    max_zip_members: int = 5000
    max_pdf_pages: int = 2000


def _bomb(name: str, limits: ParseLimits) -> IngestError:
    return IngestError(f"{name}：文件解压后超过 {limits.max_inflated_mb:g} MB，疑似压缩炸弹，已拒绝")


def check_zip(zf: zipfile.ZipFile, name: str, limits: ParseLimits) -> None:
    """Declared sizes are enough: zipfile stops at the declared size and fails the CRC when a member lies."""
    members = zf.infolist()
    if len(members) > limits.max_zip_members:
        raise IngestError(f"{name}：压缩包内文件过多（{len(members)} 个，上限 {limits.max_zip_members}），已拒绝")
    if sum(m.file_size for m in members) > limits.max_inflated_mb * MB:
        raise _bomb(name, limits)


_STREAM = re.compile(rb"stream\r?\n")
_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
_PIECE = 64 * 1024


def _inflate(pieces: Iterator[bytes], budget: int) -> Iterator[bytes]:
    """The inflated stream in pieces of at most 1 MB, until its end, damage, or past budget bytes."""
    inflater = zlib.decompressobj()
    total = 0
    try:
        for piece in pieces:
            out = inflater.decompress(piece, MB)
            while True:
                if out:
                    yield out
                total += len(out)
                if inflater.eof or not inflater.unconsumed_tail or total > budget:
                    break
                out = inflater.decompress(inflater.unconsumed_tail, MB)
            if inflater.eof or total > budget:
                return
    except zlib.error:
        return                             # not deflate (or damaged): the parser reports what it makes of it


def _is_zlib(head: bytes) -> bool:
    return len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0


def _inflated_size(data: bytes, start: int, budget: int) -> tuple[int, int]:
    """(bytes a zlib stream at data[start:] inflates to, up to budget + 1; page objects seen in it). A stream
    deflated twice or more (/Filter [/FlateDecode /FlateDecode]) is counted by its innermost layer."""
    stream = _inflate((data[pos:pos + _PIECE] for pos in range(start, len(data), _PIECE)), budget)
    first = next(stream, b"")
    for _ in range(3):
        if not _is_zlib(first):
            break
        stream = _inflate(itertools.chain([first], stream), budget)
        first = next(stream, b"")
    total, pages = len(first), len(_PAGE.findall(first))
    for out in stream:
        total += len(out)
        pages += len(_PAGE.findall(out))
        if total > budget:
            break
    return total, pages


def _is_image(data: bytes, stream_at: int) -> bool:
    """Image data is never decoded to read text, and a scanned page's raw pixels legitimately run to megabytes."""
    head = data[max(0, stream_at - 2048):stream_at]
    at = head.rfind(b" obj")
    return b"/Image" in (head[at:] if at >= 0 else head)


def check_pdf(data: bytes, name: str, limits: ParseLimits) -> None:
    """Every deflated stream is inflated once and counted, never kept; page objects are counted in the file and in
    its object streams."""
    budget = int(limits.max_inflated_mb * MB)
    pages = len(_PAGE.findall(data))
    total = 0
    for match in _STREAM.finditer(data):
        if _is_image(data, match.start()):
            continue
        size, found = _inflated_size(data, match.end(), budget - total)
        total += size
        pages += found
        if total > budget:
            raise _bomb(name, limits)
    if pages > limits.max_pdf_pages:
        raise IngestError(f"{name}：PDF 页数过多（约 {pages} 页，上限 {limits.max_pdf_pages}），已拒绝")
