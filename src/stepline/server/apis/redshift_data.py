"""``redshift-data`` (AWS JSON 1.1, ``X-Amz-Target: RedshiftData.<Operation>``): the statement
service's Data API front (``sql.dataapi.DataApi``) already speaks the AWS shapes."""

from __future__ import annotations

import logging
import re
from typing import Any

from stepline.errors import SteplineError
from stepline.server import validation
from stepline.sql.dataapi import DataApi

log = logging.getLogger("stepline.server")
# Tutorial code ships placeholders such as ClusterIdentifier='<redshift-cluster-id>' (seed 000,
# sections 1.2 and 1.3). Locally there is one warehouse to route to, so a placeholder target is
# routed to it instead of failing the cluster-name pattern; any other value is checked as AWS does.
_PLACEHOLDER = re.compile(r"<[^<>]*>|\[[^\[\]]*\]")
_TARGETS = ("ClusterIdentifier", "WorkgroupName")

TARGET = "RedshiftData"
MODEL = "redshift-data"  # the botocore model requests are validated against
JSON_VERSION = "1.1"


def _handled(operation: str) -> bool:
    """Whether ``DataApi`` has a handler for the operation (``_get_statement_result_v2`` for GetStatementResultV2)."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower().replace("v_2", "v2")
    return callable(getattr(DataApi, f"_{snake}", None))


OPERATIONS = tuple(op for op in validation.operations(MODEL) if _handled(op))


class DataApiUnavailable(SteplineError):
    code = "InternalServerException"


class RedshiftDataEdge:
    def __init__(self, dataapi: Any, default_target: str = "local") -> None:
        self.dataapi = dataapi
        self.default_target = default_target

    def call(self, operation: str, request: dict[str, Any], principal: str | None = None) -> dict[str, Any]:
        if self.dataapi is None:
            raise DataApiUnavailable("the statement service is not available in this server")
        return self.dataapi.call(operation, request, principal)

    def prepare(self, request: dict[str, Any]) -> dict[str, Any]:
        """The request as validated and served: placeholder targets routed to the local warehouse."""
        return self.route_placeholders(request)

    def route_placeholders(self, request: dict[str, Any]) -> dict[str, Any]:
        found = [k for k in _TARGETS if isinstance(request.get(k), str) and _PLACEHOLDER.fullmatch(request[k])]
        if not found:
            return request
        for key in found:
            log.warning("%s %r is a placeholder; routed to the local warehouse %r", key, request[key],
                        self.default_target)
        routed = {k: v for k, v in request.items() if k not in found}
        routed["ClusterIdentifier"] = self.default_target
        return routed
