"""The brief's import paths for context, orchestrator and LiveKit integration: re-exports, nothing more.

The code lives in ``rataura2.core`` (context, orchestrator), ``rataura2.sessions`` (SessionManager) and
``rataura2.livekit`` (the LiveKit shell). Nothing inside rataura2 imports these modules (``make test`` checks it).
"""
