"""Property test: whatever clean JSON a session is given (tool results, context values), a session rebuilt from
the database holds exactly what it held, down to key order and number types, on SQLite and on PostgreSQL, from
the log alone and from a snapshot, with either durable mode, hand-overs included."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from rataura2.sessions.manager import Durability, SessionManager
from rataura2.vocabulary.limits import MAX_SAFE_INTEGER
from tests._procs import T0, build_conversation

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-MAX_SAFE_INTEGER - 1, max_value=MAX_SAFE_INTEGER),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=10),
)
clean_json = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=5), inner, max_size=4
        ),
    ),
    max_leaves=20,
)
text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("tool_result"), clean_json),
        st.tuples(st.just("update"), st.dictionaries(st.sampled_from("zyxab"), clean_json, min_size=1, max_size=4)),
        st.tuples(st.just("user_message"), text | st.sampled_from(["combat please", "market", "thanks"])),
        st.tuples(st.just("custom"), st.dictionaries(st.sampled_from("zyxab"), clean_json, max_size=4)),
    ),
    min_size=1,
    max_size=6,
)
_ids = itertools.count()


@SETTINGS
@given(steps=steps, durability=st.sampled_from(["sync", "async"]), snapshot_every=st.sampled_from([1, 1_000]))
def test_a_resumed_session_holds_exactly_what_it_held(
    db: Session, steps: list[tuple[str, Any]], durability: Durability, snapshot_every: int
) -> None:
    conversation_id = build_conversation(db, name=f"roundtrip {next(_ids)}")
    session_id = f"s{next(_ids)}"
    manager = SessionManager(db, durability=durability, snapshot_every=snapshot_every)
    original = manager.create_session(session_id, conversation_id, timestamp=T0)
    for n, (kind, value) in enumerate(steps, start=1):
        if kind == "update":
            original.update_context(value, timestamp=T0 + n)
        elif kind == "tool_result":
            original.process_event(
                {"type": kind, "timestamp": T0 + n, "data": {"tool_name": "fit_ship", "result": value}}
            )
        elif kind == "user_message":
            original.process_event({"type": kind, "timestamp": T0 + n, "data": {"message": value}, "source": "user"})
        else:
            original.process_event({"type": kind, "timestamp": T0 + n, "data": value, "source": "game"})
    held = json.dumps(original.get_context())
    manager.close()

    resumed_by = SessionManager(db)
    try:
        resumed = resumed_by.resume_session(session_id)
        assert json.dumps(resumed.get_context()) == held
    finally:
        resumed_by.close()
