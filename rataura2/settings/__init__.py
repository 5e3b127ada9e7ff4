"""Settings, read once from the environment (prefix ``RATAURA2_``) or a ``.env`` file.

The model (:mod:`rataura2.settings.model`) is built on pydantic-settings, whose import costs more than the whole
core; it is loaded the first time a setting is read, so that ``rataura2 --help`` and ``import rataura2.core`` stay
quick.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any

if TYPE_CHECKING:
    from rataura2.settings.model import Settings


def checked(name: str, value: float | None) -> float:
    """``value`` for the setting ``name`` (its configured value when None), validated by pydantic against the
    setting's own field: a constructor argument is held to the bounds of the environment variable it stands in for."""
    if value is None:
        configured: float = getattr(get_settings(), name)
        return configured
    from pydantic import TypeAdapter, ValidationError

    from rataura2.settings.model import Settings

    field = Settings.model_fields[name]
    constrained: Any = Annotated[field.annotation, *field.metadata]
    try:
        valid: float = TypeAdapter(constrained).validate_python(value)
    except ValidationError as exc:
        raise ValueError(f"{name}: {exc.errors()[0]['msg'].lower()}, got {value!r}") from None
    return valid


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    from rataura2.settings.model import Settings

    return Settings()


def __getattr__(name: str) -> Any:
    if name == "Settings":
        from rataura2.settings.model import Settings

        return Settings
    raise AttributeError(f"module 'rataura2.settings' has no attribute {name!r}")


__all__ = ["Settings", "checked", "get_settings"]
