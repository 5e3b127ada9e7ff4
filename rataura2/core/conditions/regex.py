"""Regexes in conditions and rules are RE2: matching takes time linear in the text, so no pattern a designer writes
can stall a session on a long or crafted message (``(a+)+$`` against ``"aaa...a!"`` is as quick as any other).
RE2 has no backreferences or lookaround; CEL's ``matches`` is RE2 too, so every regex in a graph means the same."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import re2


def compile_regex(pattern: str, *, case_sensitive: bool = True) -> Any:
    """A compiled RE2 regex; ``ValueError`` naming the pattern and RE2's complaint if it is not one."""
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = case_sensitive
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        message = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(f"pattern {pattern!r} is not a valid (RE2) regex: {message}") from None


def searcher(rx: Any) -> Callable[[str], bool]:
    """Whether ``rx`` (from :func:`compile_regex`) matches somewhere in a text: RE2's own search on the UTF-8
    text, without the Python wrapper's generator and match object (which cost more than the search). Falls back on
    the wrapper's ``search`` where the wrapper is not the one this was written against."""
    match = getattr(getattr(rx, "_regexp", None), "Match", None)
    anchor = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)
    nothing = getattr(re2, "_NULL_SPAN", None)
    if match is None or anchor is None or nothing is None:
        return lambda text: rx.search(text) is not None

    def search(text: str) -> bool:
        encoded = text.encode()
        return bool(match(anchor, encoded, 0, len(encoded))[0] != nothing)

    return search


@lru_cache(maxsize=1024)
def cached_regex(pattern: str) -> Any:
    """:func:`compile_regex`, compiled once per pattern: for callers handed the pattern on each call (the
    business-rules operator)."""
    return compile_regex(pattern)


__all__ = ["cached_regex", "compile_regex", "searcher"]
