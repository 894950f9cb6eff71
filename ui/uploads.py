"""Uploaded files: checked (type, size), renamed to a safe name, and copied under data_dir/uploads."""
from __future__ import annotations

import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ingest import SUPPORTED_SUFFIXES as UPLOAD_SUFFIXES

_UNSAFE = re.compile(r"[^\w.\-（）()《》]+")


def safe_name(name: str) -> str:
    """A file name without folders, control or shell characters; Chinese kept; suffix lower-cased."""
    name = unicodedata.normalize("NFC", Path(str(name).replace("\\", "/")).name)
    stem, suffix = Path(name).stem, Path(name).suffix.lower()
    stem = _UNSAFE.sub("_", stem).strip("._-")[:80] or "文档"
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""
    return stem + suffix


@dataclass(frozen=True)
class Rejected:
    name: str
    reason: str


def store_uploads(paths: list[str], folder: Path, max_mb: float,
                  discard_sources: bool = False) -> tuple[list[Path], list[Rejected]]:
    """Copy accepted uploads into folder; returns (stored paths, rejected files with a reason).
    discard_sources: the given files are the web server's temporary copies; delete them once handled."""
    folder.mkdir(parents=True, exist_ok=True)
    stored, rejected = [], []
    for raw in paths:
        src = Path(raw)
        name = safe_name(src.name)
        reason = refusal(name, src.stat().st_size, max_mb)
        if reason:
            rejected.append(Rejected(name, reason))
            if discard_sources:             # gradio's own copy of a refused upload would stay in its temp dir
                src.unlink(missing_ok=True)
            continue
        dest = folder / name
        shutil.copyfile(src, dest)
        stored.append(dest)
        if discard_sources:
            src.unlink(missing_ok=True)
    return stored, rejected


def refusal(name: str, size: int, max_mb: float) -> str:
    if Path(name).suffix not in UPLOAD_SUFFIXES:
        return f"不支持的文件类型（支持 {' '.join(UPLOAD_SUFFIXES)}）"
    if size > max_mb * 1024 * 1024:
        return f"文件超过大小上限（{max_mb:g} MB）"
    return "文件为空" if size == 0 else ""
