"""Ids for events that arrive without one: unique, and made without a system call.

``uuid.uuid4()`` reads the operating system's random source for every id, and that read lets go of the
interpreter: in a process with other threads (a database writer, a worker pool) winning it back can cost the event
loop tens of microseconds, where an id should cost a fraction of one. Here a random prefix is drawn once per process
(and again in a forked child) and a counter follows it: 32 hex digits like ``uuid4().hex``, never repeated within a
process, and across processes as unlikely to collide as two random 64-bit numbers.
"""

from __future__ import annotations

import itertools
import os

_prefix = ""
_counter = itertools.count()


def _draw_prefix() -> None:
    global _prefix, _counter
    _prefix = os.urandom(8).hex()
    _counter = itertools.count()


def new_event_id() -> str:
    return f"{_prefix}{next(_counter):016x}"


_draw_prefix()
if hasattr(os, "register_at_fork"):  # a forked child must not repeat its parent's ids
    os.register_at_fork(after_in_child=_draw_prefix)

__all__ = ["new_event_id"]
