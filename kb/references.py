"""What every export and the copy button list below an answer: each passage it rests on, and where it is."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .model import Answer, Hit, place

QUOTE_CHARS = 300          # a related (not cited) passage is shown up to this many characters


@dataclass(frozen=True)
class Reference:
    """One entry of an export's 参考资料 list: where a passage is, and the passage. Every format writes these."""
    n: int
    document: str
    publication: str
    issue: str
    date: str
    article: str
    section: str
    page: int | None
    quote: str
    cited: bool               # False: a related passage offered with a refusal (可能相关)

    def to_json(self) -> dict:
        return asdict(self)

    def place(self) -> str:
        """Document · issue · date · article · section · page, whichever are known, each once."""
        return place((self.document, self.issue, self.date, self.article, self.section), self.page)


def _reference(n: int, hit: Hit, quote: str, cited: bool) -> Reference:
    return Reference(n, hit.title or hit.source, hit.publication, hit.issue, hit.date, hit.article, hit.section,
                     hit.page, quote.strip(), cited)


def where(hit: Hit) -> str:
    """Document title · issue · date · article · section · page of a passage, whichever are known."""
    return _reference(0, hit, "", True).place()


def references(answer: Answer) -> list[Reference]:
    """The citations of an answer; for a refusal, the related passages (可能相关)."""
    if answer.citations:
        return [_reference(c.n, c.hit, c.quote, True) for c in answer.citations]
    if answer.answered:
        return []
    return [_reference(n, h, h.text[:QUOTE_CHARS], False) for n, h in enumerate(answer.related, start=1)]


def remarks(answer: Answer) -> list[str]:
    """How a generated answer was checked against the sources, and the answerer's notes."""
    checks = getattr(answer, "verification", ()) or ()
    lines = []
    if answer.answerer != "extractive" and checks:
        lines.append(f"已与原文核对：{sum(bool(c.verified) for c in checks)}/{len(checks)} 句一致")
    return lines + [str(n) for n in answer.notes]
