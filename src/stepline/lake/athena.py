"""Athena over the warehouse: a query execution is a statement of the statement service (so
SELECTs over the crawled catalog and Athena CTAS run as they do through the Data API), reported
in Athena's shapes: QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED, results as Athena's
ResultSet (every value a VarCharValue, the header as the first row of a SELECT) and written as
``<OutputLocation>/<QueryExecutionId>.csv`` in the lake.

``QueryExecutionContext.Database`` is the catalog database: it leads the query's search path.
Query executions are kept in ``<data_dir>/athena.sqlite``.
https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecution.html
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stepline.errors import SteplineError

DEFAULT_OUTPUT = "s3://stepline-athena-query-results/"
_STATES = {"SUBMITTED": "QUEUED", "PICKED": "QUEUED", "STARTED": "RUNNING", "FINISHED": "SUCCEEDED",
           "FAILED": "FAILED", "ABORTED": "CANCELLED"}
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
# Redshift type names of the statement service -> Athena's
_TYPES = {"int2": "smallint", "int4": "integer", "int8": "bigint", "float4": "float", "float8": "double",
          "bool": "boolean", "numeric": "decimal", "varchar": "varchar", "bpchar": "char", "date": "date",
          "timestamp": "timestamp", "timestamptz": "timestamp with time zone", "super": "json"}
_SCHEMA = "CREATE TABLE IF NOT EXISTS query_executions (id TEXT PRIMARY KEY, doc TEXT)"
_TOKENS = uuid.UUID("a7e4a1d2-3c5b-4f1e-9d2a-6b0c8e4f1a37")  # ClientRequestToken -> QueryExecutionId
_DDL = re.compile(r"^\s*(CREATE|DROP|ALTER|MSCK|SHOW|DESCRIBE)\b", re.IGNORECASE)


class AthenaError(SteplineError):
    code = "InvalidRequestException"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Athena:
    def __init__(self, config: Any, statements: Any) -> None:
        self.config = config
        self.statements = statements  # sql.service.StatementService
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self._path = Path(config.data_dir) / "athena.sqlite"
        with self._db() as db:
            db.execute(_SCHEMA)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self._path, timeout=30)
        try:
            with db:
                yield db
        finally:
            db.close()

    def start_query_execution(self, query: Any, *, database: Any = None, output_location: Any = None,
                              workgroup: Any = None, client_request_token: Any = None) -> str:
        """Submit ``query``; the same ``client_request_token`` returns the execution it started."""
        if not isinstance(query, str) or not query.strip():
            raise AthenaError("1 validation error detected: Value null at 'queryString' failed to satisfy "
                              "constraint: Member must not be null")
        if self.statements is None:
            raise AthenaError("no warehouse is configured for Athena queries", code="InternalServerException")
        query_id = str(uuid.uuid4())
        if isinstance(client_request_token, str) and client_request_token:
            query_id = str(uuid.uuid5(_TOKENS, client_request_token))
            with self._db() as db:
                row = db.execute("SELECT doc FROM query_executions WHERE id = ?", (query_id,)).fetchone()
            if row is not None:
                if json.loads(row[0])["Query"] != query:
                    raise AthenaError("The ClientRequestToken was already used by a different query "
                                      "(idempotent requests must be identical)")
                return query_id
        sqls = [query.strip().rstrip(";")]
        if isinstance(database, str) and database:
            sqls.insert(0, f"SET search_path TO {_ident(database.lower())}, public")
        st = self.statements.execute_statement(sqls, batch=len(sqls) > 1, database=self.config.warehouse.database,
                                               db_user=self.config.warehouse.superuser)
        output = output_location if isinstance(output_location, str) and output_location else DEFAULT_OUTPUT
        doc = {"QueryExecutionId": query_id, "Query": query, "StatementId": st.id, "Batch": len(sqls) > 1,
               "Database": database if isinstance(database, str) else None, "WorkGroup": workgroup or "primary",
               "OutputLocation": f"{output.rstrip('/')}/{query_id}.csv", "Submitted": st.created_at}
        with self._db() as db:
            db.execute("INSERT INTO query_executions (id, doc) VALUES (?, ?)", (query_id, json.dumps(doc)))
        return query_id

    def _doc(self, query_id: Any) -> dict[str, Any]:
        with self._db() as db:
            row = db.execute("SELECT doc FROM query_executions WHERE id = ?", (str(query_id),)).fetchone()
        if row is None:
            raise AthenaError(f"QueryExecution {query_id} was not found")
        return json.loads(row[0])

    def _result_id(self, doc: dict[str, Any]) -> str:
        return f"{doc['StatementId']}:2" if doc["Batch"] else doc["StatementId"]

    def wait(self, query_id: str, timeout: float | None = None) -> dict[str, Any]:
        self.statements.wait(self._doc(query_id)["StatementId"], timeout)
        return self.get_query_execution(query_id)

    def get_query_execution(self, query_id: Any) -> dict[str, Any]:
        doc = self._doc(query_id)
        st, _ = self.statements.describe_statement(doc["StatementId"])
        sub = st.subs[-1] if st.is_batch and st.subs else st
        state = _STATES.get(st.status, "RUNNING")
        status: dict[str, Any] = {"State": state, "SubmissionDateTime": doc["Submitted"]}
        if state in TERMINAL:
            status["CompletionDateTime"] = st.ended_at or st.updated_at
        error = sub.error or st.error
        if state in ("FAILED", "CANCELLED") and error:
            status["StateChangeReason"] = error
            status["AthenaError"] = {"ErrorCategory": 2, "ErrorType": 1000, "Retryable": False,
                                     "ErrorMessage": error}
        if state == "SUCCEEDED" and sub.has_result_set:
            self._write_csv(doc)
        total = int(round(((st.ended_at or st.updated_at) - doc["Submitted"]) * 1000)) if state in TERMINAL else 0
        engine = max(int((sub.duration_ns if sub.duration_ns >= 0 else 0) / 1e6), 0)
        return {
            "QueryExecutionId": doc["QueryExecutionId"], "Query": doc["Query"],
            "StatementType": "DDL" if _DDL.match(doc["Query"]) else "DML",
            "ResultConfiguration": {"OutputLocation": doc["OutputLocation"]},
            "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
            "QueryExecutionContext": {"Database": doc["Database"], "Catalog": "awsdatacatalog"}
            if doc["Database"] else {},
            "Status": status,
            "Statistics": {"EngineExecutionTimeInMillis": engine, "DataScannedInBytes": 0,
                           "TotalExecutionTimeInMillis": total, "QueryQueueTimeInMillis": int(st.queue_ns / 1e6),
                           "ServicePreProcessingTimeInMillis": 0, "QueryPlanningTimeInMillis": 0,
                           "ServiceProcessingTimeInMillis": 0,
                           "ResultReuseInformation": {"ReusedPreviousResult": False}},
            "WorkGroup": doc["WorkGroup"],
            "EngineVersion": {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
            "SubstatementType": "SELECT" if re.match(r"^\s*(SELECT|WITH)\b", doc["Query"], re.IGNORECASE)
            else ("CREATE_TABLE_AS_SELECT" if re.match(r"^\s*CREATE\s+TABLE\b.*\bAS\b", doc["Query"],
                                                       re.IGNORECASE | re.DOTALL) else "UNKNOWN"),
        }

    def _rows(self, doc: dict[str, Any]) -> tuple[list[dict[str, Any]], list[list[str | None]]]:
        columns: list[dict[str, Any]] = []
        rows: list[list[str | None]] = []
        token = None
        while True:
            page = self.statements.get_statement_result(self._result_id(doc), token)
            columns = page.get("ColumnMetadata") or columns
            rows += [[_text(v) for v in record] for record in page.get("Records", [])]
            token = page.get("NextToken")
            if not token:
                return columns, rows

    def _write_csv(self, doc: dict[str, Any]) -> None:
        from stepline.lake.paths import lake_path

        path = lake_path(doc["OutputLocation"], self.config.data_dir)
        if path.exists():
            return
        columns, rows = self._rows(doc)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        with partial.open("w", newline="") as f:
            out = csv.writer(f, quoting=csv.QUOTE_ALL)
            out.writerow([c["name"] for c in columns])
            out.writerows(rows)
        partial.replace(path)

    def get_query_results(self, query_id: Any, *, next_token: Any = None, max_results: Any = None) -> dict[str, Any]:
        doc = self._doc(query_id)
        execution = self.get_query_execution(query_id)
        state = execution["Status"]["State"]
        if state != "SUCCEEDED":
            raise AthenaError(f"Query has not yet finished. Current state: {state}" if state not in TERMINAL
                              else f"Query did not finish successfully. Final query state: {state}")
        st, _ = self.statements.describe_statement(doc["StatementId"])
        sub = st.subs[-1] if st.is_batch and st.subs else st
        columns, rows = self._rows(doc) if sub.has_result_set else ([], [])
        info = [{"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": c["name"], "Label": c["name"],
                 "Type": _TYPES.get(c.get("typeName", "varchar"), "varchar"), "Precision": c.get("precision", 0),
                 "Scale": c.get("scale", 0), "Nullable": "UNKNOWN", "CaseSensitive": c.get("typeName") == "varchar"}
                for c in columns]
        body = ([[c["name"] for c in columns]] if execution["SubstatementType"] == "SELECT" else []) + rows
        start = int(next_token) if isinstance(next_token, str) and next_token.isdigit() else 0
        size = max_results if isinstance(max_results, int) and 0 < max_results <= 1000 else 1000
        page = body[start:start + size]
        out: dict[str, Any] = {
            "UpdateCount": 0 if sub.has_result_set else max(sub.result_rows, 0),
            "ResultSet": {"Rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in page],
                          "ResultSetMetadata": {"ColumnInfo": info}},
        }
        if start + size < len(body):
            out["NextToken"] = str(start + size)
        return out

    def stop_query_execution(self, query_id: Any) -> None:
        self.statements.cancel_statement(self._doc(query_id)["StatementId"])


def _text(field: dict[str, Any]) -> str | None:
    if field.get("isNull"):
        return None
    (kind, value), = field.items()
    if kind == "booleanValue":
        return "true" if value else "false"
    return str(value)
