"""Sensitive data: values a session may use but never record in clear text (card numbers, CVVs, birth dates).

A designer marks them in three places: a tool argument (``"sensitive": true`` in the tool's ``parameters_schema``,
at any depth), a context key (the conversation's ``sensitive_keys``), and an agent whose user turns are sensitive
as a whole (``Agent.sensitive_input``: what the user says to it reaches its LLM, but is recorded as ``[redacted]``,
since a spoken card number is in the user's turn before any tool sees it).

Every event is redacted as the session processes it, before it is folded into the context, logged or written: the
marked values are replaced by ``[redacted]``, and every value learnt that way is also scrubbed from the free text of
later events (an agent reading a card number back, a tool echoing it; digits match with or without spaces and
dashes between them). The values themselves stay in the memory of the process that drives the session
(:class:`Secrets`), where tools and templates can read them. The context, the event log, snapshots and the timeline
hold the marker only; so a session resumed in another process has the marker (the key is known to be set) and not
the value: what needs it must ask again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from rataura2.core.events import EventData
from rataura2.errors import InvalidFlowError
from rataura2.vocabulary.events import API_SOURCE, CONTEXT_UPDATES_KEY, ORCHESTRATOR_SOURCE, EventType

REDACTED = "[redacted]"
"""What a sensitive value is replaced with wherever it would be recorded."""

MIN_SCRUBBED_LENGTH = 3
"""Shorter values are redacted where they are marked but not looked for in free text (they would match too much)."""

_ANY = "*"
Path = tuple[str, ...]


def sensitive_paths(schema: Mapping[str, Any] | None) -> tuple[Path, ...]:
    """Where a JSON schema marks values ``"sensitive": true``, as paths of property names (``*`` for every item of
    an array): ``("number",)``, ``("cards", "*", "cvv")``."""
    found: list[Path] = []

    def walk(node: Any, path: Path) -> None:
        if not isinstance(node, Mapping):
            return
        if node.get("sensitive") is True and path:
            found.append(path)
            return
        for name, child in (node.get("properties") or {}).items():
            walk(child, (*path, str(name)))
        items = node.get("items")
        if isinstance(items, Mapping):
            walk(items, (*path, _ANY))

    walk(schema, ())
    return tuple(found)


def check_marks(schema: Mapping[str, Any] | None, where: str) -> None:
    """Refuse a ``sensitive`` mark that is not ``true`` or ``false``, or one on the schema as a whole."""

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            mark = node.get("sensitive")
            if "sensitive" in node and not isinstance(mark, bool):
                raise InvalidFlowError(f"{where}{path}.sensitive", f"must be true or false, got {mark!r}")
            if mark is True and not path:
                raise InvalidFlowError(f"{where}.sensitive", "mark the arguments that are sensitive, not the schema")
            for key, child in node.items():
                if key != "sensitive":
                    walk(child, f"{path}.{key}")
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, f"{path}[{i}]")

    walk(schema, "")


def without_marks(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The schema as an LLM should see it: the ``sensitive`` marks are rataura2's, not JSON Schema's."""

    def strip(node: Any) -> Any:
        if isinstance(node, Mapping):
            return {k: strip(v) for k, v in node.items() if k != "sensitive"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    stripped: dict[str, Any] = strip(schema)
    return stripped


@dataclass(frozen=True, slots=True)
class SensitivePolicy:
    """What a graph marks as sensitive, compiled once per graph."""

    keys: frozenset[str] = frozenset()
    tool_paths: Mapping[str, tuple[Path, ...]] = field(default_factory=dict)
    """Tool name -> the paths of its sensitive arguments."""
    agents: frozenset[int] = frozenset()
    """Agents whose user turns are sensitive."""

    @property
    def active(self) -> bool:
        return bool(self.keys or self.tool_paths or self.agents)


def values_at(value: Any, path: Path) -> Iterator[Any]:
    if not path:
        yield value
        return
    head, rest = path[0], path[1:]
    if head == _ANY and isinstance(value, list):
        for item in value:
            yield from values_at(item, rest)
    elif isinstance(value, dict) and head in value:
        yield from values_at(value[head], rest)


def _replaced_at(value: Any, path: Path) -> Any:
    if not path:
        return REDACTED
    head, rest = path[0], path[1:]
    if head == _ANY and isinstance(value, list):
        return [_replaced_at(item, rest) for item in value]
    if isinstance(value, dict) and head in value:
        return {**value, head: _replaced_at(value[head], rest)}
    return value


def _pattern_for(secret: str) -> str | None:
    text = secret.strip()
    if len(text) < MIN_SCRUBBED_LENGTH:
        return None
    digits = re.sub(r"\D", "", text)
    if len(digits) >= MIN_SCRUBBED_LENGTH and re.fullmatch(r"[\d\s./-]+", text):
        # a number read back may be grouped differently: 4111 1111 1111 1111, 4111-1111-..., 12/29
        return r"(?<!\d)" + r"[\s./-]?".join(digits) + r"(?!\d)"
    start = r"(?<!\w)" if text[0].isalnum() else ""
    end = r"(?!\w)" if text[-1].isalnum() else ""
    return start + re.escape(text) + end


class Secrets:
    """The sensitive values of one live session, in memory only, and the redaction of its events.

    ``values`` holds the real value of each sensitive context key set in this process (the context holds
    ``[redacted]``). Events are redacted by :meth:`redact` before the session processes them.
    """

    __slots__ = ("_known", "_marked", "_pattern", "policy", "values")

    def __init__(self, policy: SensitivePolicy) -> None:
        self.policy = policy
        self._marked = policy.active
        self.values: dict[str, Any] = {}
        self._known: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    @property
    def active(self) -> bool:
        """Whether events of this session need redacting at all (the graph marks something, or a value was learnt)."""
        return self._marked or bool(self._known)

    def learn(self, value: Any) -> None:
        """Scrub ``value`` (and the strings and numbers inside it) from the free text of events from now on."""
        new = [s for s in _leaves(value) if s not in self._known]
        if not new:
            return
        self._known.update(new)
        patterns = sorted((p for p in (_pattern_for(s) for s in self._known) if p is not None), key=len, reverse=True)
        self._pattern = re.compile("|".join(patterns)) if patterns else None

    def scrub(self, value: Any) -> Any:
        """``value`` with every known secret in its strings replaced by the marker."""
        pattern = self._pattern
        if pattern is None:
            return value
        return _map_strings(value, lambda text: pattern.sub(REDACTED, text))

    def checkpoint(self) -> tuple[dict[str, Any], set[str]]:
        return dict(self.values), set(self._known)

    def restore(self, saved: tuple[dict[str, Any], set[str]]) -> None:
        self.values, known = dict(saved[0]), set(saved[1])
        self._known = set()
        self._pattern = None
        self.learn(sorted(known))

    def redact(self, event: EventData, agent_id: int) -> EventData:
        """``event`` with what is sensitive in it replaced by the marker (the same event if nothing is)."""
        data = event.data
        redacted = dict(data)
        kind = event.type
        paths = self.policy.tool_paths.get(str(data.get("tool_name"))) if kind in _TOOL_EVENTS else None
        if paths and isinstance(data.get("arguments"), dict):
            arguments = data["arguments"]
            for path in paths:
                for secret in values_at(arguments, path):
                    self.learn(secret)
                arguments = _replaced_at(arguments, path)
            redacted["arguments"] = arguments
        updates = data.get(CONTEXT_UPDATES_KEY)
        sets_context = (kind is EventType.CUSTOM and event.source == API_SOURCE) or (
            kind is EventType.TRANSITION and event.source != ORCHESTRATOR_SOURCE
        )
        if sets_context and isinstance(updates, dict) and self.policy.keys & set(updates):
            updates = dict(updates)
            for key in self.policy.keys & set(updates):
                if updates[key] != REDACTED:
                    self.values[key] = updates[key]
                    self.learn(updates[key])
                updates[key] = REDACTED
            redacted[CONTEXT_UPDATES_KEY] = updates
        if agent_id in self.policy.agents:
            if kind is EventType.USER_MESSAGE and "message" in data:
                redacted["message"] = REDACTED
            elif kind is EventType.CUSTOM and "transcript" in data and data.get("livekit_event") == _TRANSCRIBED:
                redacted["transcript"] = REDACTED
        redacted = self.scrub(redacted)
        if redacted == data:
            return event
        return EventData(type=event.type, timestamp=event.timestamp, data=redacted, source=event.source, id=event.id)


_TOOL_EVENTS = frozenset({EventType.TOOL_CALLED, EventType.TOOL_RESULT})
_TRANSCRIBED = "user_input_transcribed"


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int | float):
        yield str(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    return value


__all__ = [
    "REDACTED",
    "Secrets",
    "SensitivePolicy",
    "check_marks",
    "sensitive_paths",
    "values_at",
    "without_marks",
]
