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


_ISSUE = re.compile(r"(20\d\d)\s*年?\s*第\s*(\d{1,2})\s*期")          # 2023年第3期
_TOTAL = re.compile(r"总第\s*(\d+)\s*期")                              # 总第171期
_MONTH = re.compile(r"(20\d\d)\s*年\s*(\d{1,2})\s*月")
_PUBLICATION = re.compile(r"《([^》]{2,20})》")


def _issue(m: re.Match, total_in: str, month_in: str = "") -> dict[str, str]:
    """Issue and date from an issue match ('2023年第3期'), with the running total and the month when stated."""
    year, number = m.group(1), int(m.group(2))
    month = _MONTH.search(month_in) if month_in else None
    out = {"issue": f"{year}年第{number}期",
           "date": f"{month.group(1)}-{int(month.group(2)):02d}" if month
           else f"{year}-{number:02d}" if number <= 12 else year}
    total = _TOTAL.search(total_in)
    if total:
        out["issue"] += f"（总第{total.group(1)}期）"
    return out


def guess_metadata(name: str, text: str) -> dict[str, str]:
    """Best-effort publication, issue and date from the file name and the first page of text."""
    head = text[:3000]
    meta: dict[str, str] = {"title": Path(name).stem}
    m = _ISSUE.search(head) or re.search(r"(20\d\d)[-_](\d{1,2})(?!\d)", name)
    if m:
        meta.update(_issue(m, head))
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


def issue_metadata(header_text: str, first_page: str) -> dict[str, str]:
    """Publication, issue, date and title as a PDF's running header or its cover states them."""
    meta: dict[str, str] = {}
    pub = _PUBLICATION.search(header_text)
    if pub:
        meta["publication"] = f"《{pub.group(1)}》"
    for text in (header_text, first_page[:1500]):
        m = _ISSUE.search(text)
        if m:
            meta.update(_issue(m, header_text + first_page[:1500], month_in=text))
            break
    if meta.get("issue") or meta.get("publication"):
        meta["kind"] = "magazine"
    if meta.get("issue") and meta.get("publication"):
        meta["title"] = meta["publication"] + meta["issue"].split("（")[0]
    return meta
