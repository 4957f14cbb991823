"""``ssm`` (AWS JSON 1.1, ``X-Amz-Target: AmazonSSM.<Operation>``): GetParameter and
GetParameters over the configured parameters.
https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from stepline.errors import Invalid
from stepline.parameters import Parameter, ParameterNotFound, Parameters
from stepline.server.awsjson import UnknownOperationException

TARGET = "AmazonSSM"
OPERATIONS = ("GetParameter", "GetParameters")
MODEL = "ssm"  # the botocore model requests are validated against
JSON_VERSION = "1.1"
_LOADED = dt.datetime.now(dt.UTC)


def _shape(p: Parameter) -> dict[str, Any]:
    return {"Name": p.name, "Type": p.type, "Value": p.value, "Version": p.version,
            "LastModifiedDate": _LOADED, "ARN": p.arn, "DataType": "text"}


class SsmEdge:
    def __init__(self, parameters: Parameters) -> None:
        self.parameters = parameters

    def call(self, operation: str, request: dict[str, Any], principal: str | None = None) -> dict[str, Any]:
        if operation == "GetParameter":
            name = request.get("Name")
            if not isinstance(name, str) or not name:
                raise Invalid("1 validation error detected: Value null at 'name' failed to satisfy constraint: "
                              "Member must not be null")
            p = self.parameters.get_parameter(name, bool(request.get("WithDecryption", False)))
            return {"Parameter": _shape(p)}
        if operation == "GetParameters":
            names = request.get("Names")
            if not isinstance(names, list) or not names:
                raise Invalid("1 validation error detected: Value null at 'names' failed to satisfy constraint: "
                              "Member must not be null")
            found, invalid = [], []
            for name in names:
                try:
                    found.append(_shape(self.parameters.get_parameter(str(name),
                                                                      bool(request.get("WithDecryption", False)))))
                except ParameterNotFound:
                    invalid.append(name)
            return {"Parameters": found, "InvalidParameters": invalid}
        raise UnknownOperationException(f"AmazonSSM.{operation} is not supported by stepline")
