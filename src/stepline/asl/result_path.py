"""ResultPath: writing a value into a document at a reference path, as AWS applies a state's result.

https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultpath.html
"""

from __future__ import annotations

from typing import Any

from stepline.asl.json_text import dumps
from stepline.asl.jsonpath_eval import PathNotFound
from stepline.asl.jsonpath_parse import PathSyntaxError, compile_path


class ResultPathMatchError(PathNotFound):
    """ResultPath (or another write) cannot be applied: a step meets a value of the wrong kind."""

    def __init__(self, path: str, step: str, doc: Any) -> None:
        detail = f'Unable to apply step "{step}" to input {dumps(doc)}'
        super().__init__(path, detail)
        self.args = (detail,)
        self.step = step


def set_path(doc: Any, path: str, value: Any) -> Any:
    """ResultPath semantics: a new document with ``value`` at the reference ``path``.

    Missing objects on the way are created; the input is never mutated. Example:
    ``set_path({'a': 1}, '$.b.c', 2) == {'a': 1, 'b': {'c': 2}}``.
    Raises ``ResultPathMatchError`` when a step meets a value it cannot be applied to.
    """
    compiled = compile_path(path)
    if not compiled.is_reference:
        raise PathSyntaxError(f"'{path}' is not a reference path")
    keys = compiled.keys
    if not keys:
        return value
    return _set(doc, keys, 0, value, path, doc)


def _set(node: Any, keys: tuple[str | int, ...], i: int, value: Any, path: str, root: Any) -> Any:
    key = keys[i]
    last = i == len(keys) - 1
    if isinstance(key, str):
        if node is None and i > 0:
            node = {}
        if not isinstance(node, dict):
            raise ResultPathMatchError(path, key, root)
        copy = dict(node)
        copy[key] = value if last else _set(node.get(key), keys, i + 1, value, path, root)
        return copy
    if not isinstance(node, list) or not -len(node) <= key < len(node):
        raise ResultPathMatchError(path, str(key), root)
    copy_list = list(node)
    copy_list[key] = value if last else _set(node[key], keys, i + 1, value, path, root)
    return copy_list
