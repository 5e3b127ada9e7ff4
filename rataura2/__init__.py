"""rataura2: orchestration of multi-agent LiveKit voice assistants, kept as data."""

__version__ = "0.1.0"
