"""A CEL expression as tokens, and what its shape says before the engine ever sees it.

The engine's parser and evaluator recurse: an expression nested deep enough crashes the process (a stack
overflow) or panics, and comprehensions nested in one another or over large lists can take seconds. So every
expression is first tokenized and measured here, in one pass with an explicit stack (nothing here recurses), and
refused at save when it is over a limit of :mod:`rataura2.vocabulary.limits`. The tokens also tell, unlike a regex
over the text, which names the comprehension macros bind (``x`` in ``list.map(x, ...)``, never a ``.map(x,`` inside
a string) and which context fields are read, and they let the evaluator add its step counter to each comprehension.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rataura2.vocabulary.limits import (
    CEL_MAX_COMPREHENSION_NESTING,
    CEL_MAX_COMPREHENSIONS,
    CEL_MAX_DEPTH,
    CEL_MAX_LENGTH,
)

Kind = Literal["string", "number", "ident", "op"]

MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
"""The comprehension macros: each binds a variable and runs its body once per element."""
ACCUMULATING = frozenset({"map", "filter"})
"""Macros whose result the engine copies at every step (their cost grows with the list's length squared)."""
VARIABLES = frozenset({"context", "event"})
FIELD_PREFIX, HAS_PREFIX, STEP_PREFIX = "__ctx_", "__has_", "__rataura_step"

_TWO_CHAR_OPS = frozenset({"==", "!=", "<=", ">=", "&&", "||"})
_ONE_CHAR_OPS = frozenset("!<>+-*/%?:.,()[]{}")
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = frozenset(_OPENERS.values())
_OPERATORS = (_TWO_CHAR_OPS | _ONE_CHAR_OPS) - _CLOSERS - set(_OPENERS) - {","}
_IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_IDENT_CHARS = _IDENT_START | frozenset("0123456789")
_DIGITS = frozenset("0123456789")
_HEX = _DIGITS | frozenset("abcdefABCDEF")


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str
    start: int
    end: int


@dataclass(slots=True)
class Comprehension:
    index: int
    macro: str
    variable: str
    body_start: int
    """Token index where the body (or, for a three-argument ``map``, the predicate) begins."""
    body_end: int = -1
    """Token index of what ends it: the call's ``)`` or the comma before a ``map``'s transform."""
    parent: int | None = None
    nesting: int = 1
    reads: set[str] = field(default_factory=set)
    """Context fields (``__ctx_`` names), ``context`` or ``event`` read inside the body."""


@dataclass(frozen=True, slots=True)
class CelShape:
    tokens: tuple[Token, ...]
    comprehensions: tuple[Comprehension, ...]
    bound: frozenset[str]
    """The names the comprehension macros bind."""
    plus_operators: int
    depth: int


def _fail(message: str) -> ValueError:
    return ValueError(f"CEL expression {message}")


def _string_end(source: str, i: int) -> int:
    """The end of the string literal at ``i`` (its prefix included); ValueError if it does not end."""
    n = len(source)
    j = i
    while j < n and j - i < 2 and source[j] in "rRbB":
        j += 1
    raw = "r" in source[i:j].lower()
    quote = source[j]
    delimiter = quote * 3 if source.startswith(quote * 3, j) else quote
    j += len(delimiter)
    while j < n:
        if source.startswith(delimiter, j):
            return j + len(delimiter)
        c = source[j]
        if len(delimiter) == 1 and c in "\r\n":
            break
        j += 2 if c == "\\" and not raw else 1
    raise _fail(f"has a string that does not end (opened at character {i + 1})")


def _number_end(source: str, i: int) -> int:
    n = len(source)
    j = i
    if source.startswith(("0x", "0X"), i):
        j += 2
        while j < n and source[j] in _HEX:
            j += 1
    else:
        while j < n and source[j] in _DIGITS:
            j += 1
        if j + 1 < n and source[j] == "." and source[j + 1] in _DIGITS:
            j += 1
            while j < n and source[j] in _DIGITS:
                j += 1
        if j < n and source[j] in "eE":
            k = j + 1
            if k < n and source[k] in "+-":
                k += 1
            if k < n and source[k] in _DIGITS:
                j = k
                while j < n and source[j] in _DIGITS:
                    j += 1
    if j < n and source[j] in "uU":
        j += 1
    return j


def tokenize(source: str) -> list[Token]:
    """CEL's tokens (comments and white space dropped); ValueError at the first character CEL has no token for."""
    tokens: list[Token] = []
    n = len(source)
    i = 0
    while i < n:
        c = source[i]
        if c in " \t\r\n\f\v":
            i += 1
            continue
        if source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        j = i
        while j < n and j - i < 2 and source[j] in "rRbB":
            j += 1
        if j < n and source[j] in "\"'" and (j == i or source[i:j].lower() in ("r", "b", "rb", "br")):
            end = _string_end(source, i)
            tokens.append(Token("string", source[i:end], i, end))
            i = end
            continue
        if c in _IDENT_START:
            j = i + 1
            while j < n and source[j] in _IDENT_CHARS:
                j += 1
            tokens.append(Token("ident", source[i:j], i, j))
            i = j
            continue
        if c in _DIGITS or (c == "." and i + 1 < n and source[i + 1] in _DIGITS and not _ends_operand(tokens)):
            end = _number_end(source, i)  # from a ".", it reads ".5" as the fraction of nothing
            tokens.append(Token("number", source[i:end], i, end))
            i = end
            continue
        two = source[i : i + 2]
        if two in _TWO_CHAR_OPS:
            tokens.append(Token("op", two, i, i + 2))
            i += 2
            continue
        if c in _ONE_CHAR_OPS:
            tokens.append(Token("op", c, i, i + 1))
            i += 1
            continue
        raise _fail(f"has a character CEL does not know, {c!r} at character {i + 1}")
    return tokens


def _ends_operand(tokens: list[Token]) -> bool:
    """Whether the last token ends an operand (then a ``.`` after it selects a field, it starts no number)."""
    if not tokens:
        return False
    last = tokens[-1]
    return last.kind != "op" or last.text in _CLOSERS


def _is_macro_call(tokens: list[Token], k: int) -> bool:
    """``. macro ( name ,`` at token ``k`` (the dot)."""
    if k + 4 >= len(tokens):
        return False
    dot, name, paren, variable, comma = tokens[k : k + 5]
    return (
        dot.text == "."
        and name.kind == "ident"
        and name.text in MACROS
        and paren.text == "("
        and variable.kind == "ident"
        and comma.text == ","
    )


def analyse(source: str) -> CelShape:
    """Tokenize and measure ``source``: ValueError naming the limit it breaks, if any. The engine's own parser
    then has the last word on syntax."""
    if len(source) > CEL_MAX_LENGTH:
        raise _fail(f"is {len(source)} characters long, over the limit of {CEL_MAX_LENGTH}")
    tokens = tokenize(source)
    # frames of open brackets: [closer, operators at this level, comprehension index or -1, top-level commas]
    frames: list[list[object]] = [["", 0, -1, 0]]
    comprehensions: list[Comprehension] = []
    open_comprehensions: list[int] = []
    bound: set[str] = set()
    plus = 0
    depth = 1
    pending_macro: Comprehension | None = None
    for k, token in enumerate(tokens):
        text = token.text
        if token.kind == "op" and text in _OPENERS:
            comprehension = -1
            if pending_macro is not None and text == "(":
                comprehension = pending_macro.index
                open_comprehensions.append(comprehension)
                pending_macro = None
            frames.append([_OPENERS[text], 0, comprehension, 0])
        elif token.kind == "op" and text in _CLOSERS:
            frame = frames.pop() if len(frames) > 1 else None
            if frame is None or frame[0] != text:
                raise _fail(f"has an unbalanced {text!r} at character {token.start + 1}")
            index = frame[2]
            assert isinstance(index, int)
            if index >= 0:
                open_comprehensions.pop()
                if comprehensions[index].body_end < 0:
                    comprehensions[index].body_end = k
        elif token.kind == "op" and text == ",":
            frame = frames[-1]
            index = frame[2]
            assert isinstance(index, int) and isinstance(frame[3], int)
            frame[3] += 1
            if index >= 0 and frame[3] == 2:  # map(x, predicate, transform): the step counter goes in the predicate
                comprehensions[index].body_end = k
        elif token.kind == "op" or (token.kind == "ident" and text == "in"):
            frame = frames[-1]
            assert isinstance(frame[1], int)
            frame[1] += 1
            plus += text == "+"
            if token.kind == "op" and _is_macro_call(tokens, k):
                variable = tokens[k + 3].text
                if variable in VARIABLES or variable.startswith("__"):
                    raise _fail(f"binds the name {variable!r}, which is reserved; choose another")
                parent = open_comprehensions[-1] if open_comprehensions else None
                nesting = 1 + (comprehensions[parent].nesting if parent is not None else 0)
                if nesting > CEL_MAX_COMPREHENSION_NESTING:
                    raise _fail(
                        f"nests comprehensions (all, exists, exists_one, map, filter) {nesting} deep, over the "
                        f"limit of {CEL_MAX_COMPREHENSION_NESTING}"
                    )
                pending_macro = Comprehension(
                    len(comprehensions), tokens[k + 1].text, variable, k + 5, -1, parent, nesting
                )
                comprehensions.append(pending_macro)
                if len(comprehensions) > CEL_MAX_COMPREHENSIONS:
                    raise _fail(f"has more than {CEL_MAX_COMPREHENSIONS} comprehensions (all, exists, map...)")
                bound.add(variable)
        elif token.kind == "ident":
            for index in open_comprehensions:
                if text in VARIABLES and (k == 0 or tokens[k - 1].text != "."):
                    comprehensions[index].reads.add(_read_name(tokens, k))
        depth = max(depth, sum(int(f[1]) + 1 for f in frames))  # type: ignore[call-overload]
        if depth > CEL_MAX_DEPTH:
            raise _fail(f"is nested deeper than the limit of {CEL_MAX_DEPTH} (brackets and chained operators)")
    if len(frames) > 1:
        raise _fail(f"has an unclosed {tokens[-1].text if tokens else ''!r}: {frames[-1][0]!r} expected")
    return CelShape(tuple(tokens), tuple(comprehensions), frozenset(bound), plus, depth)


def _read_name(tokens: list[Token] | tuple[Token, ...], k: int) -> str:
    """What the activation name of the read at token ``k`` (``context`` or ``event``) will be once flattened."""
    if (
        tokens[k].text == "context"
        and k + 2 < len(tokens)
        and tokens[k + 1].text == "."
        and tokens[k + 2].kind == "ident"
    ):
        return FIELD_PREFIX + tokens[k + 2].text
    return tokens[k].text


Edit = tuple[int, int, str]
"""Replace ``source[start:end]`` with the text."""


def flatten(shape: CelShape) -> tuple[list[Edit], tuple[str, ...], tuple[str, ...]] | None:
    """The edits that read each ``context.field`` as a plain variable and ``has(context.field)`` as a boolean
    one, with the fields read and those tested; None when the expression uses ``context`` as a whole."""
    tokens = shape.tokens
    edits: list[Edit] = []
    fields: dict[str, None] = {}
    tested: dict[str, None] = {}
    skip_to = -1
    for k, token in enumerate(tokens):
        if k < skip_to or token.kind != "ident" or (k > 0 and tokens[k - 1].text == "."):
            continue
        texts = [t.text for t in tokens[k : k + 6]]
        if texts[:3] == ["has", "(", "context"] and len(texts) == 6 and texts[3] == "." and texts[5] == ")":
            name = tokens[k + 4].text
            tested[name] = None
            edits.append((token.start, tokens[k + 5].end, HAS_PREFIX + name))
            skip_to = k + 6
        elif token.text == "context":
            after = texts[3] if len(texts) > 3 else ""
            if len(texts) < 3 or texts[1] != "." or tokens[k + 2].kind != "ident" or after == "(":
                return None
            fields[texts[2]] = None
            edits.append((token.start, tokens[k + 2].end, FIELD_PREFIX + texts[2]))
            skip_to = k + 3
    return edits, tuple(fields), tuple(tested)


def step_counters(shape: CelShape) -> list[Edit]:
    """The edits that run each comprehension's body (a ``map``'s predicate, for the three-argument form) only if
    ``__rataura_stepN()`` says so: the evaluator's counter, which ends an evaluation past its cost limit."""
    tokens = shape.tokens
    edits: list[Edit] = []
    for c in shape.comprehensions:
        start, end = tokens[c.body_start].start, tokens[c.body_end].start
        edits.append((start, start, f"{STEP_PREFIX}{c.index}() ? ("))
        edits.append((end, end, ") : null"))
    return edits


def apply_edits(source: str, edits: list[Edit]) -> str:
    out: list[str] = []
    position = 0
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1])):
        out.append(source[position:start])
        out.append(text)
        position = end
    out.append(source[position:])
    return "".join(out)


__all__ = [
    "ACCUMULATING",
    "FIELD_PREFIX",
    "HAS_PREFIX",
    "MACROS",
    "STEP_PREFIX",
    "CelShape",
    "Comprehension",
    "Edit",
    "Token",
    "analyse",
    "apply_edits",
    "flatten",
    "step_counters",
    "tokenize",
]
