"""Parsing in a worker process under a memory ceiling (RLIMIT_AS) and a wall-clock timeout: a file that makes a
parser run away costs one Chinese line, never the process that owns the index."""
from __future__ import annotations

import os
import pickle
import select
import struct
import subprocess
import sys
from pathlib import Path

from .errors import IngestError
from .limits import MB

_ROOT = str(Path(__file__).resolve().parent.parent)
_HEADER = struct.Struct("<Q")


def _send(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream):
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


def _end_with_parent() -> None:
    """A worker busy on a runaway file does not read stdin: without this it would outlive a killed `kb ingest`."""
    import threading
    import time
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)
    threading.stack_size(256 * 1024)
    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def serve(memory_mb: float) -> None:
    """The worker (a fresh interpreter: `python -c 'from ingest.isolation import serve; serve(MB)'`): parse
    requests from stdin one by one, replies on stdout, until stdin closes or it is killed."""
    import resource
    _end_with_parent()
    if memory_mb:
        ceiling = int(memory_mb * MB)
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    from .pipeline import parse_file
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr                 # a stray print() in a parser must not corrupt the replies
    while True:
        try:
            path, kwargs = _receive(requests)
        except EOFError:
            return
        try:
            reply = ("ok", parse_file(path, **kwargs))
        except IngestError as err:
            reply = ("refused", str(err))
        except MemoryError:
            _send(replies, ("memory", ""))
            return                          # the heap may be in pieces: start afresh for the next file
        except Exception as err:            # a parser bug on one odd file must not end the batch
            reply = ("error", f"{type(err).__name__}: {err}"[:200])
        _send(replies, reply)


class ParseWorker:
    """One long-lived worker (started on first use, restarted after a kill): a spawned interpreter, so the
    ceiling covers only the parser, not the embedding model and vector store of the caller."""

    def __init__(self, memory_mb: float = 1536, timeout: float = 180):
        self.memory_mb, self.timeout = memory_mb, timeout
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> "ParseWorker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p)}
        code = f"from ingest.isolation import serve; serve({self.memory_mb!r})"
        self._process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)

    def parse(self, path: str | Path, **kwargs):
        """parse_file(path, **kwargs) in the worker; IngestError for a refused, runaway or crashing parse."""
        name = Path(path).name
        if self._process is None or self._process.poll() is not None:
            self._start()
        try:
            _send(self._process.stdin, (str(path), kwargs))
            ready, _, _ = select.select([self._process.stdout], [], [], self.timeout)
            if not ready:
                self._kill()
                raise IngestError(f"{name}：解析超时（超过 {self.timeout:g} 秒），已中止")
            status, payload = _receive(self._process.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            self._kill()
            status, payload = "memory", ""
        if status == "ok":
            return payload
        if status == "refused":
            raise IngestError(payload)
        if status == "memory":
            self._kill()
            raise IngestError(f"{name}：解析所需内存超过上限（{self.memory_mb:g} MB）或解析程序异常退出，已中止")
        raise IngestError(f"{name}：解析出错（{payload}），已跳过")

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait(5)
            process.stdin.close()
            process.stdout.close()

    def close(self) -> None:
        """Let the worker end by itself (stdin closed), killing it if it does not."""
        process = self._process
        if process is not None:
            try:
                process.stdin.close()
                process.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self._kill()
