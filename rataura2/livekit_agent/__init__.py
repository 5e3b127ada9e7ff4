"""The brief's import path for events (``rataura2.livekit_agent.events``); the code lives in ``rataura2.core``."""
