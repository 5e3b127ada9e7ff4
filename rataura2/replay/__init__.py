"""Replaying recorded sessions on another version of their graph: which sessions an edit would route
differently, where, and why (``replay_session``, ``replay_all``). Pure: the log is read by the caller."""

from rataura2.replay.report import ReplayReport, replay_all
from rataura2.replay.session import Divergence, RecordedSession, SessionReplay, replay_session

__all__ = ["Divergence", "RecordedSession", "ReplayReport", "SessionReplay", "replay_all", "replay_session"]
