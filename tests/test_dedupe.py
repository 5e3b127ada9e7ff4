"""The dedupe window: bounded, and past it, ids that may have been processed told from ids that are new."""

from __future__ import annotations

import sys

from rataura2.core.dedupe import DedupeWindow, DepartedIds
from rataura2.core.result import TransitionResult, TransitionStatus

RESULT = TransitionResult(TransitionStatus.NO_TRANSITION)


def _filled(window: DedupeWindow, count: int, prefix: str = "e") -> list[str]:
    ids = [f"{prefix}{n}" for n in range(count)]
    for n, event_id in enumerate(ids):
        window.add(event_id, float(n), RESULT, now=float(n))
    return ids


def test_an_id_that_left_the_window_is_never_taken_for_new() -> None:
    window = DedupeWindow(max_events=100)
    ids = _filled(window, 20_000)
    assert len(window) == 100
    assert all(window.may_be_logged(event_id) for event_id in ids[:-100])  # no false "new": never applied twice


def test_new_ids_are_known_new_but_for_a_rare_false_positive_however_long_the_session() -> None:
    window = DedupeWindow(max_events=100)
    _filled(window, 200_000)  # eight filters: were each as likely to err as the first, one id in 250 would err
    fresh = [f"new-{n}" for n in range(50_000)]
    looked_up = sum(window.may_be_logged(event_id) for event_id in fresh)
    assert looked_up < 0.002 * len(fresh)  # each costs a read of the log; at most 0.1% expected


def test_ids_that_left_by_age_are_kept_track_of_too() -> None:
    window = DedupeWindow(max_events=1_000, max_age=10.0)
    ids = _filled(window, 100)
    assert len(window) <= 11
    assert all(window.may_be_logged(event_id) for event_id in ids[:-11])


def test_a_long_session_pays_a_few_bytes_per_event_and_one_without_a_log_nothing() -> None:
    logged = DedupeWindow(max_events=1_000)
    _filled(logged, 300_000)
    assert len(logged) == 1_000
    assert logged.departed_bytes <= 5 * 300_000  # about 3 bytes an id once the last filter is full
    assert sys.getsizeof(logged._departed) >= logged.departed_bytes  # counted where memory is measured

    unlogged = DedupeWindow(max_events=1_000, logged=False)
    _filled(unlogged, 300_000)
    assert unlogged.departed_bytes == 0
    assert not unlogged.may_be_logged("e0")  # nowhere to look: a repeat this old is processed again


def _false_positives(window: DedupeWindow, count: int = 5_000) -> int:
    return sum(window.may_be_logged(f"brand-new-{n}") for n in range(count))


def test_a_resumed_window_given_the_older_ids_knows_them_and_without_them_asks_about_everything() -> None:
    older_ids = [f"old{n}" for n in range(5_000)]
    older = DepartedIds(expected=len(older_ids))
    for event_id in older_ids:
        older.add(event_id)
    told = DedupeWindow(max_events=100)
    told.load({"e1": (1.0, RESULT)}, complete=False, now=1.0, older=older)
    assert all(told.may_be_logged(event_id) for event_id in older_ids)
    assert _false_positives(told) < 25  # 0.1% expected: 5

    untold = DedupeWindow(max_events=100)
    untold.load({"e1": (1.0, RESULT)}, complete=False, now=1.0)
    assert _false_positives(untold) == 5_000
