"""Exactly-once statements across crashes.

A statement that writes records its id in ``stepline_sys.statement_commits`` inside the same
transaction as its own work, so after a crash (kill -9) the marker tells the two cases apart:
the marker is there -> the statement committed and is FINISHED; it is not -> nothing of it
committed, and a statement accepted by ExecuteStatement runs again under the same Id, as a
statement accepted by Redshift would still run. Only statements that can be run again as they
were sent are replayed (one transaction, no session state, no redacted text); the others end
FAILED with the interruption error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from stepline.sql.dialects import leading_words, split_statements
from stepline.sql.statements import COMMIT_MARKERS

_TRANSACTION_WORDS = frozenset({"BEGIN", "START", "END", "COMMIT", "ROLLBACK", "ABORT"})
#: retention of markers: a statement older than this is long past recovery
MARKER_RETENTION_HOURS = 48


def replayable(sqls: list[str], *, batch: bool, dialect: str, in_session: bool,
               redacted: Iterable[str]) -> bool:
    """Whether running ``sqls`` again after a crash gives what the first run would have: all of it
    in one transaction (the service's own), nothing from a session, and the stored text is the
    text that was sent (redaction changed nothing)."""
    if in_session or list(redacted) != list(sqls):
        return False
    for text in sqls:
        for part in split_statements(text):
            first = (leading_words(part, 1) or [""])[0].upper()
            if first in _TRANSACTION_WORDS and not batch:
                return False  # its own COMMITs make it several transactions
            if first == "CALL" and dialect == "postgres":
                return False  # a native procedure may COMMIT inside
    return True


def mark_committed(conn: Any, statement_id: str) -> None:
    """Record, in the connection's current transaction, that ``statement_id`` committed.
    The id is a UUID the service made, so it is inlined (placeholders differ per engine)."""
    conn.execute(f"INSERT INTO {COMMIT_MARKERS} VALUES ('{_uuid(statement_id)}', CURRENT_TIMESTAMP)")


def committed(conn: Any, statement_ids: list[str]) -> set[str]:
    """The ids among ``statement_ids`` whose transaction committed."""
    if not statement_ids:
        return set()
    ids = ", ".join(f"'{_uuid(i)}'" for i in statement_ids)
    rows = conn.execute(f"SELECT statement_id FROM {COMMIT_MARKERS} WHERE statement_id IN ({ids})").fetchall()
    return {r[0] for r in rows}


def forget_old_markers(conn: Any, now: float) -> None:
    cutoff = dt.datetime.fromtimestamp(now - MARKER_RETENTION_HOURS * 3600, dt.UTC).replace(tzinfo=None)
    conn.execute(f"DELETE FROM {COMMIT_MARKERS} WHERE committed_at < '{cutoff.isoformat(sep=' ')}'")


def _uuid(statement_id: str) -> str:
    if any(c not in "0123456789abcdef-:" for c in statement_id.lower()):
        raise ValueError(f"not a statement id: {statement_id!r}")
    return statement_id
