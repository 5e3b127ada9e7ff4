"""Settings, read once from the environment (prefix ``RATAURA2_``) or a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError
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


def checked(name: str, value: float | None) -> float:
    """``value`` for the setting ``name`` (its configured value when None), validated by pydantic against the
    setting's own field: a constructor argument is held to the bounds of the environment variable it stands in for."""
    if value is None:
        configured: float = getattr(get_settings(), name)
        return configured
    field = Settings.model_fields[name]
    constrained: Any = Annotated[field.annotation, *field.metadata]
    try:
        valid: float = TypeAdapter(constrained).validate_python(value)
    except ValidationError as exc:
        raise ValueError(f"{name}: {exc.errors()[0]['msg'].lower()}, got {value!r}") from None
    return valid


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
