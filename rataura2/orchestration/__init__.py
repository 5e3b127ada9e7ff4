"""Per-session state and the orchestrator that moves a session through its graph."""
