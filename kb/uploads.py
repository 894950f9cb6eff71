"""Uploaded files, from the moment the web server hands them over until they are gone: checked (type, size,
empty), renamed to a safe name, copied under data_dir/uploads, indexed, and removed again when refused, not
indexed, or when their document is removed. The UI only passes the paths it received."""
from __future__ import annotations

import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

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


def refusal(name: str, size: int, max_mb: float) -> str:
    if Path(name).suffix not in UPLOAD_SUFFIXES:
        return f"不支持的文件类型（支持 {' '.join(UPLOAD_SUFFIXES)}）"
    if size > max_mb * 1024 * 1024:
        return f"文件超过大小上限（{max_mb:g} MB）"
    return "文件为空" if size == 0 else ""


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
        else:
            dest = folder / name
            shutil.copyfile(src, dest)
            stored.append(dest)
        if discard_sources:             # the server's own copy would stay in its temp dir
            src.unlink(missing_ok=True)
    return stored, rejected


def discard_unindexed(kb, stored: Iterable[Path]) -> None:
    """An upload that was not indexed (unreadable, a duplicate) leaves no copy behind in the uploads folder."""
    kept = {Path(d.path).resolve() for d in kb.documents() if d.path}
    for path in stored:
        if path.resolve() not in kept:
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class UploadResult:
    name: str
    status: str                 # 成功 / 失败 / … (kb.model.STATUS_LABELS)
    message: str


def upload(kb, paths: list[str], progress: Callable[[int, int, str], None] | None = None,
           temporary: bool = True) -> list[UploadResult]:
    """The whole lifecycle of a batch of uploads; temporary: the paths are the web server's copies (deleted)."""
    from .errors import KBError
    stored, rejected = store_uploads(list(paths), kb.settings.uploads_dir, kb.settings.max_file_mb, temporary)
    out = [UploadResult(r.name, "失败", f"{r.name}：{r.reason}") for r in rejected]
    if stored:
        try:
            out += [UploadResult(e.name, e.label, e.message) for e in kb.ingest(stored, progress)]
        except KBError as err:        # e.g. a read-only data dir or another writer: one row
            out.append(UploadResult("", "失败", str(err)))
        finally:
            discard_unindexed(kb, stored)
    return out
