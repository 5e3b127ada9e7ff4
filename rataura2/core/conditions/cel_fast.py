"""A Python evaluator for the plain CEL expressions most transitions use, so they skip the engine's call.

Handing values to the CEL engine and back costs microseconds per evaluation, more than the comparison itself. Most
expressions a designer writes only compare context fields with literals and join the comparisons with ``&&``,
``||`` and ``!`` (``context.turn_count > 3 && context.user_input.contains("vip")``). Such an expression, once
flattened (each ``context.field`` a plain variable, see :mod:`~rataura2.core.conditions.expressions`), is compiled
here into Python closures as well.

The closures only answer where Python's meaning is exactly CEL's: operands of the same type, one the operator is
defined on in both (bool, int in CEL's 64-bit range, float, str; the caller gives them nothing else). Anywhere else
(a field that is not set, an int compared with a double, a string ordered against another) they raise
:class:`Unsure` and the caller asks the engine, which then decides exactly as it always did, error or not.
``&&`` and ``||`` stop at a decided left operand, as the engine does (``false && anything`` is false, even an
error). Everything else (arithmetic, indexing, macros, the ternary, ``event``) is not compiled: the engine
evaluates those expressions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rataura2.core.conditions.cel_syntax import FIELD_PREFIX, HAS_PREFIX, Token, tokenize

Values = Mapping[str, Any]
Node = Callable[[Values], Any]

INT64 = 2**63
"""CEL's ints are 64-bit: from -INT64 to INT64 - 1."""
_RELATIONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_ORDERED = frozenset({"<", "<=", ">", ">="})
_METHODS: Mapping[str, Callable[[str, str], bool]] = {
    "contains": str.__contains__,
    "startsWith": str.startswith,
    "endsWith": str.endswith,
}


class Unsure(Exception):
    """The expression meets a value Python cannot answer for exactly as CEL would: ask the engine."""


_UNSURE = Unsure()
"""Raised as is: building an exception per fallback would cost more than the fallback's bookkeeping."""


def encodes(text: str) -> bool:
    """Whether ``text`` is a Unicode string the engine can take in (a lone surrogate is not)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _bool(value: Any) -> bool:
    if type(value) is bool:
        return value
    raise _UNSURE


class _Parser:
    """Recursive descent over CEL's grammar, for the subset described in the module docstring. Expressions are
    short and their nesting bounded when saved (``cel_syntax.analyse`` runs first), so recursion is safe here."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self) -> Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, text: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "op" and token.text == text:
            self.at += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.take(text):
            raise ValueError(f"expected {text!r}")

    def parse(self) -> Node:
        node = self.disjunction()
        if self.peek() is not None:
            raise ValueError("not in the subset")
        return node

    def disjunction(self) -> Node:
        node = self.conjunction()
        while self.take("||"):
            node = _or(node, self.conjunction())
        return node

    def conjunction(self) -> Node:
        node = self.relation()
        while self.take("&&"):
            node = _and(node, self.relation())
        return node

    def relation(self) -> Node:
        left = self.unary()
        token = self.peek()
        if token is None or token.kind != "op" or token.text not in _RELATIONS:
            return left
        self.at += 1
        node = _relation(token.text, left, self.unary())
        after = self.peek()
        if after is not None and after.kind == "op" and after.text in _RELATIONS:
            raise ValueError("chained relations are left to the engine")
        return node

    def unary(self) -> Node:
        if self.take("!"):
            return _not(self.unary())
        return self.member()

    def member(self) -> Node:
        node = self.primary()
        if self.take("."):
            name = self.peek()
            if name is None or name.kind != "ident" or name.text not in _METHODS:
                raise ValueError("only contains, startsWith and endsWith are compiled")
            self.at += 1
            self.expect("(")
            argument = self.disjunction()
            self.expect(")")
            node = _method(_METHODS[name.text], node, argument)
        return node

    def primary(self) -> Node:
        token = self.peek()
        if token is None:
            raise ValueError("expression ends early")
        if token.kind == "op" and token.text == "(":
            self.at += 1
            node = self.disjunction()
            self.expect(")")
            return node
        self.at += 1
        if token.kind == "ident":
            return _name(token.text)
        if token.kind == "string":
            return _constant(_string(token.text))
        if token.kind == "number":
            return _constant(_number(token.text))
        raise ValueError(f"{token.text!r} is left to the engine")


def _name(name: str) -> Node:
    if name in ("true", "false"):
        return _constant(name == "true")
    if name.startswith(FIELD_PREFIX) or name.startswith(HAS_PREFIX):

        def read(values: Values) -> Any:
            try:
                return values[name]
            except KeyError:  # a field that is not set: the engine says what that means
                raise _UNSURE from None

        return read
    raise ValueError(f"{name!r} is left to the engine")


def _string(text: str) -> str:
    """A plain quoted literal's value; raw, bytes, triple-quoted literals and escapes are left to the engine."""
    quote = text[0]
    if quote not in "\"'" or len(text) < 2 or text[-1] != quote or text.startswith(quote * 3) or "\\" in text:
        raise ValueError("only plain string literals are compiled")
    body = text[1:-1]
    if quote in body or "\n" in body or "\r" in body:
        raise ValueError("only plain string literals are compiled")
    return body


def _number(text: str) -> int | float:
    if text.isdigit() and text.isascii():
        value = int(text)
        if value >= INT64:
            raise ValueError("out of CEL's int range")
        return value
    body = text.replace("e", "", 1).replace("E", "", 1).replace(".", "", 1).replace("-", "", 1).replace("+", "", 1)
    if body.isdigit() and body.isascii() and ("." in text or "e" in text or "E" in text):
        return float(text)
    raise ValueError("only decimal int and double literals are compiled")  # hex, unsigned


def _constant(value: Any) -> Node:
    return lambda values: value


def _or(left: Node, right: Node) -> Node:
    def either(values: Values) -> bool:
        return _bool(left(values)) or _bool(right(values))

    return either


def _and(left: Node, right: Node) -> Node:
    def both(values: Values) -> bool:
        return _bool(left(values)) and _bool(right(values))

    return both


def _not(operand: Node) -> Node:
    return lambda values: not _bool(operand(values))


def _relation(op: str, left: Node, right: Node) -> Node:
    compare: Callable[[Any, Any], bool] = {
        "==": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }[op]
    ordered = op in _ORDERED

    def relate(values: Values) -> bool:
        a = left(values)
        b = right(values)
        kind = type(a)
        if kind is not type(b) or (ordered and (kind is str or kind is bool)):
            raise _UNSURE  # mixed types, strings or bools ordered: the engine's own rules
        return compare(a, b)

    return relate


def _method(method: Callable[[str, str], bool], receiver: Node, argument: Node) -> Node:
    def call(values: Values) -> bool:
        text = receiver(values)
        part = argument(values)
        if type(text) is not str or type(part) is not str:
            raise _UNSURE
        return method(text, part)

    return call


def compile_plain(flattened: str) -> Callable[[Values], bool] | None:
    """The closures for a flattened expression within the subset; None for any other (the engine evaluates it).
    The node returns the expression's value, a bool, or raises :class:`Unsure`. The values it is given must be
    scalars the engine takes in (bools, ints in CEL's range, floats, Unicode strings: the caller checks them, as it
    must anyway, since the engine fails on any other it is given, read or not)."""
    try:
        root = _Parser(tokenize(flattened)).parse()
    except ValueError:
        return None
    return lambda values: _bool(root(values))  # anything but a bool is the engine's error to report


__all__ = ["INT64", "Unsure", "compile_plain", "encodes"]
