"""The writer sends each event as JSON texts field by field, encoded once: those fields joined must be exactly the
array as the log keeps it (keys in their order, no spaces, no ASCII escaping), and the checksum exactly that of the
canonical array (keys sorted), or stored rows would replay differently or fail verification."""

from __future__ import annotations

import hashlib
import json
import math
import random
from typing import Any

import pytest

from rataura2.persistence.integrity import canonical_event, event_checksum


def _reference(*fields: Any, sort_keys: bool = True) -> str:
    return json.dumps(list(fields), sort_keys=sort_keys, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return rng.choice([1, -5, 2**62, 1.5, 1e300, 0.1, -0.0, True, False, None, 'é"\\\n\u2028x', "🙂", ""])
    if roll < 0.6:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(["b", "a", "é", "Z", "a1", "10", "9"]): _value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def test_the_fields_joined_are_the_stored_array_and_the_checksum_the_canonical_ones() -> None:
    rng = random.Random(7)
    for n in range(2_000):
        fields = (
            rng.randint(1, 10**9),
            f"id-é-{n}",
            "user_message",
            rng.choice([1000.0, 1e-7, 12345678901.123, 3, 1.7976931348623157e308]),
            'so"urce',
            _value(rng),
            _value(rng),
        )
        encoded = canonical_event(*fields)
        stored = "[" + ",".join(encoded.fields) + "]"
        assert stored == _reference(*fields, sort_keys=False)
        assert json.loads(stored) == list(fields)
        canonical = _reference(*fields)
        assert encoded.checksum == hashlib.sha256(canonical.encode()).hexdigest() == event_checksum(*fields)


@pytest.mark.parametrize("timestamp", [math.nan, math.inf, -math.inf])
def test_a_timestamp_that_is_not_a_finite_number_is_refused(timestamp: float) -> None:
    with pytest.raises(ValueError):
        canonical_event(1, "e", "user_message", timestamp, "user", {}, {})
