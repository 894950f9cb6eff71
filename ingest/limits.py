"""Cheap checks before a parser sees a file: what a zip (.docx) or a PDF would inflate to, counted without keeping
it, so a few kilobytes that expand to gigabytes are refused instead of filling memory."""
from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass

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


def _inflated_size(data: bytes, start: int, budget: int) -> tuple[int, int]:
    """(bytes a zlib stream at data[start:] inflates to, up to budget + 1; page objects seen in it), in 1 MB steps."""
    inflater = zlib.decompressobj()
    total = pages = 0
    pos = start
    try:
        while not inflater.eof and pos < len(data) and total <= budget:
            out = inflater.decompress(data[pos:pos + _PIECE], MB)
            pos += _PIECE
            while True:
                total += len(out)
                pages += len(_PAGE.findall(out))
                if inflater.eof or not inflater.unconsumed_tail or total > budget:
                    break
                out = inflater.decompress(inflater.unconsumed_tail, MB)
    except zlib.error:
        pass                               # not deflate (or damaged): the parser reports what it makes of it
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
