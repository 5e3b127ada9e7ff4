"""Checksums of logged events and snapshots, and what a session's stored rows must satisfy to be resumed.

Each row carries the SHA-256 of its content in a canonical JSON form (keys sorted, so it survives any database's
way of storing JSON); the log's ``seq`` runs from 1 with no gap up to the session's ``last_seq``. Together they
catch a row edited, deleted, truncated or reordered. Rows written before checksums existed have none and are taken
as they are.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def _digest(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def event_checksum(seq: int, event_id: str, kind: str, timestamp: float, source: str, data: Any, result: Any) -> str:
    return _digest([seq, event_id, kind, timestamp, source, data, result])


def snapshot_checksum(seq: int, state: str) -> str:
    return _digest([seq, state])


__all__ = ["event_checksum", "snapshot_checksum"]
