"""Document metadata: from a metadata.toml beside the files, else guessed from the name and text."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

METADATA_FILE = "metadata.toml"
_FIELDS = ("title", "publication", "issue", "date", "kind")


def load_metadata_file(folder: Path) -> dict[str, dict]:
    path = folder / METADATA_FILE
    if not path.is_file():
        return {}
    with open(path, "rb") as fh:
        return {name: {k: str(v) for k, v in entry.items() if k in _FIELDS} for name, entry in tomllib.load(fh).items()}


def guess_metadata(name: str, text: str) -> dict[str, str]:
    """Best-effort publication, issue and date from the file name and the first page of text."""
    head = text[:3000]
    meta: dict[str, str] = {"title": Path(name).stem}
    m = re.search(r"(20\d\d)\s*年?\s*第\s*(\d{1,2})\s*期", head) or re.search(r"(20\d\d)[-_](\d{1,2})(?!\d)", name)
    if m:
        year, number = m.group(1), int(m.group(2))
        meta["issue"] = f"{year}年第{number}期"
        meta["date"] = f"{year}-{number:02d}" if number <= 12 else year
    total = re.search(r"总第\s*(\d+)\s*期", head)
    if total and "issue" in meta:
        meta["issue"] += f"（总第{total.group(1)}期）"
    if "常州科技" in head[:800] or "keji-20" in name or "changzhou-keji" in name:
        meta.update(publication="《常州科技》", kind="magazine")
        if "issue" in meta:
            meta["title"] = f"《常州科技》{meta['issue'].split('（')[0]}"
    elif re.search(r"第[一二三四五六七八九十\d]+条", head) or "政策" in name or "办法" in head[:200]:
        meta["kind"] = "policy"
    if "date" not in meta:
        year = re.search(r"(20\d\d)", name) or re.search(r"(20\d\d)年", head)
        if year:
            meta["date"] = year.group(1)
    first = next((line.strip("# \t") for line in text.splitlines() if 4 <= len(line.strip("# \t")) <= 40), "")
    if first and meta.get("kind") != "magazine" and not re.search(r"[。！？]", first):
        meta["title"] = first
    return meta
