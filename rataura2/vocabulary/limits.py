"""The bounds on what definitions and events may hold: one place for each, so that the checks at save, at the
call and at evaluation, the docs and the tests all agree.

They exist so that no definition a designer saves and no event a caller sends can crash, stall or bloat a worker
process: each is far above what a real assistant needs and far below what the engines below us (the CEL parser
and evaluator, the JSON codecs, the databases) can take.
"""

from __future__ import annotations

# CEL expressions (``custom`` conditions) ---------------------------------------------------------------------
CEL_MAX_LENGTH = 2000
"""Characters in one expression. The engine's recursive evaluator overflows the stack at some 10,000 chained
operators; this keeps every expression two orders of magnitude below that."""
CEL_MAX_DEPTH = 250
"""Nesting of an expression as the pre-parse estimates it (brackets, plus the operators chained at each level: an
over-estimate of the syntax tree's depth). The engine's parser refuses some 90 nested brackets on its own."""
CEL_MAX_COMPREHENSION_NESTING = 2
"""Comprehension macros (``all``, ``exists``, ``exists_one``, ``map``, ``filter``) inside one another."""
CEL_MAX_COMPREHENSIONS = 4
"""Comprehension macros in one expression."""
CEL_MAX_STEPS = 2000
"""The steps one evaluation may take in comprehensions (about 4 us each). A step costs 1, plus the size of the
inputs its body reads over 32, plus, for ``map`` and ``filter`` (whose result the engine copies at every step), the
length of the result so far over 8. Past the limit the evaluation stops and counts as false, with an error that
says so: some 10 ms at most."""
CEL_MAX_WORK = 20_000
"""The size of an evaluation's inputs, in units of what the engine takes to convert a number (0.1 to 0.3 us each,
see :func:`~rataura2.core.conditions.expressions.size_of`), multiplied by (1 + its ``+`` operators) squared, which
bounds what concatenations can build. Every evaluation is measured before it starts (the measure stops at the
limit), and past the limit it is not started and counts as false, with an error that says so: taking the inputs in
costs some 5 ms at most. An expression naming the fields it reads (``context.vip``, ``has(context.vip)``) is given
only those; one reading the context as a whole takes in the whole history too, some 15,000 units after a hundred
turns, and past the limit with a hand-over at every turn (lint warns of such reads: ``whole_context_read``)."""
CEL_STRING_UNITS = 8
"""Size units of a text (a value or a map's key): the engine converts one in about the time of eight numbers."""
CEL_SIZE_UNIT = 64
"""Characters of text counted as one more size unit."""

# business rules ----------------------------------------------------------------------------------------------
RULES_MAX_RULES = 200
"""Rules in one rule set."""
RULES_MAX_DEPTH = 16
"""``all`` / ``any`` groups inside one another."""
RULES_MAX_CONDITIONS = 1000
"""Conditions (leaves) in one rule set."""
RULES_MAX_JSON_CHARS = 1_000_000
"""Characters of a rule set given as JSON text."""

# numbers and JSON data ---------------------------------------------------------------------------------------
MAX_SAFE_INTEGER = 2**63 - 1
"""Integers in events, context values and rules: a signed 64-bit range, what CEL, PostgreSQL and SQLite hold."""
MAX_JSON_DEPTH = 32
"""Nesting of lists and objects in event data, context values and rule values."""
TIMESTAMP_MIN, TIMESTAMP_MAX = 0.0, 253_402_300_799.0
"""Event timestamps: seconds since the epoch, up to the last second of year 9999 (what dates can print)."""
MAX_ID_LENGTH = 256
"""Characters of an event id, an event source or a session id."""
MAX_CONTEXT_KEYS = 1000
"""Values set from outside (the API, tools, hand-over requests) that one session's context may hold at once: every
event walks the context, so a client that keeps adding keys would slow every turn of the session."""

__all__ = [
    "CEL_MAX_COMPREHENSIONS",
    "CEL_MAX_COMPREHENSION_NESTING",
    "CEL_MAX_DEPTH",
    "CEL_MAX_LENGTH",
    "CEL_MAX_STEPS",
    "CEL_MAX_WORK",
    "CEL_SIZE_UNIT",
    "CEL_STRING_UNITS",
    "MAX_CONTEXT_KEYS",
    "MAX_ID_LENGTH",
    "MAX_JSON_DEPTH",
    "MAX_SAFE_INTEGER",
    "RULES_MAX_CONDITIONS",
    "RULES_MAX_DEPTH",
    "RULES_MAX_JSON_CHARS",
    "RULES_MAX_RULES",
    "TIMESTAMP_MAX",
    "TIMESTAMP_MIN",
]
