"""Group commit under contention, on its own: every writer returns only once the batch holding its item was
written, each learns its own outcome, and leadership passes on however the batches fall (small batches and two
writers in flight force the case where a writer asked to lead finds its item already taken by another batch)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest

from rataura2.persistence.group_commit import GroupCommit, Outcome


class Refused(Exception):
    pass


@pytest.mark.parametrize(("writers", "max_batch"), [(1, 1_000), (2, 3), (3, 1)])
def test_every_writer_returns_after_its_own_batch_with_its_own_outcome(writers: int, max_batch: int) -> None:
    written: set[int] = set()
    lock = threading.Lock()
    in_flight = 0
    most_in_flight = 0

    def write(items: Sequence[int]) -> list[Outcome]:
        nonlocal in_flight, most_in_flight
        with lock:
            in_flight += 1
            most_in_flight = max(most_in_flight, in_flight)
        time.sleep(0.001)
        with lock:
            written.update(i for i in items if i % 7 != 0)
            in_flight -= 1
        return [Refused(i) if i % 7 == 0 else None for i in items]

    group: GroupCommit[int] = GroupCommit(write, writers=writers, max_batch=max_batch)
    problems: list[str] = []

    def drive(first: int) -> None:
        for item in range(first, first + 40):
            try:
                group.submit(item)
            except Refused as exc:
                if exc.args != (item,):
                    problems.append(f"{item} got another item's outcome: {exc.args}")
                continue
            with lock:
                if item not in written:
                    problems.append(f"{item} acknowledged before it was written")

    threads = [threading.Thread(target=drive, args=(n * 1_000,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert problems == []
    assert group.items == 30 * 40
    assert most_in_flight <= writers
    assert group.batches < group.items or max_batch == 1


def test_a_write_that_raises_fails_its_whole_batch_and_the_next_batch_goes_on() -> None:
    calls: list[list[str]] = []

    def write(items: Sequence[str]) -> list[Outcome]:
        calls.append(list(items))
        if "bad" in items:
            raise RuntimeError("the database went away")
        return [None] * len(items)

    group: GroupCommit[str] = GroupCommit(write)
    with pytest.raises(RuntimeError, match="went away"):
        group.submit("bad")
    group.submit("good")
    assert calls == [["bad"], ["good"]]
