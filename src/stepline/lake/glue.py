"""Glue's control plane over the lake: the crawlers and jobs configured in ``stepline.toml``
(``[crawlers.<name>]``, ``[jobs.<name>]``) started, watched and reported as AWS Glue does.

A crawler run catalogs each S3 target (``lake.crawler.crawl``) and exposes the database in the
warehouse; its state goes RUNNING -> STOPPING -> READY and ``LastCrawl`` holds the outcome. A job
run is a declarative load (``lake.loads.run_load``) on a warehouse connection of its own, as a Glue
job writes over its JDBC connection; it goes STARTING -> RUNNING -> SUCCEEDED | FAILED. Job runs
are kept in ``<data_dir>/glue.sqlite`` so that GetJobRun answers after a restart; a run that was
going when the service stopped is recorded FAILED.
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-crawling.html
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-runs.html
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from stepline.config import Config, CrawlerConfig, JobConfig
from stepline.errors import SteplineError

GLUE_VERSION = "4.0"
LOG_GROUP = "/aws-glue/jobs"
CRAWLER_LOG_GROUP = "/aws-glue/crawlers"
TERMINAL_RUN_STATES = frozenset({"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"})
INTERRUPTED = "The job run was interrupted by a restart of the service."

_SCHEMA = """
CREATE TABLE IF NOT EXISTS job_runs (id TEXT PRIMARY KEY, job_name TEXT, started REAL, doc TEXT);
CREATE INDEX IF NOT EXISTS job_runs_by_job ON job_runs (job_name, started);
CREATE TABLE IF NOT EXISTS last_crawls (name TEXT PRIMARY KEY, doc TEXT);
"""


class GlueError(SteplineError):
    """A Glue API error; ``code`` is Glue's exception name (EntityNotFoundException, ...)."""

    code = "InvalidInputException"


def entity_not_found(message: str) -> GlueError:
    return GlueError(message, code="EntityNotFoundException")


@dataclass
class _Crawl:
    state: str = "READY"  # READY | RUNNING | STOPPING
    started: float | None = None
    last: dict[str, Any] | None = None  # LastCrawlInfo
    tables: list[str] = field(default_factory=list)  # what the last crawl cataloged


Connect = Callable[[], Any]  # -> a warehouse connection (``sql.backends`` Connection)


class Glue:
    """Crawlers and job runs of one data directory."""

    def __init__(self, config: Config, connect: Connect | None = None, *, dialect: str = "duckdb") -> None:
        self.config = config
        self.connect = connect  # the warehouse the jobs load into and the crawls expose tables in
        self.dialect = dialect
        self.created = time.time()
        self._lock = threading.Lock()
        self._crawls: dict[str, _Crawl] = {name: _Crawl() for name in config.crawlers}
        self._runs: dict[str, dict[str, Any]] = {}  # live job runs by id
        self._watchers: dict[str, list[Callable[[dict[str, Any]], None]]] = {}
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self._path = Path(config.data_dir) / "glue.sqlite"
        with self._db() as db:
            db.executescript(_SCHEMA)
            for (name, doc) in db.execute("SELECT name, doc FROM last_crawls").fetchall():
                if name in self._crawls:
                    self._crawls[name].last = json.loads(doc)
            for (run_id, doc) in db.execute("SELECT id, doc FROM job_runs").fetchall():
                run = json.loads(doc)
                if run["JobRunState"] not in TERMINAL_RUN_STATES:
                    now = time.time()
                    run.update(JobRunState="FAILED", ErrorMessage=INTERRUPTED, CompletedOn=now, LastModifiedOn=now)
                    db.execute("UPDATE job_runs SET doc = ? WHERE id = ?", (json.dumps(run), run_id))

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self._path, timeout=30)
        try:
            with db:  # one transaction
                yield db
        finally:
            db.close()

    # -- crawlers --------------------------------------------------------------------------------
    def _crawler(self, name: Any, *, entry: bool = False) -> CrawlerConfig:
        crawler = self.config.crawlers.get(name) if isinstance(name, str) else None
        if crawler is None:  # AWS's words differ: StartCrawler says "Crawler", the reads "Crawler entry"
            raise entity_not_found(f"Crawler {'entry ' if entry else ''}with name {name} does not exist")
        return crawler

    def start_crawler(self, name: Any) -> None:
        crawler = self._crawler(name)
        with self._lock:
            crawl = self._crawls[crawler.name]
            if crawl.state != "READY":
                raise GlueError(f"Crawler with name {crawler.name} has already started",
                                code="CrawlerRunningException")
            crawl.state, crawl.started = "RUNNING", time.time()
        threading.Thread(target=self._crawl, args=(crawler,), name=f"glue-crawler-{crawler.name}",
                         daemon=True).start()

    def _crawl(self, crawler: CrawlerConfig) -> None:
        crawl_state = self._crawls[crawler.name]
        started = crawl_state.started or time.time()
        status, error, tables = "SUCCEEDED", None, []
        try:
            tables = [f"{r.database}.{r.table}" for r in run_crawler(crawler, self.config.data_dir)]
            with self._lock:
                crawl_state.state = "STOPPING"
            self._expose(crawler.database)
        except SteplineError as e:
            status, error = "FAILED", e.message
        except Exception as e:  # noqa: BLE001 - any failure is the crawl's outcome, never a traceback
            status, error = "FAILED", f"Internal Service Exception: {type(e).__name__}: {e}"
        last: dict[str, Any] = {"Status": status, "LogGroup": CRAWLER_LOG_GROUP, "LogStream": crawler.name,
                                "MessagePrefix": str(uuid.uuid4()), "StartTime": started}
        if error is not None:
            last["ErrorMessage"] = error
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO last_crawls (name, doc) VALUES (?, ?)", (crawler.name, json.dumps(last)))
        with self._lock:
            crawl_state.state, crawl_state.last, crawl_state.tables = "READY", last, tables

    def _expose(self, database: str) -> None:
        """Make the crawled database queryable in the warehouse, as Athena sees a crawled table."""
        if self.connect is None or self.dialect != "duckdb":
            return
        from stepline.lake.catalog import Catalog
        from stepline.lake.views import expose_catalog

        conn = self.connect()
        try:
            expose_catalog(conn, Catalog(self.config.data_dir), database)
        finally:
            conn.close()

    def get_crawler(self, name: Any) -> dict[str, Any]:
        crawler = self._crawler(name, entry=True)
        with self._lock:
            crawl = replace(self._crawls[crawler.name])
        out: dict[str, Any] = {
            "Name": crawler.name,
            "Role": f"arn:aws:iam::{self.config.server.account_id}:role/service-role/stepline-glue",
            "Targets": {"S3Targets": [{"Path": p, "Exclusions": []} for p in crawler.s3_targets],
                        "JdbcTargets": [], "MongoDBTargets": [], "DynamoDBTargets": [], "CatalogTargets": [],
                        "DeltaTargets": [], "IcebergTargets": [], "HudiTargets": []},
            "DatabaseName": crawler.database,
            "Classifiers": [],
            "RecrawlPolicy": {"RecrawlBehavior": "CRAWL_EVERYTHING"},
            "SchemaChangePolicy": {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "DEPRECATE_IN_DATABASE"},
            "LineageConfiguration": {"CrawlerLineageSettings": "DISABLE"},
            "State": crawl.state,
            "TablePrefix": crawler.table_prefix,
            "CrawlElapsedTime": int((time.time() - (crawl.started or 0)) * 1000) if crawl.state != "READY" else 0,
            "CreationTime": self.created,
            "LastUpdated": self.created,
            "Version": 1,
        }
        if crawler.description:
            out["Description"] = crawler.description
        if crawl.last is not None:
            out["LastCrawl"] = dict(crawl.last)
        return out

    def crawler_names(self) -> list[str]:
        return sorted(self.config.crawlers)

    # -- jobs ------------------------------------------------------------------------------------
    def _job(self, name: Any) -> JobConfig:
        job = self.config.jobs.get(name) if isinstance(name, str) else None
        if job is None:
            raise entity_not_found("Failed to start job run due to missing metadata")
        return job

    def start_job_run(self, job_name: Any, arguments: Any = None, *, timeout: Any = None,
                      run_id: str | None = None) -> str:
        """Start a run; with ``run_id`` (a workflow task's own id for its run) a run already
        started under that id is returned instead of starting a second one."""
        job = self._job(job_name)
        if run_id is not None and self._known_run(job.name, run_id):
            return run_id
        args = _arguments(arguments)
        spec = load_spec(job, args)  # a bad argument fails the call, not the run
        if timeout is not None and (not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 1):
            raise GlueError("Timeout must be a positive number of minutes", code="InvalidInputException")
        now = time.time()
        run_id = run_id or "jr_" + uuid.uuid4().hex + uuid.uuid4().hex
        run: dict[str, Any] = {
            "Id": run_id, "Attempt": 0, "JobName": job.name, "JobMode": "SCRIPT", "StartedOn": now,
            "LastModifiedOn": now, "JobRunState": "STARTING", "Arguments": args, "PredecessorRuns": [],
            "AllocatedCapacity": 0, "ExecutionTime": 0, "Timeout": timeout or job.timeout, "MaxCapacity": 0.0625,
            "LogGroupName": LOG_GROUP, "GlueVersion": GLUE_VERSION, "ExecutionClass": "STANDARD",
        }
        with self._lock:
            going = sum(1 for r in self._runs.values() if r["JobName"] == job.name)
            if going >= job.max_concurrent_runs:
                raise GlueError(f"Concurrent runs exceeded for {job.name}", code="ConcurrentRunsExceededException")
            self._runs[run_id] = run
            self._save(run)
        threading.Thread(target=self._run_job, args=(run_id, spec), name=f"glue-job-{job.name}",
                         daemon=True).start()
        return run_id

    def _known_run(self, job_name: str, run_id: str) -> bool:
        with self._lock:
            if run_id in self._runs:
                return True
        with self._db() as db:
            return db.execute("SELECT 1 FROM job_runs WHERE id = ? AND job_name = ?",
                              (run_id, job_name)).fetchone() is not None

    def _save(self, run: dict[str, Any]) -> None:
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO job_runs (id, job_name, started, doc) VALUES (?, ?, ?, ?)",
                       (run["Id"], run["JobName"], run["StartedOn"], json.dumps(run)))

    def _update(self, run_id: str, **changes: Any) -> dict[str, Any]:
        with self._lock:
            run = self._runs[run_id]
            run.update(changes, LastModifiedOn=time.time())
            snapshot = json.loads(json.dumps(run))
            self._save(run)
        return snapshot

    def _run_job(self, run_id: str, spec: Any) -> None:
        from stepline.lake.loads import run_load

        self._update(run_id, JobRunState="RUNNING")
        error = None
        try:
            if self.connect is None:
                raise GlueError("no warehouse is configured for Glue jobs")
            if self.dialect != "duckdb":
                raise GlueError(f"declarative loads run on a duckdb warehouse, not on {self.dialect}")
            conn = self.connect()
            try:
                run_load(conn, spec, data_dir=self.config.data_dir)
            finally:
                conn.close()
        except SteplineError as e:
            error = e.message
        except Exception as e:  # noqa: BLE001 - a failed load is the run's ErrorMessage, never a traceback
            error = f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else e}"
        with self._lock:
            started = self._runs[run_id]["StartedOn"]
        now = time.time()
        changes: dict[str, Any] = {"JobRunState": "FAILED" if error else "SUCCEEDED", "CompletedOn": now,
                                   "ExecutionTime": int(now - started)}
        if error:
            changes["ErrorMessage"] = error
        final = self._update(run_id, **changes)
        with self._lock:
            self._runs.pop(run_id, None)
            watchers = self._watchers.pop(run_id, [])
        for watcher in watchers:
            watcher(final)

    def get_job_run(self, job_name: Any, run_id: Any) -> dict[str, Any]:
        with self._lock:
            live = self._runs.get(run_id) if isinstance(run_id, str) else None
            if live is not None and live["JobName"] == job_name:
                return json.loads(json.dumps(live))
        with self._db() as db:
            row = db.execute("SELECT doc FROM job_runs WHERE id = ? AND job_name = ?", (run_id, job_name)).fetchone()
        if row is None:
            if job_name not in self.config.jobs:
                raise entity_not_found(f"Job with name {job_name} not found")
            raise entity_not_found(f"Job Run Id {run_id} not found")
        return json.loads(row[0])

    def get_job_runs(self, job_name: Any) -> list[dict[str, Any]]:
        if job_name not in self.config.jobs:
            raise entity_not_found(f"Job with name {job_name} not found")
        with self._db() as db:
            rows = db.execute("SELECT doc FROM job_runs WHERE job_name = ? ORDER BY started DESC",
                              (job_name,)).fetchall()
        return [json.loads(r[0]) for r in rows]

    def on_job_run_finished(self, run_id: str, callback: Callable[[dict[str, Any]], None]) -> bool:
        """Call ``callback(JobRun)`` when the run ends; False if it is not running here."""
        with self._lock:
            if run_id not in self._runs:
                return False
            self._watchers.setdefault(run_id, []).append(callback)
            return True


def run_crawler(crawler: CrawlerConfig, data_dir: Path) -> list[Any]:
    """Crawl each S3 target into ``<table_prefix><folder name>`` of the crawler's database, as
    Glue names a table after its folder; returns the ``CrawlReport`` of each."""
    from stepline.lake.crawler import crawl
    from stepline.lake.paths import lake_path

    reports = []
    for target in crawler.s3_targets:
        folder = re.sub(r"[^a-z0-9_]", "_", lake_path(target, data_dir).name.lower())
        reports.append(crawl(target, crawler.database, data_dir=data_dir, table=f"{crawler.table_prefix}{folder}"))
    return reports


def _arguments(arguments: Any) -> dict[str, str]:
    if arguments is None:
        return {}
    if not isinstance(arguments, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                  for k, v in arguments.items()):
        raise GlueError("Arguments must map argument names to string values", code="InvalidInputException")
    return dict(arguments)


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


def load_spec(job: JobConfig, arguments: dict[str, str]) -> Any:
    """The job's load, with the run's ``--source``/``--target``/``--columns``/``--keys``/``--distinct``
    arguments applied (other arguments are recorded on the run, as Glue passes them to the script)."""
    from stepline.lake.loads import LoadSpec

    distinct = arguments.get("--distinct", str(job.distinct)).lower()
    if distinct not in ("true", "false"):
        raise GlueError(f"--distinct must be true or false, not '{arguments['--distinct']}'",
                        code="InvalidInputException")
    return LoadSpec(
        source=arguments.get("--source", job.source),
        target=arguments.get("--target", job.target),
        columns=_names(arguments["--columns"]) if "--columns" in arguments else tuple(job.columns),
        distinct=distinct == "true",
        keys=_names(arguments["--keys"]) if "--keys" in arguments else tuple(job.keys),
        create_target=job.create_target,
    )
