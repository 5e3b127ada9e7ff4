"""The brief's path for the LiveKit integration: re-exports of the LiveKit shell (:mod:`rataura2.livekit`)."""

from rataura2.livekit.factory import LivekitAgentFactory
from rataura2.livekit.session_handler import LivekitSessionHandler

__all__ = ["LivekitAgentFactory", "LivekitSessionHandler"]
