"""`kb backup` / `kb restore`: the whole data dir as one tar file, taken while no writer runs, SQLite files copied
through SQLite's backup API (a plain copy of a WAL database can miss its latest commits)."""
from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import tarfile
import tempfile
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path

from .catalog import salvage
from .errors import KBError

SKIP = ("write.lock", "logs")            # per machine, not knowledge
SQLITE_SUFFIXES = (".sqlite", ".sqlite3")


def _mode(path: Path, write: bool) -> str:
    gz = path.name.endswith((".gz", ".tgz"))
    return ("w:gz" if gz else "w") if write else "r:*"


def _skipped(rel: Path) -> bool:
    return rel.parts[0] in SKIP or ".damaged-" in rel.name or rel.name.endswith(("-wal", "-shm", ".tmp"))


def backup(kb, target: Path) -> int:
    """Write the data dir of kb into target (.tar, or .tar.gz / .tgz compressed); returns the files written."""
    data_dir = kb.settings.data_dir.resolve()
    target = target.resolve()
    if target.is_relative_to(data_dir):
        raise KBError(f"备份文件不能放在数据目录里：{target}")
    count = 0
    lock = nullcontext() if kb.read_only else kb.writer()         # no writer can run on a read-only data dir
    with lock, tempfile.TemporaryDirectory(dir=target.parent, prefix=".kb-backup-") as scratch:
        kb.close()                       # the vector store's files are complete once its client is closed
        tmp_target = Path(scratch) / target.name
        with tarfile.open(tmp_target, _mode(target, write=True)) as tar:
            for path in sorted(data_dir.rglob("*")):
                rel = path.relative_to(data_dir)
                if not path.is_file() or _skipped(rel):
                    continue
                source = path
                if path.suffix in SQLITE_SUFFIXES:
                    source = Path(scratch) / f"{count}.sqlite"
                    _copy_sqlite(path, source)
                tar.add(source, arcname=rel.as_posix(), recursive=False)
                count += 1
        os.replace(tmp_target, target)
    return count


def _copy_sqlite(source: Path, dest: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


@contextmanager
def _no_writer(data_dir: Path):
    """Hold the data dir's write lock while it is moved, so no ingest is half-way through it."""
    with open(data_dir / "write.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise KBError("另一个索引任务正在使用该数据目录，请等它结束后再恢复") from None
        yield


def restore(archive: Path, data_dir: Path, force: bool = False) -> Path | None:
    """Unpack a backup as data_dir; an existing, non-empty data dir needs force and is kept beside it.
    Returns where the previous data dir was moved, or None."""
    if not archive.is_file():
        raise KBError(f"找不到备份文件：{archive}")
    if data_dir.exists() and any(data_dir.iterdir()) and not force:
        raise KBError(f"数据目录 {data_dir} 不为空；确认要用备份替换它时请加 --force（原目录会保留在旁边）")
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=data_dir.parent, prefix=f".{data_dir.name}-restore-"))
    try:
        try:
            with tarfile.open(archive, _mode(archive, write=False)) as tar:
                tar.extractall(staging, filter="data")      # no absolute paths, no "..", no device files
        except (tarfile.TarError, EOFError, OSError) as err:
            raise KBError(f"不是有效的备份文件：{archive}（{type(err).__name__}）") from None
        catalog = staging / "catalog.sqlite"
        if not catalog.is_file() or salvage(catalog, dry_run=True):
            raise KBError(f"备份文件中没有可读的目录数据库（catalog.sqlite）：{archive}")
        previous = None
        if data_dir.exists() and any(data_dir.iterdir()):
            with _no_writer(data_dir):
                previous = data_dir.with_name(f"{data_dir.name}.before-restore-{datetime.now():%Y%m%d-%H%M%S}")
                os.replace(data_dir, previous)
        elif data_dir.exists():
            data_dir.rmdir()
        os.replace(staging, data_dir)
        return previous
    finally:
        shutil.rmtree(staging, ignore_errors=True)
