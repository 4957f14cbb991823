"""Step Functions' JSONPath dialect: parse once, evaluate cheaply, and apply ResultPath.

AWS evaluates paths with Jayway JsonPath: a *definite* path (field names and single indexes only)
yields one value or fails; an *indefinite* one (``*``, ``..``, slices, unions, filters) yields a
list of matches, empty when nothing matches.
https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html
https://states-language.net/spec.html#path

The parts: ``jsonpath_parse`` (text to ``JsonPath``), ``jsonpath_eval`` (``JsonPath.find`` and
Jayway's error wording), ``jsonpath_filter`` (``[?(...)]`` expressions), ``result_path``
(``set_path``) and ``json_text`` (``dumps``, the JSON text AWS writes). This module gathers them.
"""

from __future__ import annotations

from typing import Any

from stepline.asl.json_text import dumps, java_double
from stepline.asl.jsonpath_eval import JsonPath, PathNotFound, Segment, normalized
from stepline.asl.jsonpath_parse import PathSyntaxError, check_path, compile_path
from stepline.asl.result_path import ResultPathMatchError, set_path

__all__ = [
    "JsonPath", "PathNotFound", "PathSyntaxError", "ResultPathMatchError", "Segment", "check_path", "compile_path",
    "dumps", "find", "java_double", "normalized", "set_path",
]


def find(path: str, doc: Any) -> Any:
    """Shorthand for ``compile_path(path).find(doc)``."""
    return compile_path(path).find(doc)
