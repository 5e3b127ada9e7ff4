"""Checksums of logged events and snapshots, and what a session's stored rows must satisfy to be resumed.

Each row carries the SHA-256 of its content in a canonical JSON form (keys sorted, so it survives any database's
way of storing JSON); the log's ``seq`` runs from 1 with no gap up to the session's ``last_seq``. Together they
catch a row edited, deleted, truncated or reordered. Rows written before checksums existed have none and are taken
as they are.

An event's canonical form is a JSON array of its fields. :func:`canonical_event` also gives each field's text as
it is stored, so the writer sends the event to the database without encoding it again: the same text except for
``data`` and ``result``, which keep their key order in the log (a session replayed from it must see its values as
they were processed) while their checksum is taken over the sorted form.
"""

from __future__ import annotations

import hashlib
import json
import math
from json.encoder import encode_basestring
from typing import Any, NamedTuple

_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_STORED = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
"""The log's text of an event's data and result: compact, keys in their order."""


class CanonicalEvent(NamedTuple):
    """An event's fields as the log stores them, each a JSON text (seq, event_id, type, timestamp, source, data,
    result), and the checksum of its canonical form."""

    fields: tuple[str, str, str, str, str, str, str]
    checksum: str


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _digest(payload: Any) -> str:
    return _sha256(_CANONICAL.encode(payload))


def canonical_event(
    seq: int, event_id: str, kind: str, timestamp: float, source: str, data: Any, result: Any
) -> CanonicalEvent:
    """The fields one by one: a JSON array's text is its elements' texts joined by commas, so the checksum is
    the one ``event_checksum`` has always computed."""
    head = (_number(seq), _string(event_id), _string(kind), _number(timestamp), _string(source))
    canonical = ",".join((*head, _CANONICAL.encode(data), _CANONICAL.encode(result)))
    return CanonicalEvent((*head, _STORED.encode(data), _STORED.encode(result)), _sha256("[" + canonical + "]"))


def _string(value: str) -> str:
    return encode_basestring(value) if type(value) is str else _CANONICAL.encode(value)


def _number(value: float) -> str:
    """As the encoder writes a plain int or a finite float (their ``repr``), without setting an encoder up."""
    kind = type(value)
    if kind is int or (kind is float and math.isfinite(value)):
        return kind.__repr__(value)
    return _CANONICAL.encode(value)


def event_checksum(seq: int, event_id: str, kind: str, timestamp: float, source: str, data: Any, result: Any) -> str:
    return _digest([seq, event_id, kind, timestamp, source, data, result])


def snapshot_checksum(seq: int, state: str) -> str:
    return _digest([seq, state])


__all__ = ["CanonicalEvent", "canonical_event", "event_checksum", "snapshot_checksum"]
