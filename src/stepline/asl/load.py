"""Definition text (JSON, or YAML when it is not JSON) to a plain dict, and back.

Syntax problems become ``DefinitionError`` carrying ``INVALID_JSON_DESCRIPTION`` diagnostics, the
code ValidateStateMachineDefinition uses for them:
https://docs.aws.amazon.com/step-functions/latest/apireference/API_ValidateStateMachineDefinitionDiagnostic.html
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from stepline.asl.errors import DefinitionError

INVALID_JSON = "INVALID_JSON_DESCRIPTION"


def _diagnostic(code: str, message: str, location: str = "") -> Any:
    from stepline.asl.validate import Diagnostic  # validate imports this module

    return Diagnostic("ERROR", code, message, location)


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            # AWS's parser rejects duplicate fields rather than keeping the last one.
            raise _DuplicateKey(f"Duplicate field '{key}'")
        out[key] = value
    return out


def _no_constants(name: str) -> Any:
    raise ValueError(f"Unexpected token {name}: NaN and Infinity are not JSON")


def _looks_like_json(text: str) -> bool:
    head = text.lstrip()[:1]
    return head in ("{", "[", '"') or text.lstrip().startswith(("true", "false", "null"))


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except _DuplicateKey as e:
        raise DefinitionError([_diagnostic(INVALID_JSON, f"Invalid JSON: {e}")]) from None
    except json.JSONDecodeError as e:
        message = f"Invalid JSON: {e.msg} at line {e.lineno}, column {e.colno}"
        raise DefinitionError([_diagnostic(INVALID_JSON, message, f"line {e.lineno}")]) from None
    except (ValueError, RecursionError) as e:
        raise DefinitionError([_diagnostic(INVALID_JSON, f"Invalid JSON: {e}")]) from None


class _Loader(yaml.SafeLoader):
    """Safe YAML whose keys stay the text written and whose timestamps stay strings."""


def _mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict[str, Any]:
    loader.flatten_mapping(node)
    out: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, "a field name must be a plain string", key_node.start_mark
            )
        key = str(key_node.value)
        if key in out:
            raise yaml.constructor.ConstructorError(None, None, f"Duplicate field '{key}'", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
    return out


def _timestamp(loader: _Loader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _parse_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        location = f"line {mark.line + 1}" if mark is not None else ""
        raise DefinitionError([_diagnostic(INVALID_JSON, f"Invalid YAML: {problem}{where}", location)]) from None
    except (ValueError, RecursionError) as e:
        raise DefinitionError([_diagnostic(INVALID_JSON, f"Invalid YAML: {e}")]) from None


def parse_text(text: str) -> dict[str, Any]:
    """Parse definition text: JSON, else YAML. Raises ``DefinitionError`` on bad syntax.

    Example: ``parse_text('StartAt: A\\nStates: {A: {Type: Succeed}}')['StartAt'] == 'A'``.
    """
    if not isinstance(text, str) or not text.strip():  # AWS's words, with no location
        raise DefinitionError([_diagnostic("SCHEMA_VALIDATION_FAILED", NOT_AN_OBJECT)])
    text = text.removeprefix("\ufeff")  # a byte-order mark left by some editors
    if _looks_like_json(text):
        value = _parse_json(text)
    else:
        value = _parse_yaml(text)
        if isinstance(value, str | bool) or value is None:
            raise DefinitionError([_unrecognized_token(text)])  # plain words: not JSON, not a YAML document
    if not isinstance(value, dict):
        kind = "an array" if isinstance(value, list) else f"a {type(value).__name__}"
        message = f"The definition must be a JSON object, not {kind}"
        raise DefinitionError([_diagnostic("SCHEMA_VALIDATION_FAILED", message, "/")])
    return value


NOT_AN_OBJECT = "Definition must be a valid JSON object"
_TOKEN = re.compile(r"[^\s\[\]{}:,\"]+")


def _unrecognized_token(text: str) -> Any:
    """AWS's (Jackson's) diagnostic for text that starts with a bare word."""
    start = len(text) - len(text.lstrip())
    token = _TOKEN.match(text, start)
    word = token.group(0) if token else text[start:start + 1]
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + len(word) + 1
    shown = f'"{text}"' if len(text) <= 500 else f'"{text[:500]}"[truncated {len(text) - 500} chars]'
    source = f"[Source: (String){shown}; line: {line}, column: {column}]"
    message = (f"Unrecognized token '{word}': was expecting (JSON String, Number, Array, Object or token "
               f"'null', 'true' or 'false')\n at {source}")
    return _diagnostic(INVALID_JSON, message, source)


def dump_definition(definition: dict[str, Any]) -> str:
    """The definition as indented JSON text (non-ASCII kept as is), ready for ``parse_text``."""
    return json.dumps(definition, indent=2, ensure_ascii=False)
