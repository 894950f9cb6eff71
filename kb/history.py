"""Conversation history per user, kept in the data dir: listed, restored after a reload, deleted.

One JSON file per conversation under data_dir/history/<user key>/; written whole to a temporary file and swapped
in, so a crash leaves the previous version. The user key is a hash of the login name (names may hold any
character); without login every visitor of the machine is the one user “本机”. Answers are stored as their
dataclasses (asdict) and read back into the same types, so a restored conversation shows its sources, opens
them and exports exactly as before.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Sequence

from .errors import KBError
from .model import Answer, Citation, Hit, SentenceCheck

LOCAL_USER = "本机"
_ID = re.compile(r"^[A-Za-z0-9_\-]{1,80}$")
Pair = tuple[str, Answer]


@dataclass(frozen=True)
class Saved:
    """One stored conversation, as the history list shows it."""
    id: str
    title: str                 # its first question
    turns: int
    updated_at: str            # YYYY-MM-DD HH:MM

    def label(self) -> str:
        title = self.title if len(self.title) <= 30 else self.title[:30] + "…"
        return f"{self.updated_at} · {title}（{self.turns} 问）"


# -- answers to and from JSON ------------------------------------------------------
def _hit(d: dict) -> Hit:
    fields = {f.name for f in dataclasses.fields(Hit)}
    d = {k: v for k, v in d.items() if k in fields}
    return Hit(**{**d, "found_by": tuple(d.get("found_by") or ())})


def answer_to_json(answer: Answer) -> dict:
    data = dataclasses.asdict(answer)
    data.pop("explain", None)          # the scorer's working notes: not part of what the user saw
    return data


def answer_from_json(d: dict) -> Answer:
    citations = tuple(Citation(c["n"], _hit(c["hit"]), c["quote"], tuple(tuple(s) for s in c["spans"]))
                      for c in d.get("citations") or ())
    checks = tuple(SentenceCheck(s["text"], tuple(s["citations"]), s["verified"], tuple(s.get("problems") or ()))
                   for s in d.get("verification") or ())
    return Answer(d["question"], d["text"], d["answered"], citations, tuple(_hit(h) for h in d.get("related") or ()),
                  d.get("answerer", "extractive"), d.get("coverage", 0.0), tuple(d.get("notes") or ()), checks)


# -- the store ---------------------------------------------------------------------
def new_id() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def checked_id(conv_id: str) -> str:
    if not _ID.match(conv_id or ""):
        raise KBError("历史对话编号无效")
    return conv_id


class History:
    """The conversations of every user of one data dir; keep: how many each user keeps (oldest go first)."""

    def __init__(self, folder: Path, keep: int = 200):
        self.folder, self.keep = Path(folder), keep

    @classmethod
    def of(cls, settings) -> "History":
        return cls(settings.data_dir / "history", settings.history_keep)

    def _user_dir(self, user: str | None) -> Path:
        name = (user or "").strip() or LOCAL_USER
        return self.folder / hashlib.sha256(name.encode("utf-8")).hexdigest()[:24]

    def _path(self, user: str | None, conv_id: str) -> Path:
        return self._user_dir(user) / f"{checked_id(conv_id)}.json"

    def save(self, user: str | None, conv_id: str, pairs: Sequence[Pair]) -> None:
        """Write the whole conversation (nothing when it has no turns)."""
        if not pairs:
            return
        path = self._path(user, conv_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"id": conv_id, "user": (user or "").strip() or LOCAL_USER,
                "updated_at": datetime.now().isoformat(timespec="seconds"),
                "turns": [{"question": q, "answer": answer_to_json(a)} for q, a in pairs]}
        scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        scratch.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(scratch, path)
        self._prune(path.parent)

    def _prune(self, folder: Path) -> None:
        saved = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in saved[self.keep:]:
            old.unlink(missing_ok=True)

    def list(self, user: str | None) -> list[Saved]:
        """The user's conversations, newest first; an unreadable file is left out, not fatal."""
        folder = self._user_dir(user)
        out = []
        for path in folder.glob("*.json") if folder.is_dir() else ():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                turns = data["turns"]
                when = data["updated_at"].replace("T", " ")[:16]
                out.append(Saved(path.stem, turns[0]["question"], len(turns), when))
            except (OSError, ValueError, KeyError, IndexError, TypeError):
                continue
        return sorted(out, key=lambda s: (s.updated_at, s.id), reverse=True)

    def load(self, user: str | None, conv_id: str) -> list[Pair]:
        path = self._path(user, conv_id)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return [(t["question"], answer_from_json(t["answer"])) for t in data["turns"]]
        except FileNotFoundError:
            raise KBError("该历史对话已不存在（可能已被删除）") from None
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise KBError(f"该历史对话无法读取（{type(err).__name__}），可以删除它") from None

    def delete(self, user: str | None, conv_id: str) -> None:
        path = self._path(user, conv_id)
        if not path.is_file():
            raise KBError("该历史对话已不存在（可能已被删除）")
        path.unlink()
