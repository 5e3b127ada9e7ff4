"""Tools (shared by every conversation; names are unique): list, read, create, change, delete."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from rataura2.api.auth import Editor, Viewer
from rataura2.api.deps import DB
from rataura2.api.errors import FieldError
from rataura2.api.schemas.definitions import Deleted, ToolCreate, ToolOut, ToolUpdate
from rataura2.api.views import tool_out
from rataura2.db.models import Tool
from rataura2.errors import NameTakenError, UnknownToolError

router = APIRouter(prefix="/api/v1/tools", tags=["tools"])


def _get(db: Session, tool_id: int) -> Tool:
    tool = db.get(Tool, tool_id)
    if tool is None:
        raise UnknownToolError(f"no tool {tool_id}")
    return tool


def _check_name(db: Session, name: str, tool_id: int | None = None) -> None:
    other = db.scalars(select(Tool).where(Tool.name == name)).first()
    if other is not None and other.id != tool_id:
        raise NameTakenError(f"a tool is already named {name!r}")


@router.get("", response_model=list[ToolOut])
def list_tools(db: DB, _: Viewer) -> list[ToolOut]:
    return [tool_out(t) for t in db.scalars(select(Tool).order_by(Tool.id))]


@router.get("/{tool_id}", response_model=ToolOut)
def read_tool(tool_id: int, db: DB, _: Viewer) -> ToolOut:
    return tool_out(_get(db, tool_id))


@router.post("", response_model=ToolOut, status_code=status.HTTP_201_CREATED)
def create_tool(body: ToolCreate, db: DB, _: Editor) -> ToolOut:
    _check_name(db, body.name)
    tool = Tool(**body.model_dump())
    db.add(tool)
    db.commit()
    return tool_out(tool)


@router.patch("/{tool_id}", response_model=ToolOut)
def update_tool(tool_id: int, body: ToolUpdate, db: DB, _: Editor) -> ToolOut:
    tool = _get(db, tool_id)
    for field, value in body.model_dump(exclude_unset=True).items():
        if value is None and field in ("name", "function_name", "is_active"):
            raise FieldError(("body", field), f"{field} cannot be null")
        if field == "name":
            _check_name(db, value, tool_id)
        setattr(tool, field, value)
    db.commit()
    return tool_out(tool)


@router.delete("/{tool_id}", response_model=Deleted)
def delete_tool(tool_id: int, db: DB, _: Editor) -> Deleted:
    db.delete(_get(db, tool_id))
    db.commit()
    return Deleted()
