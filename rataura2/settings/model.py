"""The settings model: each setting, its default, its bounds and its environment variable (``RATAURA2_`` + name)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RATAURA2_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///rataura2.db",
        description="SQLAlchemy URL of the definitions and session store; a SQLite file by default.",
    )
    history_limit: int = Field(default=100, ge=1, description="Events kept in a session context's history.")
    max_event_bytes: int = Field(
        default=64 * 1024, ge=256, description="Largest accepted event payload, as JSON bytes."
    )
    max_hops_per_event: int = Field(default=1, ge=1, description="Transitions one event may chain.")
    conversation: str | None = Field(
        default=None, description="LiveKit worker: the conversation of jobs whose metadata names none."
    )
    tool_modules: str = Field(
        default="rataura2.demo.tools", description="Comma-separated modules that register tool callables."
    )
    agent_name: str = Field(default="rataura2", description="LiveKit worker: the agent name dispatch requests use.")
    snapshot_every: int = Field(default=50, ge=1, description="Durable sessions: a context snapshot every N events.")
    lease_seconds: float = Field(
        default=15.0, gt=0, description="Durable sessions: how long a session lease lives without being renewed."
    )
    async_max_backlog: int = Field(
        default=10_000, ge=1, description='durability="async": events buffered at most before new ones are refused.'
    )


__all__ = ["Settings"]
