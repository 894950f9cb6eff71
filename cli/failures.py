"""What the CLI says when something other than bad input goes wrong: one Chinese line, never a traceback; the
traceback of an unexpected failure goes to a log file whose path the line names."""
from __future__ import annotations

import errno
import os
import sqlite3
import tempfile
import traceback
from datetime import datetime
from pathlib import Path

LOG_NAME = "kb-errors.log"


def _where(err: OSError) -> str:
    name = err.filename or ""
    return f"（{safe_text(str(name))}）" if name else ""


def safe_text(text: str) -> str:
    """Undecodable bytes in a file name (kept by Python as surrogates) shown as �, so printing cannot fail."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def describe(err: BaseException) -> str | None:
    """A known environment failure as one line, or None."""
    if isinstance(err, OSError):
        if err.errno == errno.ENOSPC:
            return f"磁盘空间不足{_where(err)}，请清理磁盘后重试"
        if err.errno == errno.EROFS:
            return f"数据目录所在磁盘是只读的{_where(err)}，无法写入"
        if err.errno in (errno.EACCES, errno.EPERM):
            return f"没有权限访问{_where(err) or '所需的文件'}，请检查文件和数据目录的权限"
        if err.errno == errno.ENOENT:
            return f"找不到文件{_where(err)}"
    if isinstance(err, sqlite3.DatabaseError):
        text = str(err).lower()
        if "malformed" in text or "not a database" in text:
            return "目录数据库（catalog.sqlite）已损坏（database disk image is malformed），请运行 kb repair 修复"
        if "disk is full" in text or "disk i/o" in text:
            return "磁盘空间不足或磁盘读写出错，请清理磁盘后重试"
        if "readonly" in text or "read-only" in text:
            return "数据目录是只读的，无法写入"
    if isinstance(err, UnicodeError):
        return f"文件名或内容不是有效的 UTF-8 编码（{safe_text(str(err))[:80]}），请重命名或另存后重试"
    return None


def log_unexpected(err: BaseException, data_dir: Path | None) -> Path | None:
    """Append the traceback to data_dir/logs (else the temp dir); returns the log's path, None if nowhere works."""
    text = f"--- {datetime.now().isoformat(timespec='seconds')} pid {os.getpid()}\n" + "".join(
        traceback.format_exception(type(err), err, err.__traceback__))
    places = ([data_dir / "logs"] if data_dir and data_dir.is_dir() else []) + [Path(tempfile.gettempdir())]
    for folder in places:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / LOG_NAME
            with open(path, "a", encoding="utf-8", errors="backslashreplace") as fh:
                fh.write(text)
            return path
        except OSError:
            continue
    return None


def unexpected_line(err: BaseException, data_dir: Path | None) -> str:
    log = log_unexpected(err, data_dir)
    what = safe_text(f"{type(err).__name__}: {err}")[:160]
    return f"发生意外错误（{what}）" + (f"，详细信息已写入 {log}" if log else "")
