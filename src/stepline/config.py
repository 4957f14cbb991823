"""``stepline.toml`` -> frozen dataclasses. Secrets are named here, their values come from the
environment or files at the moment they are needed (``stepline.parameters``), never from the file.

Example::

    [server]
    host = "127.0.0.1"
    port = 8787
    region = "us-east-1"
    account_id = "123456789012"
    # access_keys = [{ access_key_id = "AKID...", secret_access_key_env = "STEPLINE_SECRET" }]

    [warehouse]
    backend = "duckdb"            # or "postgres"
    # dsn = "postgresql://127.0.0.1:5432/test"
    database = "dev"
    superuser = "awsuser"

    [[wlm.queues]]
    name = "etl"
    slots = 4
    query_groups = ["etl"]
    max_execution_seconds = 600   # query monitoring rule: abort beyond this

    [functions.execute-stored-procedure]
    handler = "handlers.execute:lambda_handler"
    path = "handlers"
    timeout = 30
    environment = { LOG_LEVEL = "INFO" }

    [parameters."/redshift/cluster-id"]
    value = "local-cluster"

    [secrets."redshift-credentials"]
    env = "REDSHIFT_SECRET_JSON"  # or: file = "secrets/redshift.json"

    [crawlers.sales-crawler]      # glue:StartCrawler / GetCrawler
    database = "klb_db"
    s3_targets = ["s3://stepline-workshop/data/raw/sales_consolidate/"]
    # table_prefix = "raw_"

    [jobs.load-master-branch]     # glue:StartJobRun: a declarative load (stepline.lake.loads)
    source = "klb_db.sales_consolidate"
    target = "klb_rs.master_branch"
    columns = ["kodecab", "namacab"]   # Select Fields (default: every column)
    keys = ["kodecab"]                 # update matching keys, insert the rest (default: append)
    # distinct = true                  # Drop Duplicates
    # max_concurrent_runs = 1
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stepline.errors import Invalid

DEFAULT_PORT = 8787
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"


@dataclass(frozen=True, slots=True)
class AccessKey:
    access_key_id: str
    secret_access_key_env: str | None = None  # name of the env variable holding the secret
    secret_access_key_file: str | None = None
    # database users this principal may act as ("*" = any); empty = only its own name
    db_users: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT
    access_keys: tuple[AccessKey, ...] = ()


@dataclass(frozen=True, slots=True)
class WarehouseConfig:
    name: str = "default"
    backend: str = "duckdb"  # "duckdb" | "postgres"
    path: str | None = None  # duckdb file; default <data_dir>/warehouse.duckdb
    dsn: str | None = None  # postgres connection string
    database: str = "dev"
    superuser: str = "awsuser"
    clusters: tuple[str, ...] = ()  # ClusterIdentifier / WorkgroupName values routed here
    max_active_statements: int = 200
    max_sessions: int = 500


@dataclass(frozen=True, slots=True)
class WlmQueue:
    name: str
    slots: int = 5
    user_groups: tuple[str, ...] = ()
    query_groups: tuple[str, ...] = ()
    max_execution_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class FunctionConfig:
    name: str
    handler: str  # "module.sub:function"
    path: str | None = None  # added to sys.path (relative to the config file)
    timeout: float = 3.0  # Lambda's default
    environment: dict[str, str] = field(default_factory=dict)
    memory_size: int = 128
    # Qualifiers an Invoke may name besides $LATEST; every version runs the configured handler.
    versions: tuple[str, ...] = ()  # published version numbers, e.g. ["1", "2"]
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> version, e.g. { live = "2" }


@dataclass(frozen=True, slots=True)
class ValueSource:
    """Where a parameter or secret value comes from: literal, environment variable or file."""

    value: str | None = None
    env: str | None = None
    file: str | None = None
    type: str = "String"  # SSM: String | StringList | SecureString


@dataclass(frozen=True, slots=True)
class CrawlerConfig:
    """A Glue crawler: each S3 target prefix is crawled into one table of ``database``."""

    name: str
    database: str
    s3_targets: tuple[str, ...]
    table_prefix: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class JobConfig:
    """A Glue job: a declarative load (``stepline.lake.loads.LoadSpec``). A run's ``--source``,
    ``--target``, ``--columns``, ``--keys`` and ``--distinct`` arguments override these."""

    name: str
    source: str
    target: str
    columns: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    distinct: bool = True
    create_target: bool = True
    max_concurrent_runs: int = 1  # Glue's ExecutionProperty.MaxConcurrentRuns default
    timeout: int = 2880  # minutes, Glue's default
    description: str = ""


@dataclass(frozen=True, slots=True)
class Config:
    data_dir: Path = Path(".stepline")
    base_dir: Path = Path(".")  # directory of the config file; relative paths resolve here
    server: ServerConfig = ServerConfig()
    warehouses: tuple[WarehouseConfig, ...] = (WarehouseConfig(),)
    wlm_queues: tuple[WlmQueue, ...] = (WlmQueue(name="default", slots=5),)
    result_retention_hours: float = 24.0
    functions: dict[str, FunctionConfig] = field(default_factory=dict)
    parameters: dict[str, ValueSource] = field(default_factory=dict)
    secrets: dict[str, ValueSource] = field(default_factory=dict)
    crawlers: dict[str, CrawlerConfig] = field(default_factory=dict)
    jobs: dict[str, JobConfig] = field(default_factory=dict)

    @property
    def warehouse(self) -> WarehouseConfig:
        return self.warehouses[0]


def _tuple(v: Any) -> tuple[Any, ...]:
    return tuple(v) if isinstance(v, (list, tuple)) else ((v,) if v is not None else ())


def _build(cls: type, where: str, raw: Any, **extra: Any) -> Any:
    if not isinstance(raw, dict):
        raise Invalid(f"config: [{where}] must be a table")
    allowed = set(cls.__dataclass_fields__)  # type: ignore[attr-defined]
    unknown = set(raw) - allowed
    if unknown:
        raise Invalid(f"config: unknown key(s) in [{where}]: {', '.join(sorted(unknown))}")
    kwargs = {k: (_tuple(v) if isinstance(v, list) else v) for k, v in raw.items()}
    kwargs.update(extra)
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise Invalid(f"config: [{where}]: {e}") from None


def parse_config(raw: dict[str, Any], *, base_dir: Path = Path("."), data_dir: Path | None = None) -> Config:
    known = {"server", "warehouse", "warehouses", "wlm", "results", "functions", "parameters", "secrets", "data_dir",
             "crawlers", "jobs"}
    unknown = set(raw) - known
    if unknown:
        raise Invalid(f"config: unknown section(s): {', '.join(sorted(unknown))}")
    for section in ("server", "warehouse", "warehouses", "wlm", "results", "functions", "parameters", "secrets",
                    "crawlers", "jobs"):
        if section in raw and not isinstance(raw[section], dict):
            raise Invalid(f"config: [{section}] must be a table")
    server_raw = dict(raw.get("server", {}))
    keys = tuple(_build(AccessKey, "server.access_keys", k) for k in server_raw.pop("access_keys", []))
    server = _build(ServerConfig, "server", server_raw, access_keys=keys)
    warehouses: list[WarehouseConfig] = []
    if "warehouse" in raw:
        warehouses.append(_build(WarehouseConfig, "warehouse", raw["warehouse"]))
    for name, w in raw.get("warehouses", {}).items():
        warehouses.append(_build(WarehouseConfig, f"warehouses.{name}", w, name=name))
    queues = tuple(
        _build(WlmQueue, "wlm.queues", q) for q in raw.get("wlm", {}).get("queues", [])
    ) or (WlmQueue(name="default", slots=5),)
    functions = {
        name: _build(FunctionConfig, f"functions.{name}", f, name=name)
        for name, f in raw.get("functions", {}).items()
    }
    parameters = {n: _build(ValueSource, f"parameters.{n}", p) for n, p in raw.get("parameters", {}).items()}
    secrets = {n: _build(ValueSource, f"secrets.{n}", s) for n, s in raw.get("secrets", {}).items()}
    crawlers = {n: _crawler(n, c) for n, c in raw.get("crawlers", {}).items()}
    jobs = {n: _job(n, j) for n, j in raw.get("jobs", {}).items()}
    retention = float(raw.get("results", {}).get("retention_hours", 24.0))
    ddir = data_dir or Path(raw.get("data_dir", ".stepline"))
    if not ddir.is_absolute():
        ddir = base_dir / ddir
    return Config(
        data_dir=ddir,
        base_dir=base_dir,
        server=server,
        warehouses=tuple(warehouses) or (WarehouseConfig(),),
        wlm_queues=queues,
        result_retention_hours=retention,
        functions=functions,
        parameters=parameters,
        secrets=secrets,
        crawlers=crawlers,
        jobs=jobs,
    )


def _crawler(name: str, raw: Any) -> CrawlerConfig:
    c = _build(CrawlerConfig, f"crawlers.{name}", raw, name=name)
    if not c.s3_targets or not all(isinstance(t, str) and t.startswith("s3://") for t in c.s3_targets):
        raise Invalid(f"config: [crawlers.{name}] s3_targets must list s3:// paths")
    return c


def _job(name: str, raw: Any) -> JobConfig:
    j = _build(JobConfig, f"jobs.{name}", raw, name=name)
    if not isinstance(j.max_concurrent_runs, int) or j.max_concurrent_runs < 1:
        raise Invalid(f"config: [jobs.{name}] max_concurrent_runs must be a positive integer")
    return j


def load_config(path: str | os.PathLike[str] | None = None, *, data_dir: str | None = None) -> Config:
    """Read ``stepline.toml`` (or the given file); without one, defaults with ``./.stepline`` data."""
    dd = Path(data_dir).resolve() if data_dir else None
    if path is None:
        candidate = Path("stepline.toml")
        if not candidate.exists():
            return parse_config({}, base_dir=Path.cwd(), data_dir=dd)
        path = candidate
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text())
    except FileNotFoundError:
        raise Invalid(f"config file not found: {p}") from None
    except tomllib.TOMLDecodeError as e:
        raise Invalid(f"config file {p} is not valid TOML: {e}") from None
    return parse_config(raw, base_dir=p.resolve().parent, data_dir=dd)
