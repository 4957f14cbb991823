"""The access catalog: users, roles, memberships, grants (column grants included), RLS policies,
their attachments, per-table RLS settings and owners, persisted in ``<data_dir>/access.sqlite``.

Every change bumps ``version``, so authorisation results cached under (user, sql, version) are
never reused after a grant, a revoke or a policy change. Passwords are kept as scrypt hashes.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from stepline.errors import Conflict, NotFound

PUBLIC = "public"
DEFAULT_SCHEMA = "public"
_TEMP_PRIVILEGES = ("TEMP", "ALL")

_SCHEMA = """
create table if not exists users (name text primary key, password text, superuser integer not null);
create table if not exists roles (name text primary key);
create table if not exists members (role text not null, member text not null, primary key (role, member));
create table if not exists grants (
  privilege text not null, object_kind text not null, object text not null, col text not null,
  grantee text not null, primary key (privilege, object_kind, object, col, grantee));
create table if not exists policies (name text primary key, columns text not null, alias text,
  predicate text not null);
create table if not exists attachments (policy text not null, tbl text not null, grantee text not null,
  primary key (policy, tbl, grantee));
create table if not exists rls_tables (tbl text primary key, enabled integer not null, conjunction text not null);
create table if not exists owners (object text primary key, owner text not null);
create table if not exists meta (k text primary key, v integer not null);
"""


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    columns: tuple[tuple[str, str], ...]  # (column, Redshift type) from WITH (...)
    alias: str | None
    predicate: str  # Redshift SQL of the USING expression


@dataclass(frozen=True, slots=True)
class RlsSetting:
    enabled: bool
    conjunction: str  # "AND" | "OR"


def hash_password(password: str) -> str:
    """An scrypt hash with its salt, e.g. ``scrypt$16384$8$1$<salt hex>$<hash hex>``."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=16384, r=8, p=1, dklen=32)
    return f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, n, r, p, salt, digest = stored.split("$")
    got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    return got.hex() == digest


def table_key(schema: str | None, name: str) -> str:
    return f"{(schema or DEFAULT_SCHEMA).lower()}.{name.lower()}"


class AccessCatalog:
    """Thread-safe; one SQLite connection guarded by a lock (the catalog is small and hot)."""

    def __init__(self, path: str | Path, *, superuser: str = "awsuser") -> None:
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.executescript(_SCHEMA)
        self._db.execute("insert or ignore into meta values ('version', 0)")
        # TEMP on the database is granted to PUBLIC by default, as in Redshift; REVOKE clears it
        self._db.execute("insert or ignore into meta values ('public_temp', 1)")
        self.version = self._db.execute("select v from meta where k = 'version'").fetchone()[0]
        if not self.user_exists(superuser):
            self._write("insert into users values (?, null, 1)", (superuser.lower(),))

    def close(self) -> None:
        self._db.close()

    # -- internals -------------------------------------------------------------------------
    def _write(self, sql: str, params: Iterable[object] = ()) -> int:
        with self._lock:
            cur = self._db.execute(sql, tuple(params))
            self.version += 1
            self._db.execute("update meta set v = ? where k = 'version'", (self.version,))
            return cur.rowcount

    def _all(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    # -- users and roles -----------------------------------------------------------------
    def user_exists(self, name: str) -> bool:
        return bool(self._all("select 1 from users where name = ?", (name.lower(),)))

    def role_exists(self, name: str) -> bool:
        return bool(self._all("select 1 from roles where name = ?", (name.lower(),)))

    def create_user(self, name: str, password: str | None, *, superuser: bool = False) -> None:
        name = name.lower()
        if self.user_exists(name) or self.role_exists(name):
            raise Conflict(f'user "{name}" already exists')
        hashed = hash_password(password) if password else None
        self._write("insert into users values (?, ?, ?)", (name, hashed, int(superuser)))

    def alter_user(self, name: str, *, password: str | None = None, disable_password: bool = False,
                   superuser: bool | None = None, rename: str | None = None) -> None:
        name = self._need_user(name)
        if password is not None:
            self._write("update users set password = ? where name = ?", (hash_password(password), name))
        if disable_password:
            self._write("update users set password = null where name = ?", (name,))
        if superuser is not None:
            self._write("update users set superuser = ? where name = ?", (int(superuser), name))
        if rename:
            new = rename.lower()
            if self.user_exists(new):
                raise Conflict(f'user "{new}" already exists')
            for sql in ("update users set name = ? where name = ?", "update members set member = ? where member = ?",
                        "update grants set grantee = ? where grantee = ?",
                        "update attachments set grantee = ? where grantee = ?",
                        "update owners set owner = ? where owner = ?"):
                self._write(sql, (new, name))

    def drop_user(self, name: str) -> None:
        name = self._need_user(name)
        owned = self._all("select object from owners where owner = ?", (name,))
        if owned:
            raise Conflict(f'user "{name}" cannot be dropped because the user owns some object')
        for sql in ("delete from users where name = ?", "delete from members where member = ?",
                    "delete from grants where grantee = ?", "delete from attachments where grantee = ?"):
            self._write(sql, (name,))

    def create_role(self, name: str) -> None:
        name = name.lower()
        if self.role_exists(name) or self.user_exists(name):
            raise Conflict(f'role "{name}" already exists')
        self._write("insert into roles values (?)", (name,))

    def drop_role(self, name: str) -> None:
        name = name.lower()
        if not self.role_exists(name):
            raise NotFound(f'role "{name}" does not exist')
        for sql in ("delete from roles where name = ?", "delete from members where role = ? or member = ?",
                    "delete from grants where grantee = ?", "delete from attachments where grantee = ?"):
            self._write(sql, (name,) * sql.count("?"))

    def user_id(self, name: str) -> int:
        """A stable id per user (CURRENT_USER_ID): the first superuser is 100, as in Redshift."""
        row = self._all("select rowid from users where name = ?", (name.lower(),))
        return 99 + int(row[0][0]) if row else 0

    def is_superuser(self, name: str) -> bool:
        row = self._all("select superuser from users where name = ?", (name.lower(),))
        return bool(row and row[0][0])

    def password_hash(self, name: str) -> str | None:
        row = self._all("select password from users where name = ?", (name.lower(),))
        return row[0][0] if row else None

    def _need_user(self, name: str) -> str:
        name = name.lower()
        if not self.user_exists(name):
            raise NotFound(f'user "{name}" does not exist')
        return name

    def add_member(self, role: str, member: str) -> None:
        role, member = role.lower(), member.lower()
        if not self.role_exists(role):
            raise NotFound(f'role "{role}" does not exist')
        if not (self.user_exists(member) or self.role_exists(member)):
            raise NotFound(f'user or role "{member}" does not exist')
        if role == member:
            raise Conflict("a role cannot be granted to itself")
        if role in self._closure(member) or member in self._closure(role):
            raise Conflict(f'granting role "{role}" to "{member}" would create a cycle')
        self._write("insert or ignore into members values (?, ?)", (role, member))

    def remove_member(self, role: str, member: str) -> None:
        self._write("delete from members where role = ? and member = ?", (role.lower(), member.lower()))

    def _closure(self, name: str) -> set[str]:
        seen: set[str] = set()
        todo = [name.lower()]
        while todo:
            who = todo.pop()
            for (role,) in self._all("select role from members where member = ?", (who,)):
                if role not in seen:
                    seen.add(role)
                    todo.append(role)
        return seen

    def identities(self, user: str) -> frozenset[str]:
        """The user, every role it holds directly or through other roles, and PUBLIC."""
        return frozenset({user.lower(), PUBLIC, *self._closure(user)})

    # -- grants and owners ----------------------------------------------------------------
    def grant(self, privilege: str, kind: str, obj: str, grantee: str, columns: Iterable[str] = ()) -> None:
        cols = [c.lower() for c in columns] or [""]
        if kind == "database" and privilege.upper() in _TEMP_PRIVILEGES and grantee.lower() == PUBLIC:
            self._write("update meta set v = 1 where k = 'public_temp'")
        for col in cols:
            self._write("insert or ignore into grants values (?, ?, ?, ?, ?)",
                        (privilege.upper(), kind, obj.lower(), col, grantee.lower()))

    def revoke(self, privilege: str, kind: str, obj: str, grantee: str, columns: Iterable[str] = ()) -> None:
        cols = [c.lower() for c in columns]
        if kind == "database" and privilege.upper() in _TEMP_PRIVILEGES and grantee.lower() == PUBLIC:
            self._write("update meta set v = 0 where k = 'public_temp'")
        if cols:
            for col in cols:
                self._write("delete from grants where privilege = ? and object_kind = ? and object = ? "
                            "and col = ? and grantee = ?", (privilege.upper(), kind, obj.lower(), col, grantee.lower()))
        else:  # a table-level REVOKE also removes the column grants of that privilege
            self._write("delete from grants where privilege = ? and object_kind = ? and object = ? and grantee = ?",
                        (privilege.upper(), kind, obj.lower(), grantee.lower()))

    def privileges(self, identities: frozenset[str], kind: str, obj: str) -> dict[str, set[str]]:
        """privilege -> granted columns ('' meaning the whole object) for any of the identities."""
        marks = ",".join("?" * len(identities))
        rows = self._all(f"select privilege, col from grants where object_kind = ? and object = ? "
                         f"and grantee in ({marks})", (kind, obj.lower(), *sorted(identities)))
        out: dict[str, set[str]] = {}
        for priv, col in rows:
            out.setdefault(priv, set()).add(col)
        return out

    def may_create_temp(self, user: str) -> bool:
        """TEMP on the database: PUBLIC's default (unless revoked), or granted to the user or a role."""
        if self._all("select 1 from meta where k = 'public_temp' and v = 1"):
            return True
        ids = self.identities(user)
        marks = ",".join("?" * len(ids))
        return bool(self._all(f"select 1 from grants where object_kind = 'database' and privilege in ('TEMP', 'ALL') "
                              f"and grantee in ({marks}) limit 1", tuple(sorted(ids))))

    def readable(self, user: str) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
        """What ``user`` may select from: whole relations (owned, or granted SELECT on all
        columns) and (relation, column) pairs granted column by column."""
        ids = self.identities(user)
        marks = ",".join("?" * len(ids))
        whole = {o for (o,) in self._all("select object from owners where owner = ?", (user.lower(),))}
        columns = set()
        for obj, col in self._all(f"select object, col from grants where object_kind = 'table' and privilege in "
                                  f"('SELECT', 'ALL') and grantee in ({marks})", tuple(sorted(ids))):
            if col:
                columns.add((obj, col))
            else:
                whole.add(obj)
        return frozenset(whole), frozenset(columns)

    def set_owner(self, obj: str, owner: str) -> None:
        self._write("insert or replace into owners values (?, ?)", (obj.lower(), owner.lower()))

    def owner(self, obj: str) -> str | None:
        row = self._all("select owner from owners where object = ?", (obj.lower(),))
        return row[0][0] if row else None

    def forget_object(self, obj: str) -> None:
        obj = obj.lower()
        for sql in ("delete from owners where object = ?", "delete from grants where object = ?",
                    "delete from attachments where tbl = ?", "delete from rls_tables where tbl = ?"):
            self._write(sql, (obj,))

    # -- row-level security ------------------------------------------------------------------
    def create_policy(self, policy: Policy) -> None:
        if self.policy(policy.name):
            raise Conflict(f'policy "{policy.name}" already exists')
        self._write("insert into policies values (?, ?, ?, ?)",
                    (policy.name.lower(), json.dumps(policy.columns), policy.alias, policy.predicate))

    def policy(self, name: str) -> Policy | None:
        row = self._all("select name, columns, alias, predicate from policies where name = ?", (name.lower(),))
        if not row:
            return None
        name, cols, alias, pred = row[0]
        return Policy(name, tuple(tuple(c) for c in json.loads(cols)), alias, pred)  # type: ignore[misc]

    def drop_policy(self, name: str, *, cascade: bool = False) -> None:
        name = name.lower()
        if not self.policy(name):
            raise NotFound(f'policy "{name}" does not exist')
        if self._all("select 1 from attachments where policy = ?", (name,)):
            if not cascade:
                raise Conflict(f'cannot drop policy "{name}" because it is attached to a relation; '
                               "use DROP RLS POLICY ... CASCADE")
            self._write("delete from attachments where policy = ?", (name,))
        self._write("delete from policies where name = ?", (name,))

    def attach(self, policy: str, table: str, grantee: str) -> None:
        if not self.policy(policy):
            raise NotFound(f'policy "{policy.lower()}" does not exist')
        self._write("insert or ignore into attachments values (?, ?, ?)", (policy.lower(), table.lower(), grantee.lower()))

    def detach(self, policy: str, table: str, grantee: str) -> None:
        if not self._write("delete from attachments where policy = ? and tbl = ? and grantee = ?",
                           (policy.lower(), table.lower(), grantee.lower())):
            raise NotFound(f'policy "{policy.lower()}" is not attached to "{table}" for "{grantee}"')

    def attached(self, table: str, identities: frozenset[str]) -> list[Policy]:
        marks = ",".join("?" * len(identities))
        names = self._all(f"select distinct policy from attachments where tbl = ? and grantee in ({marks}) "
                          "order by policy", (table.lower(), *sorted(identities)))
        return [p for (n,) in names if (p := self.policy(n))]

    def attachments(self, table: str | None = None) -> list[tuple[str, str, str]]:
        if table is None:
            return self._all("select policy, tbl, grantee from attachments order by 1, 2, 3")
        return self._all("select policy, tbl, grantee from attachments where tbl = ? order by 1, 3", (table.lower(),))

    def set_rls(self, table: str, enabled: bool | None, conjunction: str | None) -> None:
        cur = self.rls(table)
        self._write("insert or replace into rls_tables values (?, ?, ?)",
                    (table.lower(), int(cur.enabled if enabled is None else enabled),
                     (conjunction or cur.conjunction).upper()))

    def rls_tables(self) -> frozenset[str]:
        """The tables with row-level security on."""
        return frozenset(t for (t,) in self._all("select tbl from rls_tables where enabled = 1"))

    def rls(self, table: str) -> RlsSetting:
        row = self._all("select enabled, conjunction from rls_tables where tbl = ?", (table.lower(),))
        return RlsSetting(bool(row[0][0]), row[0][1]) if row else RlsSetting(False, "AND")
