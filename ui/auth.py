"""Login for the web app: users with a role (reader / editor) from KB_USERS, and throttled password checks."""
from __future__ import annotations

import contextvars
import hmac
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Callable

ROLES = ("reader", "editor")
ROLE_LABELS = {"reader": "只读（提问、导出）", "editor": "编辑（另可上传、删除、重新索引）"}
EDITOR_ONLY = "当前账号为只读权限，不能上传、删除或重新索引文档；如需操作请联系管理员"


# The address a login comes from, set per request by ui.page.ChinesePage (gradio hands the auth callable only the
# name and the password). Behind a reverse proxy this is the proxy's address.
CLIENT_ADDRESS: contextvars.ContextVar[str] = contextvars.ContextVar("kb_client_address", default="")
# Failures of one name from all addresses together, as a multiple of max_failures: guessing spread over many
# machines stops too, while one stranger's guesses do not lock the name out everywhere.
NAME_CEILING = 4


@dataclass(frozen=True)
class User:
    name: str
    password: str
    role: str = "editor"


def parse_users(spec: str) -> list[User]:
    """'name:password[:role],…' -> users; a password may hold ':' (only a trailing reader/editor is a role)."""
    users = []
    for item in (spec or "").split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, password = item.partition(":")
        role = "editor"          # a name:password entry keeps the rights it had before roles existed
        head, _, tail = password.rpartition(":")
        if head and tail in ROLES:
            password, role = head, tail
        if not sep or not name.strip() or not password:
            raise ValueError(f"用户配置格式应为 用户名:密码[:reader 或 editor]，多个用逗号分隔（出错的一项：{name.strip() or item}）")
        users.append(User(name.strip(), password, role))
    return users


class Login:
    """Gradio's auth callable: at most max_failures wrong passwords per name and address within window_s seconds
    (and NAME_CEILING times that per name from everywhere); past it the login is refused without looking at the
    password, so guessing stops paying off."""

    def __init__(self, users: list[User], max_failures: int = 5, window_s: float = 600.0,
                 clock: Callable[[], float] = time.monotonic):
        self.users = {u.name: u for u in users}
        self.max_failures, self.window_s, self.clock = max_failures, window_s, clock
        self.failures: dict[tuple[str, str], deque] = defaultdict(deque)
        self.checked = 0               # password comparisons made (the tests count them)
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str]) -> int:
        recent = self.failures[key]
        while recent and self.clock() - recent[0] > self.window_s:
            recent.popleft()
        return len(recent)

    def locked(self, name: str, address: str | None = None) -> bool:
        address = CLIENT_ADDRESS.get() if address is None else address
        with self._lock:
            here = self._recent((name, address))
            everywhere = sum(self._recent(key) for key in list(self.failures) if key[0] == name)
        return here >= self.max_failures or everywhere >= self.max_failures * NAME_CEILING

    def __call__(self, name: str, password: str) -> bool:
        address = CLIENT_ADDRESS.get()
        if self.locked(name, address):
            return False
        user = self.users.get(name)
        self.checked += 1
        ok = user is not None and hmac.compare_digest(user.password.encode(), (password or "").encode())
        if not ok:
            with self._lock:
                self.failures[(name, address)].append(self.clock())
        return ok

    def role(self, name: str | None) -> str:
        """The role of a logged-in name; without login (no users) everyone on the machine edits."""
        if not self.users:
            return "editor"
        user = self.users.get(name or "")
        return user.role if user else "reader"
