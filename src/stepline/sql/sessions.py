"""Sessions kept alive between statements (SessionKeepAliveSeconds / SessionId): one backend
connection each, so temporary tables and settings live as long as the session."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class SessionState:
    """Settings the service honours itself, per connection."""

    search_path: tuple[str, ...] = ()
    query_group: str | None = None
    settings: dict[str, str] = field(default_factory=dict)
    in_transaction: bool = False  # a BEGIN left open by an earlier statement of the session


@dataclass(slots=True)
class Session:
    id: str
    conn: Any
    warehouse: str
    database: str
    db_user: str
    cluster: str | None
    workgroup: str | None
    keep_alive: int
    created_at: float
    updated_at: float
    state: SessionState = field(default_factory=SessionState)
    lock: threading.Lock = field(default_factory=threading.Lock)
    current: str | None = None  # the statement running in it
    queued: int = 0  # statements submitted and not yet ended
    closed: bool = False

    def expires_at(self) -> float:
        return self.updated_at + self.keep_alive

    def expired(self, now: float) -> bool:
        return self.closed or (self.queued == 0 and now >= self.expires_at())


class Sessions:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._by_id: dict[str, Session] = {}

    def add(self, session: Session) -> None:
        with self._lock:
            self._by_id[session.id] = session

    def get(self, session_id: str) -> Session | None:
        with self._lock:
            return self._by_id.get(session_id)

    def live(self, now: float) -> list[Session]:
        self.reap(now)
        with self._lock:
            return list(self._by_id.values())

    def count(self, now: float) -> int:
        return len(self.live(now))

    def reap(self, now: float) -> None:
        with self._lock:
            dead = [s for s in self._by_id.values() if s.expired(now)]
            for s in dead:
                del self._by_id[s.id]
        for s in dead:
            close(s)

    def close_all(self) -> None:
        with self._lock:
            all_, self._by_id = list(self._by_id.values()), {}
        for s in all_:
            close(s)


def close(session: Session) -> None:
    session.closed = True
    if session.lock.acquire(timeout=0.1):
        try:
            session.conn.close()
        finally:
            session.lock.release()
