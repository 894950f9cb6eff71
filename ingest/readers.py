"""Detect a file's format from its content and hand it to the reader registered for that format."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Callable

from .clean import text_blocks
from .errors import IngestError
from .limits import ParseLimits, check_pdf, check_zip
from .models import RawText
from .office import read_docx, read_html


def detect_format(data: bytes, suffix: str) -> str:
    head = data[:2048].lstrip()
    if head.startswith(b"%PDF-") or b"%PDF-" in data[:1024]:
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        return "docx"
    lowered = head[:512].lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered:
        return "html"
    return "md" if suffix.lower() in (".md", ".markdown") else "txt"


def _printable_share(text: str) -> float:
    ok = sum(1 for ch in text if ch.isprintable() or ch in "\n\r\t")
    return ok / max(len(text), 1)


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK/GB2312); junk gets a clear error."""
    if b"\x00" in data[:8192]:
        raise IngestError(f"{name}：不是文本文件（含二进制内容），无法读取")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _printable_share(text) >= 0.95:
            return text
    raise IngestError(f"{name}：无法识别文本编码（支持 UTF-8、GBK/GB18030），请另存为 UTF-8 后重试")


def read_text(data: bytes, name: str, fmt: str) -> RawText:
    text = decode_text(data, name)
    blocks, width = text_blocks(text)
    return RawText(blocks=tuple(blocks), fmt=fmt, text=text, wrap_width=width)


def _read_pdf(data: bytes, name: str, fmt: str, limits: ParseLimits) -> RawText:
    check_pdf(data, name, limits)
    from .pdf import read_pdf      # on first use: numpy and the layout code cost a parse worker's start otherwise
    return read_pdf(data, name)


def _read_docx(data: bytes, name: str, fmt: str, limits: ParseLimits) -> RawText:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            check_zip(zf, name, limits)
            if "word/document.xml" not in zf.namelist():
                raise IngestError(f"{name}：压缩包不是 Word 文档（.docx），无法读取")
    except zipfile.BadZipFile:
        raise IngestError(f"{name}：Word 文档已损坏，无法读取") from None
    return read_docx(data, name)


# format → reader(data, file name, format, limits). A new format: a detect_format rule and an entry here.
READERS: dict[str, Callable[[bytes, str, str, ParseLimits], RawText]] = {
    "pdf": _read_pdf,
    "docx": _read_docx,
    "html": lambda data, name, fmt, limits: read_html(decode_text(data, name), name),
    "md": lambda data, name, fmt, limits: read_text(data, name, fmt),
    "txt": lambda data, name, fmt, limits: read_text(data, name, fmt),
}


def read_file(path: Path, limits: ParseLimits | None = None) -> RawText:
    name = path.name
    if not path.exists():
        raise IngestError(f"{name}：文件不存在（{path}）")
    if not path.is_file():
        raise IngestError(f"{name}：不是文件")
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(f"{name}：文件为空")
    fmt = detect_format(data, path.suffix)
    return READERS[fmt](data, name, fmt, limits or ParseLimits())
