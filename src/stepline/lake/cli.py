"""Lake commands for the ``stepline`` CLI: ``crawl``, ``catalog``, ``load``, ``datagen``.
``crawl --crawler NAME`` and ``load --job NAME`` run what ``[crawlers.NAME]`` and ``[jobs.NAME]``
of ``stepline.toml`` define, the same crawlers and jobs the Glue task resources start.

``register(subparsers)`` adds them; each handler returns an exit code and raises
``SteplineError`` subclasses for the CLI's one error mapping.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from stepline.config import Config, load_config


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="stepline.toml (default: ./stepline.toml if present)")
    p.add_argument("--data-dir", metavar="DIR", help="data directory (default: .stepline next to the config)")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("crawl", help="infer a table from files under an s3:// prefix and catalog it")
    p.add_argument("location", nargs="?", help="s3://bucket/prefix/ (stored under <data-dir>/lake/bucket/prefix/)")
    p.add_argument("--database", help="catalog database (created if missing)")
    p.add_argument("--table", help="table name (default: the prefix's last folder)")
    p.add_argument("--crawler", metavar="NAME", help="run the crawler [crawlers.NAME] of stepline.toml instead")
    _common(p)
    p.set_defaults(handler=_crawl)

    p = sub.add_parser("catalog", help="list catalog databases, tables, versions and partitions")
    p.add_argument("what", nargs="?", choices=["databases", "tables", "table", "versions", "partitions"],
                   default="databases")
    p.add_argument("name", nargs="?", help="database (tables) or database.table")
    _common(p)
    p.set_defaults(handler=_catalog)

    p = sub.add_parser("load", help="load a catalog or warehouse table into a warehouse table (merge on keys)")
    p.add_argument("--job", metavar="NAME", help="the load of [jobs.NAME] in stepline.toml (the flags below "
                                                 "override its settings)")
    p.add_argument("--source", help="catalog db.table or warehouse schema.table")
    p.add_argument("--target", help="warehouse schema.table")
    p.add_argument("--columns", help="comma-separated columns to select (default: all)")
    p.add_argument("--keys", help="comma-separated matching keys (default: append)")
    p.add_argument("--keep-duplicates", action="store_true", help="do not drop duplicate rows")
    _common(p)
    p.set_defaults(handler=_load)

    p = sub.add_parser("datagen", help="generate the workshop data sets into the lake")
    p.add_argument("--bucket", default="stepline-workshop", help="bucket (default: stepline-workshop)")
    p.add_argument("--rows", type=int, default=1_000_000, help="sales rows (default: 1000000)")
    p.add_argument("--orders", type=int, default=100_000, help="orders rows (default: 100000)")
    p.add_argument("--seed", type=int, default=42)
    _common(p)
    p.set_defaults(handler=_datagen)


def _config(args: argparse.Namespace) -> Config:
    return load_config(args.config, data_dir=args.data_dir)


def _emit(args: argparse.Namespace, data: Any, lines: list[str]) -> int:
    print(json.dumps(data, indent=2, default=str) if args.json else "\n".join(lines))
    return 0


def _crawl(args: argparse.Namespace) -> int:
    from stepline.lake.crawler import crawl
    from stepline.lake.glue import run_crawler
    from stepline.lake.paths import LakeError
    from stepline.lake.views import expose_in_warehouse

    config = _config(args)
    if args.crawler:
        if args.location or args.database or args.table:
            raise LakeError("crawl --crawler takes its targets and database from stepline.toml: "
                            "give no location, --database or --table")
        crawler = config.crawlers.get(args.crawler)
        if crawler is None:
            raise LakeError(f"no crawler '{args.crawler}' in [crawlers] of the configuration "
                            f"(known: {', '.join(sorted(config.crawlers)) or 'none'})")
        reports = run_crawler(crawler, config.data_dir)
    elif not args.location or not args.database:
        raise LakeError("crawl needs an s3:// location and --database (or --crawler NAME)")
    else:
        reports = [crawl(args.location, args.database, data_dir=config.data_dir, table=args.table)]
    lines = []
    for r in reports:
        lines += [f"{r.database}.{r.table} v{r.version}: {r.classification}, {r.columns} columns, "
                  f"{r.record_count} records in {r.files} files ({r.size_bytes} bytes), "
                  f"partitions {'/'.join(r.partition_keys) or 'none'} (+{r.partitions_added})"]
        lines += [f"  schema change: {c}" for c in r.changes]
    views = expose_in_warehouse(config, reports[0].database)
    if views is not None:
        lines += [f'  queryable as "{r.database}"."{r.table}"' for r in reports]
        lines.append(f"  ({views} catalog view(s) of {reports[0].database} in the warehouse)")
    data = [asdict(r) for r in reports] if args.crawler else asdict(reports[0])
    return _emit(args, data, lines)


def _split(name: str | None, what: str) -> tuple[str, str]:
    from stepline.lake.paths import LakeError

    if not name or "." not in name:
        raise LakeError(f"catalog {what} needs database.table")
    db, _, table = name.partition(".")
    return db, table


def _catalog(args: argparse.Namespace) -> int:
    from stepline.lake.catalog import Catalog
    from stepline.lake.paths import LakeError

    cat = Catalog(_config(args).data_dir)
    if args.what == "databases":
        dbs = cat.list_databases()
        return _emit(args, dbs, dbs or ["(no databases)"])
    if args.what == "tables":
        if not args.name:
            raise LakeError("catalog tables needs a database")
        tables = cat.list_tables(args.name)
        return _emit(args, [asdict(t) for t in tables], [
            f"{t.name}\tv{t.version}\t{t.classification}\t{t.parameters.get('recordCount', '?')} records\t{t.location}"
            for t in tables] or ["(no tables)"])
    db, table = _split(args.name, args.what)
    if args.what == "table":
        t = cat.get_table(db, table)
        lines = [f"{t.database}.{t.name} (version {t.version}) at {t.location}"]
        lines += [f"  {c.name}\t{c.type}" for c in t.columns]
        lines += [f"  {c.name}\t{c.type}\t(partition)" for c in t.partition_keys]
        lines += [f"  {k} = {v}" for k, v in sorted(t.parameters.items())]
        return _emit(args, asdict(t), lines)
    if args.what == "versions":
        vs = cat.table_versions(db, table)
        return _emit(args, [asdict(v) for v in vs],
                     [f"v{v.version}: {', '.join(c.name + ' ' + c.type for c in v.columns)}" for v in vs])
    parts = cat.list_partitions(db, table)
    return _emit(args, [asdict(p) for p in parts], [f"{'/'.join(p.values)}\t{p.location}" for p in parts])


def _load(args: argparse.Namespace) -> int:
    import duckdb

    from stepline.lake.loads import run_load

    config = _config(args)
    path = config.warehouse.path or str(Path(config.data_dir) / "warehouse.duckdb")
    spec = _load_spec(args, config)
    conn = duckdb.connect(path)
    try:
        r = run_load(conn, spec, data_dir=config.data_dir)
    finally:
        conn.close()
    return _emit(args, asdict(r), [f"{spec.target}: {r.source_rows} source rows, {r.inserted} inserted, "
                                   f"{r.updated} updated{' (table created)' if r.created else ''}"])


def _load_spec(args: argparse.Namespace, config: Config) -> Any:
    """The flags' load, or the configured job's with the given flags applied as a run's arguments."""
    from stepline.lake.glue import load_spec
    from stepline.lake.loads import LoadSpec
    from stepline.lake.paths import LakeError

    flags = {f"--{k}": v for k, v in (("source", args.source), ("target", args.target),
                                      ("columns", args.columns), ("keys", args.keys)) if v is not None}
    if args.keep_duplicates:
        flags["--distinct"] = "false"
    if args.job:
        job = config.jobs.get(args.job)
        if job is None:
            raise LakeError(f"no job '{args.job}' in [jobs] of the configuration "
                            f"(known: {', '.join(sorted(config.jobs)) or 'none'})")
        return load_spec(job, flags)
    if args.source is None or args.target is None:
        raise LakeError("load needs --source and --target (or --job NAME)")
    names = lambda text: tuple(n.strip() for n in (text or "").split(",") if n.strip())  # noqa: E731
    return LoadSpec(args.source, args.target, names(args.columns), not args.keep_duplicates, names(args.keys))


def _datagen(args: argparse.Namespace) -> int:
    from stepline.lake.datagen import generate_orders, generate_sales

    data_dir = _config(args).data_dir
    sales = generate_sales(f"s3://{args.bucket}/data/raw/sales_consolidate/", data_dir=data_dir, rows=args.rows,
                           seed=args.seed)
    others = generate_orders(f"s3://{args.bucket}/data/raw/", data_dir=data_dir, rows=args.orders)
    out = [sales, *others]
    return _emit(args, [asdict(g) for g in out], [f"{g.location}: {g.rows} rows, {g.files} files, {g.bytes} bytes"
                                                  for g in out])
