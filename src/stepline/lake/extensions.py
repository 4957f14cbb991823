"""The lake's statement handlers, by the extension names ``stepline.sql.translate`` gives."""

from __future__ import annotations

from typing import Any

from stepline.lake.copy import copy, load_error_rows
from stepline.lake.ctas import athena_ctas
from stepline.lake.procedures import call, create_procedure, drop_procedure
from stepline.lake.spectrum import (
    create_external_schema,
    create_external_table,
    observe_query,
    prepare_external,
    s3_query_summary_rows,
)
from stepline.lake.unload import unload
from stepline.sql.extensions import Extension, SystemSources


def lake_extensions(config: Any = None) -> dict[str, Extension]:
    """Handlers to inject into the statement service: ``StatementService(..., extensions=...)``."""
    return {
        "copy": copy,
        "unload": unload,
        "create_external_schema": create_external_schema,
        "create_external_table": create_external_table,
        "athena_ctas": athena_ctas,
        "create_procedure": create_procedure,
        "drop_procedure": drop_procedure,
        "call": call,
    }


def lake_system_sources() -> SystemSources:
    """What the lake keeps for the warehouse's system views, and its Spectrum scan accounting:
    ``StatementService(..., system_sources=...)``."""
    return SystemSources(
        tables={"stl_load_errors": load_error_rows, "svl_s3query_summary": s3_query_summary_rows},
        observe_query=observe_query,
        prepare_query=prepare_external,
    )
