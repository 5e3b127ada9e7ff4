"""Where each agent sits on a conversation's canvas: kept beside the conversation's membership, since an agent
shared by two conversations can sit in a different place in each."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rataura2.db.models import conversation_agents

Point = tuple[float, float]


def positions(db: Session, conversation_id: int) -> dict[int, Point]:
    """Agent id -> (x, y), for the agents that have been placed."""
    c = conversation_agents.c
    rows = db.execute(select(c.agent_id, c.position_x, c.position_y).where(c.conversation_id == conversation_id))
    return {a: (x, y) for a, x, y in rows if x is not None and y is not None}


def set_positions(db: Session, conversation_id: int, points: Mapping[int, Point | None]) -> list[int]:
    """Place agents (None: forget the place); the ids that are not agents of the conversation are returned and
    nothing is set for them."""
    db.flush()
    c = conversation_agents.c
    members = set(db.scalars(select(c.agent_id).where(c.conversation_id == conversation_id)))
    unknown = [a for a in points if a not in members]
    for agent_id, point in points.items():
        if agent_id in members:
            x, y = point if point is not None else (None, None)
            db.execute(
                update(conversation_agents)
                .where(c.conversation_id == conversation_id, c.agent_id == agent_id)
                .values(position_x=x, position_y=y)
            )
    return unknown
