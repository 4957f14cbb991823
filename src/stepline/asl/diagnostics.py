"""What validation reports: one ``Diagnostic`` per problem, and the shape AWS gives them back in.

Codes and message wording follow ValidateStateMachineDefinition
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_ValidateStateMachineDefinition.html).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

ERROR = "ERROR"
WARNING = "WARNING"
SCHEMA = "SCHEMA_VALIDATION_FAILED"
MISSING_TARGET = "MISSING_TRANSITION_TARGET"
MISSING_END = "MISSING_END_STATE"
DUPLICATE = "DUPLICATE_STATE_NAME"
INVALID_NAME = "INVALID_STATE_NAME"
INVALID_RESOURCE = "INVALID_RESOURCE"
TOO_DEEP = "TOO_DEEPLY_NESTED"
INVALID_JSONATA = "INVALID_JSONATA_EXPRESSION"
UNSUPPORTED_JSONATA = "UNSUPPORTED_JSONATA_EXPRESSION"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem: ``Diagnostic('ERROR', 'MISSING_TRANSITION_TARGET', "Missing 'Next' target: B", '/States/A/Next')``."""

    severity: str  # "ERROR" | "WARNING"
    code: str
    message: str
    location: str = ""

    def to_aws(self) -> dict[str, str]:
        """An item of ValidateStateMachineDefinition's ``diagnostics`` (no location when unknown)."""
        out = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.location:
            out["location"] = self.location
        return out



def aws_diagnostics(found: Sequence[Diagnostic], *, severity: str = "ERROR", max_results: int = 0) -> dict[str, Any]:
    """ValidateStateMachineDefinition's output for ``found`` (every diagnostic, ERRORs first).

    ``severity`` ERROR (the API default) returns errors only, WARNING both; ``max_results`` 0 means 100.
    The result is FAIL when any ERROR exists, whether or not it is returned.
    """
    failed = any(d.severity == ERROR for d in found)
    if severity != WARNING:
        found = [d for d in found if d.severity == ERROR]
    limit = max_results if isinstance(max_results, int) and 0 < max_results <= 100 else 100
    return {
        "result": "FAIL" if failed else "OK",
        "diagnostics": [d.to_aws() for d in found[:limit]],
        "truncated": len(found) > limit,
    }
