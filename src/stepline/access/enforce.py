"""Deny-by-default enforcement on DuckDB, which has no users, grants or row-level security.

A statement by a restricted user is parsed with sqlglot and accepted only when every node type
and every function in it is on a whitelist of things recognised as safe. Its table and column
references are resolved (through CTEs, subqueries, set operations, lateral joins and views) and
checked against the grants; every reference of a table with RLS on becomes
``(SELECT * FROM t WHERE <policies> LIMIT <max>) AS t``. The LIMIT is an optimisation barrier:
DuckDB cannot push the user's own predicates below it, so an expression that raises on a value
(``CAST(hidden AS INT)``) never sees a row the policies hide.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope

from stepline.access.catalog import DEFAULT_SCHEMA, AccessCatalog, Policy, table_key
from stepline.access.identity import quote_literal
from stepline.access.system_views import duckdb_rows, is_system_view, postgres_view_name
from stepline.access.whitelist import SAFE_FUNCTIONS, SAFE_NODES
from stepline.errors import AccessDenied
from stepline.sql.catalog import SCHEMA as SYSTEM_SCHEMA

_BARRIER = 9223372036854775807
#: the owner of a view created outside the access statements (by a superuser, or at setup)
DEFINER_SUPERUSER = "\x00superuser"
_VIEW_MARK = "\x00view"
_PROTECTED = "stepline_rls"
_ROWID = "stepline_rowid"
_IDENTITY_FUNCS = (exp.CurrentUser,)
#: DuckDB keeps who created a temporary table in the table's comment: only that user's
#: statements on that connection can see it, and restricted users cannot comment.
TEMP_OWNER_MARK = "stepline-owner:"
TEMP = "temp"


@dataclass(frozen=True, slots=True)
class Relation:
    schema: str
    name: str
    columns: tuple[str, ...]
    view_sql: str | None = None  # the view's SELECT, for views
    owner: str | None = None  # temporary tables: who created it (TEMP_OWNER_MARK)

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}"


#: (schema or None, name) -> the relation, or None when it does not exist.
SchemaLookup = Callable[[str | None, str], Relation | None]


def denied(what: str) -> AccessDenied:
    return AccessDenied(f"permission denied for {what}")


class Enforcer:
    """``rewrite(user, sql)`` -> the SQL to run in its place, or raises ``AccessDenied``."""

    def __init__(self, catalog: AccessCatalog, lookup: SchemaLookup,
                 lookup_generation: Callable[[], int] = lambda: 0) -> None:
        self.catalog = catalog
        self.lookup = lookup
        self.lookup_generation = lookup_generation
        # resolves what others defined (view bodies, policy predicates) without the reader's
        # temporary tables: a temporary table must not stand in for a table they name
        self.shared: Enforcer = self
        self.schema_generation = 0
        self._cache: dict[tuple[str, str, int, int, int], str] = {}
        self._lock = threading.Lock()

    def schema_changed(self) -> None:
        """Call after DDL: cached rewrites may name relations that changed."""
        with self._lock:
            self.schema_generation += 1
            self._cache.clear()

    def rewrite(self, user: str, sql: str, temporary: dict[str, Relation] | None = None) -> str:
        """``temporary``: the temporary tables of the statement's own connection, by name."""
        if temporary:  # names resolve to this connection's temporary tables first, as DuckDB does
            return self._with_temporary(temporary)._rewrite(user.lower(), sql)[0]
        key = (user, sql, self.catalog.version, self.schema_generation, self.lookup_generation())
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        out, cacheable = self._rewrite(user.lower(), sql)
        if not cacheable:  # DDL records owners: its checks must run every time
            return out
        with self._lock:
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = out
        return out

    def _with_temporary(self, temporary: dict[str, Relation]) -> Enforcer:
        base = self.lookup

        def lookup(schema: str | None, name: str) -> Relation | None:
            if schema in (None, TEMP, "pg_temp") and name in temporary:
                return temporary[name]
            return None if schema in (TEMP, "pg_temp") else base(schema, name)

        clone = Enforcer(self.catalog, lookup, self.lookup_generation)
        clone.shared = self
        clone.schema_changed = self.schema_changed  # type: ignore[method-assign]  # DDL: the shared cache
        return clone

    # -- statements ----------------------------------------------------------------------
    def _rewrite(self, user: str, sql: str) -> tuple[str, bool]:
        out, cacheable = self._rewrite_tree(user, sql)
        if isinstance(out, str):
            return out, cacheable
        for table in out.find_all(exp.Table):  # temp.main.t: a schema named temp cannot stand in
            if table.db == TEMP and not table.catalog:
                table.set("catalog", exp.to_identifier(TEMP))
                table.set("db", exp.to_identifier("main"))
        return out.sql(dialect="duckdb"), cacheable

    def _rewrite_tree(self, user: str, sql: str) -> tuple[exp.Expression | str, bool]:
        try:
            trees = sqlglot.parse(sql, read="duckdb")
        except SqlglotError as e:
            raise AccessDenied(f"permission denied: statement not recognised ({_first_line(e)})") from None
        if len(trees) != 1 or trees[0] is None:
            raise AccessDenied("permission denied: one statement at a time")
        tree = trees[0]
        _check_nodes(tree)
        if isinstance(tree, (exp.Select, exp.SetOperation)):
            return _unalias(self.query(tree, user, user)), True
        if isinstance(tree, exp.Insert):
            return self._insert(tree, user), True
        if isinstance(tree, (exp.Update, exp.Delete)):
            return self._update_delete(tree, user), True
        if isinstance(tree, exp.Create):
            if any(isinstance(p, exp.TemporaryProperty) for p in tree.find_all(exp.TemporaryProperty)):
                return self._create_temporary(tree, user), False
            return self._create(tree, user), False
        if isinstance(tree, exp.Drop):
            return self._drop(tree, user), False
        raise denied(f"statement {type(tree).__name__.upper()}")

    def relation(self, table: exp.Table) -> Relation:
        if table.catalog or not isinstance(table.this, exp.Identifier):
            raise denied(f"relation {table.sql(dialect='duckdb')}")
        rel = self.lookup(table.db.lower() or None, table.name.lower())
        if rel is None:
            raise AccessDenied(f'relation "{table.name}" does not exist')
        return rel

    def check_privilege(self, user: str, rel: Relation, privilege: str, columns: set[str]) -> None:
        """Raises AccessDenied unless ``user`` holds ``privilege`` on these columns of ``rel``."""
        self._privileged(user, rel, privilege, columns)

    def _privileged(self, user: str, rel: Relation, privilege: str, columns: set[str]) -> None:
        if user == DEFINER_SUPERUSER or self.catalog.is_superuser(user):
            return
        if rel.schema == TEMP:  # a temporary table is its creator's alone (no grants on it)
            if rel.owner == user:
                return
            raise denied(f"relation {rel.name}")
        if self.catalog.owner(rel.key) == user:
            return
        ids = self.catalog.identities(user)
        if rel.schema not in (DEFAULT_SCHEMA, "temp"):
            if "USAGE" not in self.catalog.privileges(ids, "schema", rel.schema):
                raise denied(f"schema {rel.schema}")
        privs = self.catalog.privileges(ids, "table", rel.key)
        granted = privs.get(privilege, set()) | privs.get("ALL", set())
        if "" in granted:
            return
        if not granted or not columns <= granted:
            raise denied(f"relation {rel.name}")

    # -- queries -------------------------------------------------------------------------
    def query(self, tree: exp.Expression, user: str, owner: str) -> exp.Expression:
        """Check ``tree`` with ``owner``'s privileges and apply ``user``'s RLS policies."""
        views: dict[str, tuple[exp.Expression, tuple[str, ...]]] = {}
        tree = self._expand_views(tree, user, owner, views)
        tree = tree.transform(_current_user, user)
        schema: dict[str, dict[str, dict[str, str]]] = {}
        for table in tree.find_all(exp.Table):
            if _is_view_mark(table, views):
                schema.setdefault(_VIEW_MARK, {})[table.name] = {c: "VARCHAR" for c in views[table.name][1]}
                continue
            if _is_cte_name(table):
                continue
            alias = table.args.get("alias")
            if isinstance(alias, exp.TableAlias) and alias.columns:
                # t(a, b) renames t's columns: a granted name could then read another column
                raise denied(f"column aliases on relation {table.name}")
            rel = self.relation(table)
            table.set("db", exp.to_identifier(rel.schema))
            schema.setdefault(rel.schema, {})[rel.name] = {c: "VARCHAR" for c in rel.columns}
        try:
            tree = qualify(tree, schema=schema, dialect="duckdb", validate_qualify_columns=True,
                           quote_identifiers=False, identify=False)
        except (OptimizeError, SqlglotError) as e:
            raise AccessDenied(f"permission denied: {_first_line(e)}") from None
        checked: set[int] = set()
        _check_nodes(tree)  # again: qualify may add nodes, e.g. TableColumn for `SELECT t FROM t`
        if any(isinstance(s.parent, exp.Select) or isinstance(s.parent, exp.Column) for s in tree.find_all(exp.Star)):
            raise denied("unresolved *")
        for scope in traverse_scope(tree):
            used: dict[int, tuple[exp.Table, set[str]]] = {}
            for source in scope.sources.values():
                if isinstance(source, exp.Table) and not _is_view_mark(source, views):
                    used[id(source)] = (source, set())
            for col in scope.columns:
                src = _source_of(scope, col.table)
                if isinstance(src, exp.Table) and _is_view_mark(src, views):
                    continue  # the view was checked with its owner's rights when expanded
                if isinstance(src, exp.Table):
                    if col.name.lower() not in self.relation(src).columns:
                        raise AccessDenied(f'column "{col.name}" does not exist')
                    used.setdefault(id(src), (src, set()))[1].add(col.name.lower())
                elif src is None:
                    raise AccessDenied(f'column "{col.name}" does not exist')
            for table, cols in used.values():
                self._privileged(owner, self.relation(table), "SELECT", cols)
                checked.add(id(table))
        for scope in traverse_scope(tree):
            for source in list(scope.sources.values()):
                if isinstance(source, exp.Table) and not _is_view_mark(source, views):
                    self._protect(source, user)
        for table in tree.find_all(exp.Table):  # fail closed: every relation was checked and protected
            if not (_is_view_mark(table, views) or table.meta.get(_PROTECTED) or id(table) in checked
                    or _is_cte_name(table)):
                raise denied(f"relation {table.name} (not resolved)")
        for table in list(tree.find_all(exp.Table)):
            if _is_view_mark(table, views):
                alias = exp.TableAlias(this=exp.to_identifier(table.alias_or_name))
                table.replace(exp.Subquery(this=views[table.name][0], alias=alias))
        return tree

    def _expand_views(self, tree: exp.Expression, user: str, owner: str,
                      views: dict[str, tuple[exp.Expression, tuple[str, ...]]]) -> exp.Expression:
        """Views become placeholders for the outer checks, then the checked, rewritten bodies."""
        for table in list(tree.find_all(exp.Table)):
            if _is_cte_name(table):
                continue
            if not table.catalog and is_system_view(table.db, table.name):
                self._system_view(table, user, views)
                continue
            rel = self.relation(table)
            if rel.view_sql is None:
                continue
            self._privileged(owner, rel, "SELECT", set())
            body = sqlglot.parse_one(rel.view_sql, read="duckdb")
            if isinstance(body, exp.Create):
                body = body.expression
            view_owner = self.catalog.owner(rel.key) or owner
            if self.catalog.is_superuser(view_owner) or self.catalog.owner(rel.key) is None:
                view_owner = DEFINER_SUPERUSER
            inner = self.shared.query(body, user, view_owner)
            mark = f"v{len(views)}_{rel.name}"
            views[mark] = (inner, rel.columns)
            table.replace(exp.table_(mark, db=_VIEW_MARK, alias=table.alias_or_name))
        return tree

    def _system_view(self, table: exp.Table, user: str,
                     views: dict[str, tuple[exp.Expression, tuple[str, ...]]]) -> None:
        """A system view: every user may read it, and sees the rows ``duckdb_rows`` gives it."""
        rel = self.relation(table)
        view = rel.name.lower()
        if self.catalog.is_superuser(user):
            rows = exp.select("*").from_(exp.table_(view, db=SYSTEM_SCHEMA))
        else:
            rows = duckdb_rows(view, user, self.catalog).limit(_BARRIER)
        mark = f"v{len(views)}_{rel.name}"
        views[mark] = (rows, rel.columns)
        table.replace(exp.table_(mark, db=_VIEW_MARK, alias=table.alias_or_name))

    def _protect(self, table: exp.Table, user: str) -> None:
        rel = self.relation(table)
        if self.catalog.is_superuser(user):
            return
        setting = self.catalog.rls(rel.key)
        if not setting.enabled:
            return
        alias = table.alias_or_name
        base = exp.table_(rel.name, db=rel.schema, alias=alias)
        base.meta[_PROTECTED] = True
        inner = exp.select("*").from_(base)
        inner = inner.where(self.policy_predicate(rel, user, setting.conjunction, alias)).limit(_BARRIER)
        table.replace(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(alias))))

    def policy_predicate(self, rel: Relation, user: str, conjunction: str, alias: str) -> exp.Expression:
        """The policies attached to the user (directly, via roles, PUBLIC), combined; FALSE if none."""
        policies = self.catalog.attached(rel.key, self.catalog.identities(user))
        if not policies:
            return exp.false()
        parts: list[exp.Expression] = []
        for p in policies:
            pred = sqlglot.parse_one(p.predicate, read="redshift")
            pred = pred.transform(_bind_identity, user, p, alias)
            for table in pred.find_all(exp.Table):  # a lookup table: never a temporary one
                if not table.db and not _is_cte_name(table):
                    found = self.shared.lookup(None, table.name.lower())
                    schema = found.schema if found is not None and found.schema != TEMP else DEFAULT_SCHEMA
                    table.set("db", exp.to_identifier(schema))
            parts.append(exp.paren(pred))
        combine = exp.and_ if conjunction == "AND" else exp.or_
        return combine(*parts)

    # -- DML and DDL -----------------------------------------------------------------------
    def _insert(self, tree: exp.Insert, user: str) -> exp.Expression:
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        if not isinstance(target, exp.Table):
            raise denied("INSERT target")
        rel = self.relation(target)
        target.set("db", exp.to_identifier(rel.schema))
        cols = {c.name.lower() for c in tree.this.expressions} if isinstance(tree.this, exp.Schema) else set(rel.columns)
        self._privileged(user, rel, "INSERT", cols)
        source = tree.expression
        if source is not None and not isinstance(source, exp.Values):
            tree.set("expression", self.query(source, user, user))
        return tree

    def _update_delete(self, tree: exp.Update | exp.Delete, user: str) -> exp.Expression:
        target = tree.this
        if not isinstance(target, exp.Table) or any(tree.args.get(k) for k in ("from", "from_", "using", "returning")):
            raise denied("UPDATE/DELETE with joins or RETURNING")
        rel = self.relation(target)
        verb = "UPDATE" if isinstance(tree, exp.Update) else "DELETE"
        set_cols = {e.this.name.lower() for e in tree.expressions} if isinstance(tree, exp.Update) else set()
        self._privileged(user, rel, verb, set_cols)
        alias = target.alias_or_name
        where = tree.args.get("where")
        # Checked as a query: the WHERE clause and the new values read columns (SELECT rights),
        # and the WHERE clause is evaluated only on the rows the policies let the user see.
        probe = exp.select("1").from_(exp.table_(rel.name, db=rel.schema, alias=alias))
        if where is not None:
            probe = probe.where(where.this.copy())
        for i, e in enumerate(tree.expressions if isinstance(tree, exp.Update) else ()):
            probe = probe.select(exp.alias_(e.expression.copy(), f"_v{i}"))
        checked = self.query(probe, user, user)
        if not isinstance(checked, exp.Select):
            raise denied(verb)
        source = checked.args["from_"].this
        base = exp.table_(rel.name, db=rel.schema)
        base.meta[_PROTECTED] = True
        if isinstance(source, exp.Subquery):  # RLS: the protected rows, with their row ids
            source.this.select(exp.alias_(exp.column("rowid"), _ROWID), copy=False)
        else:
            inner = exp.select("*", exp.alias_(exp.column("rowid"), _ROWID)).from_(base)
            source.replace(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(alias))))
        rows = exp.select(exp.column(_ROWID, table=alias)).from_(checked.args["from_"].this.copy())
        if checked.args.get("where"):
            rows.set("where", checked.args["where"].copy())
        target.set("db", exp.to_identifier(rel.schema))
        tree.set("where", exp.Where(this=exp.In(this=exp.column("rowid"), query=exp.Subquery(this=rows))))
        return tree

    def _create(self, tree: exp.Create, user: str) -> exp.Expression:
        kind = (tree.args.get("kind") or "").upper()
        if kind not in ("TABLE", "VIEW") or tree.args.get("replace"):
            raise denied(f"CREATE {kind or 'statement'}")
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        if not isinstance(target, exp.Table) or target.catalog:
            raise denied("CREATE target")
        schema = target.db.lower() or DEFAULT_SCHEMA
        if schema != DEFAULT_SCHEMA:
            privs = self.catalog.privileges(self.catalog.identities(user), "schema", schema)
            if "CREATE" not in privs and "ALL" not in privs:
                raise denied(f"schema {schema}")
        if self.lookup(schema, target.name.lower()) is not None and not tree.args.get("exists"):
            raise AccessDenied(f'relation "{target.name}" already exists')
        if tree.expression is not None and kind == "VIEW":
            self.query(tree.expression.copy(), user, user)  # checked now; expanded and re-checked when read
        elif tree.expression is not None:
            tree.set("expression", self.query(tree.expression, user, user))
        target.set("db", exp.to_identifier(schema))
        if self.lookup(schema, target.name.lower()) is None:
            self.catalog.set_owner(table_key(schema, target.name), user)
        self.schema_changed()
        return tree

    def _create_temporary(self, tree: exp.Create, user: str) -> str:
        """CREATE TEMP TABLE: TEMP on the database (PUBLIC's by default); the table is marked
        with its creator, and a name already taken on the connection is refused."""
        kind = (tree.args.get("kind") or "").upper()
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        if kind != "TABLE" or tree.args.get("replace"):
            raise denied(f"CREATE TEMPORARY {kind or 'statement'}")
        if not isinstance(target, exp.Table) or target.catalog or target.db.lower() not in ("", TEMP, "pg_temp"):
            raise AccessDenied("cannot create temporary relation in non-temporary schema")
        if not self.catalog.may_create_temp(user):
            raise AccessDenied("permission denied to create temporary tables in database")
        name = target.name.lower()
        existing = self.lookup(TEMP, name)
        if existing is not None:
            if tree.args.get("exists") and existing.owner == user:
                target.set("db", None)
                return tree.sql(dialect="duckdb")  # a no-op
            raise AccessDenied(f'relation "{target.name}" already exists')
        if tree.expression is not None:
            tree.set("expression", self.query(tree.expression, user, user))
        target.set("db", None)
        qualified = exp.table_(target.this.copy(), db="main", catalog=TEMP).sql(dialect="duckdb")
        mark = quote_literal(TEMP_OWNER_MARK + user)
        return f"{tree.sql(dialect='duckdb')}; COMMENT ON TABLE {qualified} IS {mark}"

    def _drop(self, tree: exp.Drop, user: str) -> exp.Expression:
        kind = (tree.args.get("kind") or "").upper()
        tables = tree.args.get("tables") or ([tree.this] if tree.this is not None else [])
        if kind not in ("TABLE", "VIEW") or not tables or not all(isinstance(t, exp.Table) for t in tables):
            raise denied(f"DROP {kind}")
        for table in tables:
            rel = self.lookup(table.db.lower() or None, table.name.lower()) if tree.args.get("exists") else None
            if rel is None and tree.args.get("exists"):
                continue
            rel = self.relation(table)
            if (rel.owner if rel.schema == TEMP else self.catalog.owner(rel.key)) != user:
                raise AccessDenied(f"must be owner of relation {rel.name}")
            table.set("db", exp.to_identifier(rel.schema))
            if rel.schema != TEMP:
                self.catalog.forget_object(rel.key)
        self.schema_changed()
        return tree


def _first_line(e: Exception) -> str:
    return str(e).splitlines()[0][:200] if str(e) else type(e).__name__


def _is_view_mark(table: exp.Table, views: dict[str, tuple[exp.Expression, tuple[str, ...]]]) -> bool:
    return table.db == _VIEW_MARK and table.name in views


def _is_cte_name(table: exp.Table) -> bool:
    if table.db or table.catalog:
        return False
    name = table.name.lower()
    node: exp.Expression | None = table
    while node is not None:
        with_ = node.args.get("with_") or node.args.get("with") if isinstance(node, exp.Query) else None
        if with_ is not None and any(cte.alias_or_name.lower() == name for cte in with_.expressions):
            return True
        node = node.parent
    return False


def _source_of(scope: Scope, name: str) -> object:
    s: Scope | None = scope
    while s is not None:
        if name in s.sources:
            src = s.sources[name]
            return src
        s = s.parent
    return None


def _unalias(tree: exp.Expression) -> exp.Expression:
    """Drops the ``_col_N`` names qualify gives unnamed outer columns: the backend's own names
    (``count``, ...) are what the user would see without enforcement."""
    if isinstance(tree, exp.SetOperation):
        _unalias(tree.left)
        _unalias(tree.right)
    elif isinstance(tree, exp.Select):
        for e in tree.expressions:
            if isinstance(e, exp.Alias) and e.alias.startswith("_col_"):
                e.replace(e.this)
    elif isinstance(tree, exp.Subquery):
        _unalias(tree.this)
    return tree


def _current_user(node: exp.Expression, user: str) -> exp.Expression:
    if isinstance(node, _IDENTITY_FUNCS) or (isinstance(node, exp.Column) and not node.table
                                             and node.name.lower() in ("current_user", "session_user")):
        return exp.Literal.string(user)
    return node


def _bind_identity(node: exp.Expression, user: str, policy: Policy, alias: str) -> exp.Expression:
    """current_user -> the user; the policy's WITH columns -> the protected table's columns."""
    if isinstance(node, _IDENTITY_FUNCS) or (isinstance(node, exp.Column) and not node.table
                                             and node.name.lower() in ("current_user", "session_user", "user")):
        return exp.Literal.string(user)
    if isinstance(node, exp.Column) and node.name.lower() in {c for c, _ in policy.columns}:
        if not node.table or (policy.alias and node.table.lower() == policy.alias.lower()):
            return exp.column(node.name, table=alias)
    return node


def _check_nodes(tree: exp.Expression) -> None:
    for node in tree.walk():
        cls = type(node).__name__
        if isinstance(node, exp.Anonymous):
            if node.name.lower() not in SAFE_FUNCTIONS:
                raise denied(f"function {node.name.lower()}")
        elif isinstance(node, exp.Func) and cls not in SAFE_NODES:
            raise denied(f"function {node.sql_name().lower()}")
        elif cls not in SAFE_NODES:
            raise denied(f"{cls.lower()} in a statement")
        if isinstance(node, exp.Var) and not isinstance(node.parent, (exp.Extract, exp.DataType, exp.Interval,
                                                                      exp.TimestampTrunc, exp.DateTrunc)) \
                and not (node.name.upper() == "ALL" and isinstance(node.parent, (exp.Ordered, exp.Group))):
            raise denied(f"keyword {node.name}")


_PG_STATEMENTS = (exp.Select, exp.SetOperation, exp.Insert, exp.Update, exp.Delete)
_PG_CATALOGS = ("pg_catalog", "information_schema")


def check_postgres(sql: str, prefix: str = "") -> tuple[str, bool]:
    """PostgreSQL enforces grants and RLS natively (under SET ROLE); this refuses what could leave
    the role (``set_config('role', ...)``, ``RESET ROLE``), run code, or read the catalogs.

    Returns the SQL to run, with the system views replaced by their filtered views
    (``system_views.postgres_ddl``), and whether it reads any."""
    try:
        trees = sqlglot.parse(sql, read="postgres")
    except SqlglotError as e:
        raise AccessDenied(f"permission denied: statement not recognised ({_first_line(e)})") from None
    if len(trees) != 1 or trees[0] is None:
        raise AccessDenied("permission denied: one statement at a time")
    tree = trees[0]
    _check_nodes(tree)
    if isinstance(tree, (exp.Create, exp.Drop)):
        kind = (tree.args.get("kind") or "").upper()
        if kind not in ("TABLE", "VIEW"):
            raise denied(f"{type(tree).__name__.upper()} {kind}")
    elif not isinstance(tree, _PG_STATEMENTS):
        raise denied(f"statement {type(tree).__name__.upper()}")
    system = []
    for table in tree.find_all(exp.Table):
        if table.catalog or table.db.lower() in _PG_CATALOGS or (not table.db and table.name.lower().startswith("pg_")):
            raise denied(f"relation {table.name}")
        if table.db.lower() == SYSTEM_SCHEMA:
            if not is_system_view(table.db, table.name) or isinstance(tree, (exp.Create, exp.Drop)) \
                    and table is tree.find(exp.Table):
                raise denied(f"relation {table.name}")
            system.append(table)
    if not system:
        return sql, False
    for table in system:
        view = table.name.lower()
        if not table.alias:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(view)))
        table.set("this", exp.to_identifier(postgres_view_name(prefix, view), quoted=True))
    return tree.sql(dialect="postgres"), True
