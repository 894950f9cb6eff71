"""Login for the web app: users with a role (reader / editor) from KB_USERS, and throttled password checks."""
from __future__ import annotations

import hmac
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Callable

ROLES = ("reader", "editor")
ROLE_LABELS = {"reader": "只读（提问、导出）", "editor": "编辑（另可上传、删除、重新索引）"}
EDITOR_ONLY = "当前账号为只读权限，不能上传、删除或重新索引文档；如需操作请联系管理员"


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
    """Gradio's auth callable: at most max_failures wrong passwords per name within window_s seconds; after that
    the name is refused without looking at the password, so guessing stops paying off."""

    def __init__(self, users: list[User], max_failures: int = 5, window_s: float = 600.0,
                 clock: Callable[[], float] = time.monotonic):
        self.users = {u.name: u for u in users}
        self.max_failures, self.window_s, self.clock = max_failures, window_s, clock
        self.failures: dict[str, deque] = defaultdict(deque)
        self.checked = 0               # password comparisons made (the tests count them)
        self._lock = threading.Lock()

    def locked(self, name: str) -> bool:
        with self._lock:
            recent = self.failures[name]
            while recent and self.clock() - recent[0] > self.window_s:
                recent.popleft()
            return len(recent) >= self.max_failures

    def __call__(self, name: str, password: str) -> bool:
        if self.locked(name):
            return False
        user = self.users.get(name)
        self.checked += 1
        ok = user is not None and hmac.compare_digest(user.password.encode(), (password or "").encode())
        if not ok:
            with self._lock:
                self.failures[name].append(self.clock())
        return ok

    def role(self, name: str | None) -> str:
        """The role of a logged-in name; without login (no users) everyone on the machine edits."""
        if not self.users:
            return "editor"
        user = self.users.get(name or "")
        return user.role if user else "reader"
