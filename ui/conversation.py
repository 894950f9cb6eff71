"""One browser session's conversation: questions are answered one at a time, in the order they were sent.

Gradio runs a session's events on several worker threads; without this, two questions pressed while an answer
is pending read the same history and the later write wins (five quick Enters gave three answers).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

from kb.answer import Answer


class Conversation:
    def __init__(self):
        self.pairs: list[tuple[str, Answer]] = []
        self.waiting: list[tuple[int, str]] = []   # (ticket, question) sent but not answered yet
        self._next_ticket = 0
        self._serving = 0
        self._abandoned: set[int] = set()
        self._turn = threading.Condition()
        self.history_id = ""                       # the file in kb.history this conversation is saved as

    def __deepcopy__(self, memo):      # gradio deep-copies a State's first value; a Condition cannot be copied
        return Conversation()

    def take_ticket(self, question: str) -> int:
        with self._turn:
            ticket = self._next_ticket
            self._next_ticket += 1
            self.waiting.append((ticket, question))
            return ticket

    @contextmanager
    def turn(self, ticket: int):
        """Wait until every earlier question is answered; the ticket is spent however the body ends."""
        with self._turn:
            self._turn.wait_for(lambda: self._serving == ticket)
        try:
            yield
        finally:
            with self._turn:
                self.waiting = [w for w in self.waiting if w[0] != ticket]
                self._serving += 1
                self._skip_abandoned()
                self._turn.notify_all()

    def abandon(self, ticket: int) -> None:
        """A question whose request went away before its turn (the tab was closed): later ones must not wait
        for it forever."""
        with self._turn:
            self._abandoned.add(ticket)
            self.waiting = [w for w in self.waiting if w[0] != ticket]
            self._skip_abandoned()
            self._turn.notify_all()

    def _skip_abandoned(self) -> None:
        while self._serving in self._abandoned:
            self._abandoned.discard(self._serving)
            self._serving += 1

    def add(self, question: str, answer: Answer) -> None:
        with self._turn:
            self.pairs.append((question, answer))

    def questions(self) -> list[str]:
        with self._turn:
            return [q for q, _ in self.pairs]

    def snapshot(self) -> tuple[list[tuple[str, Answer]], list[str]]:
        with self._turn:
            return list(self.pairs), [q for _, q in self.waiting]

    def clear(self) -> None:
        """Forget the answered turns; questions still waiting are answered into the fresh conversation, which is
        saved as a new entry of the history."""
        with self._turn:
            self.pairs = []
            self.history_id = ""

    def restore(self, pairs: list[tuple[str, Answer]], history_id: str) -> None:
        """Continue a conversation from the history: its turns come back, later questions are added to it."""
        with self._turn:
            self.pairs = list(pairs)
            self.history_id = history_id

    def saved_as(self, new_id) -> tuple[str, list[tuple[str, Answer]]]:
        """(the history id, creating one with new_id() the first time; the turns to save)."""
        with self._turn:
            if not self.history_id:
                self.history_id = new_id()
            return self.history_id, list(self.pairs)
