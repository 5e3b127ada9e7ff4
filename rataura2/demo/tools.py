"""The demo's tool implementations (the EVE assistant's ``fit_ship`` and ``price_check``), registered in the
default tool registry when this module is imported. Deterministic, offline: made-up numbers."""

from __future__ import annotations

from typing import Any

from rataura2.livekit.tools import register_tool

HULL_PRICES = {"rifter": 450_000, "merlin": 420_000, "thrasher": 1_200_000, "drake": 48_000_000}
ITEM_PRICES = {"tritanium": 4.2, "plex": 4_800_000.0, "rifter": 450_000.0, "200mm autocannon ii": 310_000.0}


@register_tool
def fit_ship(ship: str) -> dict[str, Any]:
    """A standard PvP fitting for ``ship`` and what it costs in Jita."""
    hull = HULL_PRICES.get(ship.casefold(), 1_000_000)
    modules = ["200mm AutoCannon II", "1MN Afterburner II", "Small Armor Repairer II", "Damage Control II"]
    return {"ship": ship, "modules": modules, "cost_isk": hull + 2_750_000}


@register_tool
def price_check(item: str) -> dict[str, Any]:
    """The Jita sell price of ``item`` (unknown items get a placeholder price)."""
    return {"item": item, "price_isk": ITEM_PRICES.get(item.casefold(), 1_000.0), "hub": "Jita IV - Moon 4"}
