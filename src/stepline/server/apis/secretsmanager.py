"""``secretsmanager`` (AWS JSON 1.1, ``X-Amz-Target: secretsmanager.<Operation>``):
GetSecretValue by name or ARN (full, with its 6-character suffix, or partial).
https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from stepline.errors import Invalid
from stepline.parameters import Parameters
from stepline.server.awsjson import UnknownOperationException

TARGET = "secretsmanager"
OPERATIONS = ("GetSecretValue",)
MODEL = "secretsmanager"  # the botocore model requests are validated against
JSON_VERSION = "1.1"
_LOADED = dt.datetime.now(dt.UTC)


class InvalidParameter(Invalid):
    code = "InvalidParameterException"


class SecretsManagerEdge:
    def __init__(self, parameters: Parameters) -> None:
        self.parameters = parameters

    def call(self, operation: str, request: dict[str, Any], principal: str | None = None) -> dict[str, Any]:
        if operation != "GetSecretValue":
            raise UnknownOperationException(f"secretsmanager.{operation} is not supported by stepline")
        secret_id = request.get("SecretId")
        if not isinstance(secret_id, str) or not secret_id:
            raise InvalidParameter("You must provide a value for the SecretId parameter.")
        stage = request.get("VersionStage", "AWSCURRENT")
        s = self.parameters.get_secret_value(secret_id)
        if stage != "AWSCURRENT" or request.get("VersionId") not in (None, s.version_id):
            raise InvalidParameter("Secrets Manager can't find the specified secret value for staging label: "
                                   f"{stage}") if stage != "AWSCURRENT" else InvalidParameter(
                "Secrets Manager can't find the specified secret value for VersionId: "
                f"{request.get('VersionId')}")
        return {"ARN": s.arn, "Name": s.name, "VersionId": s.version_id, "SecretString": s.value,
                "VersionStages": ["AWSCURRENT"], "CreatedDate": _LOADED}
