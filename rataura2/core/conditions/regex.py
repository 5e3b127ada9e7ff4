"""Regexes in conditions and rules are RE2: matching takes time linear in the text, so no pattern a designer writes
can stall a session on a long or crafted message (``(a+)+$`` against ``"aaa...a!"`` is as quick as any other).
RE2 has no backreferences or lookaround; CEL's ``matches`` is RE2 too, so every regex in a graph means the same."""

from __future__ import annotations

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


@lru_cache(maxsize=1024)
def cached_regex(pattern: str) -> Any:
    """:func:`compile_regex`, compiled once per pattern: for callers handed the pattern on each call (the
    business-rules operator)."""
    return compile_regex(pattern)


__all__ = ["cached_regex", "compile_regex"]
