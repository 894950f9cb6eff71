"""Chinese text helpers shared by the readers and cleaning: where a sentence ends, and how two lines join."""
from __future__ import annotations

import re

# A line that ends a sentence (or a clause list): end punctuation, then any closing quotes or brackets.
TERMINAL = re.compile(r"[。！？!?；;：:…][”’」』）)\"']*$")
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff"), None)


def _latin_pair(a: str, b: str) -> bool:
    return bool(a and b) and a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum()


def join_wrapped(prev: str, line: str) -> str:
    """Undo a hard wrap in a text file: Chinese lines join without a space; one stays between two Latin words."""
    return prev + " " + line if _latin_pair(prev, line) else prev + line


def join_text(a: str, b: str) -> str:
    """Join two visual lines of a PDF: a space only between Latin words in Latin text (Chinese wraps anywhere)."""
    if _latin_pair(a, b) and not CJK.search(a[-12:] + b[:12]):
        return f"{a} {b}"
    return a + b
