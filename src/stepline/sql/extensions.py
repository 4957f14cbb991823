"""Statements that are not plain SQL for the backend (COPY, UNLOAD, CREATE EXTERNAL SCHEMA,
Athena CTAS with a WITH clause, CREATE PROCEDURE, CALL, ...) are recognised by ``translate`` as
*extensions* and run by a handler registered under the extension's name.

The statement service does not know the handlers: they are injected when the service is built
(``StatementService(..., extensions={...})``), so ``sql`` never imports ``lake`` or ``access``.
A handler runs inside the statement's own connection and transaction, so a failure rolls back
everything it did.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(slots=True)
class ExtensionResult:
    """What a handler returns: an optional result set, and the number of rows it affected."""

    columns: list[tuple[str, str]] = field(default_factory=list)  # (name, Redshift type name)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    rowcount: int = -1
    messages: list[str] = field(default_factory=list)  # RAISE INFO and similar notices


class ExtensionContext(Protocol):
    dialect: str  # "duckdb" | "postgres"
    data_dir: Path  # the data directory; the lake is data_dir / "lake"
    user: str  # the database user running the statement
    query_id: int  # the query id (STL_QUERY.query) of the statement running now

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Any:
        """Run backend-dialect SQL on the statement's own connection/transaction; returns a cursor."""
        ...

    def run_redshift(self, sql: str) -> list[ExtensionResult]:
        """Translate and run Redshift SQL (possibly itself an extension) in the same transaction."""
        ...

    def check_cancelled(self) -> None:
        """Raise if the statement was cancelled or aborted (call it in long loops)."""
        ...

    def user_id(self, name: str) -> int:
        """The id of database user ``name`` in the system views (``userid``, CURRENT_USER_ID)."""
        ...


Extension = Callable[[ExtensionContext, str], ExtensionResult]
Extensions = Mapping[str, Extension]


@dataclass(frozen=True, slots=True)
class SystemSources:
    """What is kept outside the backend for the system views (not statements: no access check).

    ``tables``: system view -> a handler returning the view's rows (by column name), e.g.
    ``stl_load_errors``; ``observe_query``: called with the run and the statement text after every
    query and DML (its ``last_rowcount`` is set), e.g. to account Spectrum scans."""

    tables: Mapping[str, Extension] = field(default_factory=dict)
    observe_query: Callable[[ExtensionContext, str], Any] | None = None
    #: called with the run and the backend SQL of every query, DML and DDL before it runs; returns the
    #: SQL to run instead (e.g. lake tables replaced by temporary tables read from their files)
    prepare_query: Callable[[ExtensionContext, str], str] | None = None


class Authorizer(Protocol):
    """Checks (and rewrites) every statement of a non-superuser before it runs.

    Injected into the statement service like the extensions (``StatementService(...,
    authorizer=...)``), so ``sql`` never imports ``access``. ``statement`` is a
    ``stepline.sql.translate.Translated``. Returns the backend SQL to run instead (e.g. with
    row-level-security predicates applied), or raises ``stepline.errors.AccessDenied`` with
    Redshift's ``permission denied ...`` message.
    """

    def is_superuser(self, user: str) -> bool: ...

    def authorize(self, user: str, statement: Any, dialect: str, ctx: Any = None) -> str | None: ...
