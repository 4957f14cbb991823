"""The one place the statement service is composed: the lake's statements (COPY, UNLOAD,
Spectrum, Athena CTAS, procedures) and access control (users, grants, RLS) are injected as
extensions and authorizer, so ``sql`` never imports ``lake`` or ``access``.

The HTTP server, the embedded CLI and the demo all build their service here.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from stepline.access import AccessControl
from stepline.clock import Clock, SystemClock
from stepline.config import Config
from stepline.errors import Invalid

_PLACEHOLDER = re.compile(r"<[^<>]*>")
log = logging.getLogger(__name__)


class _WarehouseAccess(AccessControl):
    """On PostgreSQL a user created on first use (a new DbUser) also needs its native role:
    its statements run under SET ROLE."""

    native_role: Any = None  # callable(user) creating the PostgreSQL role, or None

    def ensure_user(self, user: str) -> None:
        new = not self.catalog.user_exists(user) and not self.catalog.role_exists(user)
        super().ensure_user(user)
        if new and self.native_role is not None:
            self.native_role(user)


class Warehouse:
    """A statement service with everything plugged in; closing the service releases it all.

    ``pg_prefix`` names the PostgreSQL roles of users (``<prefix><user>``), so that several
    warehouses can share one server."""

    def __init__(self, config: Config, clock: Clock | None = None, *, pg_prefix: str = "") -> None:
        from stepline.access import DuckDBSchema, PostgresSchema, redact
        from stepline.access.principals import resolve_db_user
        from stepline.lake.extensions import lake_extensions, lake_system_sources
        from stepline.sql.service import StatementService

        self._conns: list[Any] = []
        self._config = config
        postgres = config.warehouse.backend == "postgres"
        schema = PostgresSchema(self._schema_connection) if postgres else DuckDBSchema(self._schema_connection)
        self.access = _WarehouseAccess(config.data_dir, superuser=config.warehouse.superuser, schema=schema,
                                       pg_prefix=pg_prefix, pg_set_role=postgres)
        if postgres:
            self.access.native_role = self._create_role
        keys = config.server.access_keys

        def principals(principal: str | None, user: str | None) -> str:
            # without configured keys (development mode) a caller may act as anyone
            return resolve_db_user(principal if keys else None, user,
                                   superuser=config.warehouse.superuser, keys=keys)

        # the lake's handlers read and write data: restricted users pass the access check first
        extensions = {**self.access.guard(lake_extensions(config)), **self.access.extensions()}
        self.service = StatementService(config, clock or SystemClock(), extensions=extensions,
                                        authorizer=self.access, redact=redact, principals=principals,
                                        secret_user=self._secret_user, system_sources=lake_system_sources(),
                                        resume=False)
        self.service.on_close.append(self._close_parts)
        self.service.resume()  # statements left by a crash run now that access control is wired

    def _schema_connection(self) -> Any:
        # the access catalog reads table definitions on a connection of its own, opened lazily
        if not self._conns:
            self._conns.append(self.service.backend(self._config.warehouse).connect())
        return self._conns[0]

    def _create_role(self, user: str) -> None:
        from stepline.access.postgres import role

        con = self._schema_connection()
        name = f"{self.access.pg_prefix}{user.lower()}"
        if con.execute("select 1 from pg_roles where rolname = %s", (name,)).fetchone() is None:
            try:
                con.execute(f"CREATE ROLE {role(self.access.pg_prefix, user)} LOGIN")
            except Exception as e:  # noqa: BLE001 - created meanwhile by another statement
                if getattr(e, "sqlstate", None) != "42710":
                    raise

    def _secret_user(self, arn: str) -> str | None:
        """The DbUser of a SecretArn: the ``username`` of the secret's JSON; a placeholder such
        as ``<secret-arn>`` (sample code run as is) names nobody: the call runs as the superuser.
        https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-access.html"""
        from stepline.parameters import Parameters

        if _PLACEHOLDER.fullmatch(arn):
            log.warning("SecretArn %r is a placeholder; the statement runs as the superuser", arn)
            return None
        value = Parameters(self._config).get_secret_value(arn).value
        try:
            user = json.loads(value).get("username")
        except (ValueError, AttributeError):
            user = None
        if not isinstance(user, str) or not user:
            raise Invalid(f"The secret {arn} has no \"username\": it must be a JSON object with username "
                          "and password")
        return user

    def dataapi(self) -> Any:
        from stepline.sql.dataapi import DataApi

        return DataApi(self.service)

    def _close_parts(self) -> None:
        for conn in self._conns:
            conn.close()
        self._conns.clear()
        self.access.close()

    def close(self) -> None:
        self.service.close()


def statement_service(config: Config, clock: Clock | None = None) -> Any:
    """The composed ``sql.service.StatementService`` (its ``close()`` closes every part)."""
    return Warehouse(config, clock).service
