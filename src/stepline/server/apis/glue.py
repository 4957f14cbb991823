"""``glue`` (AWS JSON 1.1, ``X-Amz-Target: AWSGlue.<Operation>``): the configured crawlers and
jobs (StartCrawler, GetCrawler, GetCrawlers, StartJobRun, GetJobRun, GetJobRuns, GetJob, GetJobs)
and the lake's catalog read side (GetDatabases, GetDatabase, GetTables, GetTable,
GetTableVersions, GetPartitions). The same crawlers and runs the workflow tasks see.
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api.html
"""

from __future__ import annotations

from typing import Any

from stepline.errors import NotFound
from stepline.lake.catalog import Catalog, Column, TableDef
from stepline.lake.glue import Glue, GlueError, entity_not_found
from stepline.server.awsjson import UnknownOperationException

TARGET = "AWSGlue"
OPERATIONS = ("StartCrawler", "GetCrawler", "GetCrawlers", "StartJobRun", "GetJobRun", "GetJobRuns", "GetJob",
              "GetJobs", "GetDatabases", "GetDatabase", "GetTables", "GetTable", "GetTableVersions",
              "GetPartitions")
MODEL = "glue"  # the botocore model requests are validated against
JSON_VERSION = "1.1"

_FORMATS = {
    "csv": ("org.apache.hadoop.mapred.TextInputFormat",
            "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"),
    "json": ("org.apache.hadoop.mapred.TextInputFormat",
             "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
             "org.openx.data.jsonserde.JsonSerDe"),
    "parquet": ("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"),
}


def _required(request: dict[str, Any], member: str) -> str:
    value = request.get(member)
    if not isinstance(value, str) or not value:
        raise GlueError(f"1 validation error detected: Value null at '{member[:1].lower() + member[1:]}' "
                        "failed to satisfy constraint: Member must not be null", code="InvalidInputException")
    return value


def _columns(cols: tuple[Column, ...]) -> list[dict[str, str]]:
    return [{"Name": c.name, "Type": c.type} for c in cols]


def table_shape(t: TableDef, catalog_id: str) -> dict[str, Any]:
    inp, out, serde = _FORMATS.get(t.classification, _FORMATS["csv"])
    serde_params = {"field.delim": t.parameters["delimiter"]} if "delimiter" in t.parameters else {}
    return {
        "Name": t.name, "DatabaseName": t.database, "Owner": "owner", "Retention": 0,
        "StorageDescriptor": {
            "Columns": _columns(t.columns), "Location": t.location, "InputFormat": inp, "OutputFormat": out,
            "Compressed": t.parameters.get("compressionType", "none") != "none", "NumberOfBuckets": -1,
            "SerdeInfo": {"SerializationLibrary": serde, "Parameters": serde_params},
            "BucketColumns": [], "SortColumns": [], "Parameters": dict(t.parameters),
            "StoredAsSubDirectories": False,
        },
        "PartitionKeys": _columns(t.partition_keys), "TableType": t.table_type,
        "Parameters": {k: v for k, v in t.parameters.items() if not k.startswith("stepline.")},
        "CreatedBy": "stepline", "IsRegisteredWithLakeFormation": False, "CatalogId": catalog_id,
        "VersionId": str(t.version),
    }


class GlueEdge:
    def __init__(self, glue: Glue) -> None:
        self.glue = glue
        self.catalog = Catalog(glue.config.data_dir)
        self.catalog_id = glue.config.server.account_id

    @classmethod
    def from_services(cls, services: Any) -> GlueEdge:
        """The Glue of the served runtime (so that API calls and workflow tasks see the same runs)."""
        tasks = getattr(getattr(getattr(services.runtime, "service", None), "integrations", None), "glue", None)
        return cls(tasks.glue() if tasks is not None else Glue(services.config))

    def call(self, operation: str, request: dict[str, Any], principal: str | None = None) -> dict[str, Any]:
        # the table, not getattr alone: "AWSGlue.job" must not reach the helper ``_job``
        handler = getattr(self, f"_{operation}") if operation in OPERATIONS else None
        if handler is None:
            raise UnknownOperationException(f"AWSGlue.{operation} is not supported by stepline")
        try:
            return handler(request)
        except NotFound as e:  # the catalog's own NotFound is Glue's EntityNotFoundException
            raise entity_not_found(e.message) from None

    # crawlers and jobs -----------------------------------------------------------------------
    def _StartCrawler(self, r: dict[str, Any]) -> dict[str, Any]:  # noqa: N802 - AWS operation names
        self.glue.start_crawler(_required(r, "Name"))
        return {}

    def _GetCrawler(self, r: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"Crawler": self.glue.get_crawler(_required(r, "Name"))}

    def _GetCrawlers(self, r: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"Crawlers": [self.glue.get_crawler(n) for n in self.glue.crawler_names()]}

    def _StartJobRun(self, r: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"JobRunId": self.glue.start_job_run(_required(r, "JobName"), r.get("Arguments"),
                                                    timeout=r.get("Timeout"))}

    def _GetJobRun(self, r: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"JobRun": self.glue.get_job_run(_required(r, "JobName"), _required(r, "RunId"))}

    def _GetJobRuns(self, r: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"JobRuns": self.glue.get_job_runs(_required(r, "JobName"))}

    def _job(self, name: str) -> dict[str, Any]:
        job = self.glue.config.jobs.get(name)
        if job is None:
            raise entity_not_found(f"Job with name: {name} not found")
        args = {"--source": job.source, "--target": job.target, "--distinct": str(job.distinct).lower()}
        if job.columns:
            args["--columns"] = ",".join(job.columns)
        if job.keys:
            args["--keys"] = ",".join(job.keys)
        return {"Name": job.name, "Description": job.description, "JobMode": "SCRIPT",
                "Role": f"arn:aws:iam::{self.catalog_id}:role/service-role/stepline-glue",
                "ExecutionProperty": {"MaxConcurrentRuns": job.max_concurrent_runs},
                "Command": {"Name": "glueetl", "ScriptLocation": f"stepline://jobs/{job.name}",
                            "PythonVersion": "3"},
                "DefaultArguments": args, "MaxRetries": 0, "Timeout": job.timeout, "MaxCapacity": 0.0625,
                "GlueVersion": "4.0", "ExecutionClass": "STANDARD"}

    def _GetJob(self, r: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"Job": self._job(_required(r, "JobName"))}

    def _GetJobs(self, r: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"Jobs": [self._job(n) for n in sorted(self.glue.config.jobs)]}

    # the catalog ------------------------------------------------------------------------------
    def _database(self, name: str) -> dict[str, Any]:
        return {"Name": name, "Parameters": {}, "CatalogId": self.catalog_id,
                "CreateTableDefaultPermissions": []}

    def _GetDatabases(self, r: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"DatabaseList": [self._database(n) for n in self.catalog.list_databases()]}

    def _GetDatabase(self, r: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        name = _required(r, "Name")
        if name.lower() not in self.catalog.list_databases():
            raise entity_not_found(f"Database {name} not found.")
        return {"Database": self._database(name.lower())}

    def _GetTables(self, r: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        database = _required(r, "DatabaseName").lower()
        if database not in self.catalog.list_databases():
            raise entity_not_found(f"Database {database} not found.")
        return {"TableList": [table_shape(t, self.catalog_id) for t in self.catalog.list_tables(database)]}

    def _table(self, r: dict[str, Any]) -> TableDef:
        database, name = _required(r, "DatabaseName").lower(), r.get("Name") or r.get("TableName")
        if not isinstance(name, str) or not name:
            _required(r, "Name")
        table = self.catalog.find_table(database, str(name).lower())
        if table is None:
            if database not in self.catalog.list_databases():
                raise entity_not_found(f"Database {database} not found.")
            raise entity_not_found(f"Table {name} not found.")
        return table

    def _GetTable(self, r: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"Table": table_shape(self._table(r), self.catalog_id)}

    def _GetTableVersions(self, r: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        t = self._table(r)
        versions = self.catalog.table_versions(t.database, t.name)
        return {"TableVersions": [{"Table": table_shape(v, self.catalog_id), "VersionId": str(v.version)}
                                  for v in reversed(versions)]}

    def _GetPartitions(self, r: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        t = self._table(r)
        shape = table_shape(t, self.catalog_id)["StorageDescriptor"]
        return {"Partitions": [{"Values": list(p.values), "DatabaseName": t.database, "TableName": t.name,
                                "CatalogId": self.catalog_id,
                                "StorageDescriptor": {**shape, "Location": p.location}}
                               for p in self.catalog.list_partitions(t.database, t.name)]}
