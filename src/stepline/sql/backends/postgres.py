"""PostgreSQL over psycopg 3: pooled connections, cancel through ``pg_cancel_backend``."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import psycopg_pool
import pyarrow as pa

from stepline.sql.backends.base import Column

# type OID -> Redshift type name (https://docs.aws.amazon.com/redshift/latest/dg/c_Supported_data_types.html)
_OIDS = {
    16: "bool", 17: "varbyte", 18: "char", 19: "name", 20: "int8", 21: "int2", 23: "int4", 25: "varchar",
    26: "oid", 114: "super", 3802: "super", 700: "float4", 701: "float8", 1042: "bpchar",
    1043: "varchar", 1082: "date", 1083: "time", 1114: "timestamp", 1184: "timestamptz",
    1186: "interval", 1266: "timetz", 1700: "numeric", 2950: "varchar",
}
_PRECISION = {"int2": 5, "int4": 10, "int8": 19, "float4": 8, "float8": 17, "bool": 1, "date": 13,
              "timestamp": 29, "timestamptz": 35}


class PostgresConnection:
    def __init__(self, backend: PostgresBackend) -> None:
        self._backend = backend
        self._con = backend.pool.getconn()
        self._con.autocommit = True  # explicit BEGIN/COMMIT, as the service drives transactions
        self.pid = self._con.info.backend_pid
        for sql in backend.setup:
            self._con.execute(sql)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        cur = self._con.cursor()
        cur.execute(sql, params or None, prepare=False)
        return cur

    def bulk_insert(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        with self._con.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)

    def columns(self, cursor: Any) -> list[Column]:
        out = []
        for d in cursor.description or ():
            name = _OIDS.get(d.type_code, "varchar")
            precision, scale = _PRECISION.get(name, 0), 0
            if name == "numeric":
                precision, scale = d.precision or 0, d.scale or 0
            elif name in ("varchar", "bpchar", "char"):
                precision = d.internal_size if d.internal_size and d.internal_size > 0 else 0
            out.append(Column(d.name, name, precision, scale, length=precision if name in ("varchar", "bpchar") else 0))
        return out

    def fetch_arrow(self, cursor: Any) -> Any:
        rows = cursor.fetchall()
        names = [d.name for d in cursor.description]
        if not rows:
            return None
        columns = list(zip(*rows, strict=True))
        arrays = []
        for col in columns:
            try:
                arrays.append(pa.array(col))
            except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed or exotic values: keep their text
                arrays.append(pa.array([None if v is None else str(v) for v in col], pa.string()))
        return pa.Table.from_arrays(arrays, names=[f"c{i}" for i in range(len(names))])

    def begin(self) -> None:
        self._con.execute("BEGIN")

    def commit(self) -> None:
        self._con.execute("COMMIT")

    def rollback(self) -> None:
        try:
            self._con.execute("ROLLBACK")
        except psycopg.Error:
            pass

    def cancel(self) -> None:
        with psycopg.connect(self._backend.dsn, autocommit=True) as other:
            other.execute("SELECT pg_cancel_backend(%s)", (self.pid,))

    def close(self) -> None:
        con, self._con = self._con, None
        if con is None:
            return
        try:
            if not con.closed:
                con.execute("RESET ALL")
                con.execute("DISCARD TEMP")
        except psycopg.Error:
            con.close()
        self._backend.pool.putconn(con)


class PostgresBackend:
    dialect = "postgres"

    def __init__(self, dsn: str, database: str, setup: tuple[str, ...] = (), max_size: int = 64) -> None:
        self.dsn = dsn
        self.setup = setup
        self._database = database
        with psycopg.connect(dsn, connect_timeout=5):  # fail fast: the pool would retry for 30 s
            pass
        self.pool = psycopg_pool.ConnectionPool(dsn, min_size=1, max_size=max_size, open=True,
                                                kwargs={"autocommit": True})

    def connect(self) -> PostgresConnection:
        return PostgresConnection(self)

    def databases(self) -> list[str]:
        with self.pool.connection() as con:
            rows = con.execute("SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    def close(self) -> None:
        self.pool.close()


# -- bulk paths for the lake's COPY, UNLOAD and CTAS -------------------------------------------------

# type OID -> Arrow type of a result handed to the lake's file writers (numeric is handled apart)
_ARROW = {
    16: pa.bool_(), 17: pa.binary(), 20: pa.int64(), 21: pa.int16(), 23: pa.int32(), 700: pa.float32(),
    701: pa.float64(), 1082: pa.date32(), 1083: pa.time64("us"), 1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
}
_NUMERIC_OID = 1700


def raw_connection(cursor: Any) -> psycopg.Connection:
    """The psycopg connection behind a cursor returned by ``PostgresConnection.execute``."""
    return cursor.connection


def copy_arrow_in(con: psycopg.Connection, table_sql: str, cols_sql: str, batches: Any) -> int:
    """Stream Arrow record batches into a table with ``COPY ... FROM STDIN``, in the connection's
    current transaction; returns the rows sent. Batches travel as CSV written by Arrow's C++
    writer (strings always quoted, a null an unquoted empty field: PostgreSQL's CSV NULL)."""
    import io

    import pyarrow.csv as pcsv

    options = pcsv.WriteOptions(include_header=False)
    rows = 0
    with con.cursor() as cur, cur.copy(f"COPY {table_sql} ({cols_sql}) FROM STDIN (FORMAT csv)") as copy:
        for batch in batches:
            if batch.num_rows:
                buf = io.BytesIO()
                pcsv.write_csv(batch, buf, options)
                copy.write(buf.getbuffer())
                rows += batch.num_rows
    return rows


def _numeric_scale(values: list[Any]) -> int:
    scale = 0
    for v in values:
        if v is not None and v.is_finite():
            scale = max(scale, -int(v.as_tuple().exponent))
    return min(scale, 18)


def arrow_batches(con: psycopg.Connection, sql: str, batch_rows: int = 50_000) -> tuple[pa.Schema, Any]:
    """Run a query through a server-side cursor; returns its Arrow schema and an iterator of record
    batches (typed from the result's type OIDs, so every batch has the same schema)."""
    from decimal import Decimal

    idle = con.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    cur = con.cursor(name=f"stepline_arrow_{uuid.uuid4().hex}", withhold=idle)
    cur.execute(sql)
    first = cur.fetchmany(batch_rows)
    fields = []
    for i, d in enumerate(cur.description or ()):
        if d.type_code == _NUMERIC_OID:
            if d.precision and d.precision <= 38:
                t = pa.decimal128(d.precision, d.scale or 0)
            else:  # unconstrained numeric (SUM of a numeric...): the scale of the first rows
                t = pa.decimal128(38, _numeric_scale([r[i] for r in first]))
        else:
            t = _ARROW.get(d.type_code, pa.string())
        fields.append(pa.field(d.name, t))
    schema = pa.schema(fields)

    def convert(col: tuple[Any, ...], t: pa.DataType) -> pa.Array:
        if pa.types.is_string(t):
            return pa.array([None if v is None else v if isinstance(v, str) else str(v) for v in col], t)
        if pa.types.is_decimal(t):
            q = Decimal(1).scaleb(-t.scale)
            return pa.array([None if v is None else v.quantize(q) for v in col], t)
        return pa.array(col, t)

    def batches() -> Any:
        try:
            rows = first
            while rows:
                cols = list(zip(*rows, strict=True))
                yield pa.RecordBatch.from_arrays([convert(c, f.type) for c, f in zip(cols, schema, strict=True)],
                                                 schema=schema)
                rows = cur.fetchmany(batch_rows)
        finally:
            cur.close()

    return schema, batches()
