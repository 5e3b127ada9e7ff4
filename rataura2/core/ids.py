"""Ids for events that arrive without one: unique, unpredictable, and made without a system call.

``uuid.uuid4()`` reads the operating system's random source for every id, and that read lets go of the
interpreter: in a process with other threads (a database writer, a worker pool) winning it back can cost the event
loop tens of microseconds, where an id should cost a fraction of one. Here a key is drawn once per process (and
again in a forked child), and each id is a counter's value hashed with it (keyed BLAKE2b, 128 bits, 32 hex digits
like ``uuid4().hex``): no two ids of a process share an input, and nobody who has seen ids can tell the next one,
so an event cannot be sent ahead under the id a later event of the session will get (it would make that event a
repeat, and a no-op).
"""

from __future__ import annotations

import hashlib
import itertools
import os

_keyed = hashlib.blake2b(digest_size=16)
_counter = itertools.count()


def _new_key() -> None:
    global _keyed, _counter
    _keyed = hashlib.blake2b(key=os.urandom(16), digest_size=16)
    _counter = itertools.count()


def new_event_id() -> str:
    digest = _keyed.copy()  # the key's state, set up once; a copy costs less than keying a new hash
    digest.update(next(_counter).to_bytes(8, "little"))
    return digest.hexdigest()


_new_key()
if hasattr(os, "register_at_fork"):  # a forked child must not repeat its parent's ids
    os.register_at_fork(after_in_child=_new_key)

__all__ = ["new_event_id"]
