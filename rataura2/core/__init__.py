"""The pure core: events, context, compiled graph, conditions, results and the orchestrator.

No I/O and no clock: it imports neither sqlalchemy nor livekit (``make test`` checks it), so a session is a
deterministic function of its graph and its events, and replays exactly.
"""
