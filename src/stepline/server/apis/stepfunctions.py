"""``stepfunctions`` (AWS JSON 1.0, ``X-Amz-Target: AWSStepFunctions.<Operation>``): the runtime's
Step Functions API already speaks the AWS shapes."""

from __future__ import annotations

from typing import Any

from stepline.runtime.sfnapi import StepFunctionsApi

TARGET = "AWSStepFunctions"
OPERATIONS = tuple(sorted(name[3:] for name in dir(StepFunctionsApi) if name.startswith("op_")))
MODEL = "stepfunctions"  # the botocore model requests are validated against
JSON_VERSION = "1.0"


class StepFunctionsEdge:
    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime

    def call(self, operation: str, request: dict[str, Any], principal: str | None = None) -> dict[str, Any]:
        return self.runtime.api.call(operation, request, principal)
