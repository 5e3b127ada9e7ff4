"""What JSON data from outside may hold: plain values only, numbers finite and in range, keys strings, text that
every store can keep, nesting bounded. Checked without recursion, so no input can exhaust the stack."""

from __future__ import annotations

import math
from typing import Any

from rataura2.vocabulary.limits import MAX_JSON_DEPTH, MAX_SAFE_INTEGER


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored as it is (a NUL, which PostgreSQL refuses; a lone surrogate, which is not
    Unicode any database can encode), or None."""
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"is not valid Unicode (a lone surrogate at position {exc.start})"
    return None


def number_problem(value: int | float) -> str | None:
    if isinstance(value, float):
        return None if math.isfinite(value) else f"must be a finite number, got {value!r}"
    if -MAX_SAFE_INTEGER - 1 <= value <= MAX_SAFE_INTEGER:
        return None
    return "is an integer outside the signed 64-bit range"


Path = tuple[object, ...]
"""Where a value sits, as ``(parent path, key)`` pairs: built as the walk goes, spelled out only for an error."""


def _spelled(path: Path) -> str:
    keys: list[str] = []
    node: object = path
    while isinstance(node, tuple):
        node, key = node
        keys.append(str(key))
    return ".".join([str(node), *reversed(keys)])


def json_problem(value: Any, path: str) -> tuple[str, str] | None:
    """The first thing wrong with ``value`` as JSON data, as (where, what), or None. ``where`` extends ``path``
    with keys and indexes (``data.items.3.name``)."""
    stack: list[tuple[Any, Any, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if item is None or isinstance(item, bool):
            continue
        if isinstance(item, int | float):
            problem = number_problem(item)
            if problem:
                return _spelled(where), problem
            continue
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return _spelled(where), problem
            continue
        if depth >= MAX_JSON_DEPTH:
            return _spelled(where), f"is nested deeper than {MAX_JSON_DEPTH} levels"
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    return _spelled(where), f"has a key {key!r} that is not a string"
                problem = text_problem(key)
                if problem:
                    return _spelled(where), f"has a key that {problem}"
                stack.append((child, (where, key), depth + 1))
            continue
        if isinstance(item, list | tuple):
            stack.extend((child, (where, i), depth + 1) for i, child in enumerate(item))
            continue
        return _spelled(
            where
        ), f"must be JSON data (null, bool, number, string, list, object), got {type(item).__name__}"
    return None


__all__ = ["json_problem", "number_problem", "text_problem"]
