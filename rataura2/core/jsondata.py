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
    if text.isascii():  # most text: no surrogate possible, nothing to encode
        return None
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


_WORST_ESCAPE = 12
"""JSON characters one code point may take (``json.dumps`` writes one outside the BMP as two ``\\uXXXX``)."""
_ITEM_OVERHEAD = 32
"""JSON characters of a flat item besides its text: quotes, colon, comma, and any number's digits."""


def flat_json_copy(value: dict[Any, Any], limit: int) -> dict[str, Any] | None:
    """A copy of ``value`` when it is flat (text keys, plain values), clean, and surely no longer than ``limit``
    bytes as JSON; None otherwise, and then the caller encodes it to find out (``json_problem`` names what is
    wrong). Most events carry such data: this checks it without encoding it twice."""
    size = 2
    for key, item in value.items():
        if type(key) is not str or text_problem(key) is not None:
            return None
        kind = type(item)
        if kind is str:
            if text_problem(item) is not None:
                return None
            size += len(item) * (6 if item.isascii() else _WORST_ESCAPE)
        elif kind is int or kind is float:
            if number_problem(item) is not None:
                return None
        elif item is not None and kind is not bool:
            return None
        size += len(key) * (6 if key.isascii() else _WORST_ESCAPE) + _ITEM_OVERHEAD
    return dict(value) if size <= limit else None


__all__ = ["flat_json_copy", "json_problem", "number_problem", "text_problem"]
