"""Conversation documents over HTTP: export (JSON or YAML), import (atomic, idempotent), and their JSON Schema."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from rataura2.api.auth import Editor, Viewer
from rataura2.api.deps import DB, IfMatch
from rataura2.api.schemas.versions import ImportOut
from rataura2.api.state import api_state
from rataura2.api.views import conversation_out, get_conversation
from rataura2.document import codec
from rataura2.document.apply import apply_document
from rataura2.document.export import export_document
from rataura2.document.model import ConversationDocument, document_schema
from rataura2.persistence.versions import publish

router = APIRouter(tags=["documents"])
SCHEMA_PATH = "/api/v1/schema/conversation-document.json"
_DOCUMENT_REF = {"$ref": "#/components/schemas/ConversationDocument"}
_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _DOCUMENT_REF}, "application/yaml": {"schema": _DOCUMENT_REF}},
    }
}
_YAML_ANSWER = {200: {"content": {"application/yaml": {"schema": _DOCUMENT_REF}}}}


def _wants_yaml(accept: str | None) -> bool:
    return accept is not None and any(t in accept for t in codec.YAML_TYPES)


def _body_format(content_type: str | None) -> str:
    return "yaml" if content_type is not None and any(t in content_type for t in codec.YAML_TYPES) else "json"


@router.get(SCHEMA_PATH, tags=["documents"])
def conversation_document_schema() -> dict[str, Any]:
    """The JSON Schema of conversation documents (no token needed)."""
    return document_schema()


@router.get(
    "/api/v1/conversations/{conversation_id}/document",
    response_model=ConversationDocument,
    responses=_YAML_ANSWER,  # type: ignore[arg-type]
)
def read_document(
    conversation_id: int,
    db: DB,
    _: Viewer,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    conversation = get_conversation(db, conversation_id)
    document = export_document(db, conversation)
    fmt = "yaml" if _wants_yaml(accept) else "json"
    media = "application/yaml" if fmt == "yaml" else "application/json"
    return Response(codec.dump(document, fmt), media_type=media, headers={"ETag": f'"{conversation.revision}"'})


def _import(
    db: Session, document: ConversationDocument, conversation_id: int | None, expected: int | None, publish_it: bool
) -> ImportOut:
    conversation = get_conversation(db, conversation_id) if conversation_id is not None else None
    applied = apply_document(db, document, conversation=conversation, expected_revision=expected)
    db.commit()
    version = publish(db, applied.conversation).version if publish_it else None
    return ImportOut(
        conversation=conversation_out(db, applied.conversation),
        changed=applied.changed,
        created=applied.created,
        version=version,
    )


async def _read(request: Request, content_type: str | None) -> ConversationDocument:
    return codec.load(await request.body(), _body_format(content_type))


def _answer(out: ImportOut) -> JSONResponse:
    return JSONResponse(
        out.model_dump(mode="json"),
        status_code=201 if out.created else 200,
        headers={"ETag": f'"{out.conversation.revision}"'},
    )


@router.put(
    "/api/v1/conversations/{conversation_id}/document",
    response_model=ImportOut,
    openapi_extra=_BODY,
    responses={201: {"model": ImportOut}},
)
async def replace_document(
    conversation_id: int,
    request: Request,
    expected: IfMatch,
    _: Editor,
    content_type: Annotated[str | None, Header()] = None,
    publish_: Annotated[bool, Query(alias="publish")] = False,
) -> JSONResponse:
    """Make the conversation what the document says (JSON, or YAML by Content-Type), all or nothing."""
    document = await _read(request, content_type)

    def work() -> ImportOut:
        with api_state(request).sessions() as db:
            return _import(db, document, conversation_id, expected, publish_)

    return _answer(await run_in_threadpool(work))


@router.post("/api/v1/documents", response_model=ImportOut, openapi_extra=_BODY, responses={201: {"model": ImportOut}})
async def import_document(
    request: Request,
    _: Editor,
    content_type: Annotated[str | None, Header()] = None,
    publish_: Annotated[bool, Query(alias="publish")] = False,
) -> JSONResponse:
    """Import a document by its name: creates the conversation (201) or makes the one of that name what it says."""
    document = await _read(request, content_type)

    def work() -> ImportOut:
        with api_state(request).sessions() as db:
            return _import(db, document, None, None, publish_)

    return _answer(await run_in_threadpool(work))
