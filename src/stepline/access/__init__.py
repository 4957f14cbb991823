"""Users, roles, grants and row-level security: ``AccessControl`` is the statement service's
``Authorizer`` and provides the handlers of the access statements (``extensions()``).

Wiring (see tests/access/test_access_service.py and ``access.local.LocalSession``)::

    access = AccessControl(config.data_dir, superuser=wh.superuser, schema=DuckDBSchema(connect))
    service = StatementService(config, clock, extensions=access.extensions(), authorizer=access)

and, in the service: run each statement as ``access.effective_user(access.session_key(run),
db_user)`` (SET SESSION AUTHORIZATION), call ``authorize(user, statement, dialect, ctx=run)`` for
every statement (settings and non-access extensions included: it refuses them to restricted
users; superusers' statements come back with CURRENT_USER bound; ``ctx`` is the connection that
holds temporary tables), call ``schema_changed()`` after a superuser's DDL, store statement texts
through ``redact``, and on PostgreSQL run ``session_setup(user, "postgres")`` (SET ROLE) before a
statement and build AccessControl with ``pg_set_role=True`` (without it restricted users are
refused on PostgreSQL: fail closed).

Regular users read the system views (``system_views``: their own rows), create temporary tables
with TEMP on the database (PUBLIC's by default), and CURRENT_USER names the DbUser
(``identity``), on both backends.
"""

from stepline.access.audit import AuditTrail, Denial, redact
from stepline.access.catalog import AccessCatalog, Policy, hash_password, verify_password
from stepline.access.control import ACCESS_EXTENSIONS, AccessControl
from stepline.access.enforce import Enforcer, Relation
from stepline.access.schema import DuckDBSchema, PostgresSchema

__all__ = [
    "ACCESS_EXTENSIONS",
    "AccessCatalog",
    "AccessControl",
    "AuditTrail",
    "Denial",
    "DuckDBSchema",
    "Enforcer",
    "Policy",
    "PostgresSchema",
    "Relation",
    "hash_password",
    "redact",
    "verify_password",
]
