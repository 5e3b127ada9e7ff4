"""Lint, publish, versions, the diff between two of them, and rollback."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from rataura2.api.auth import Editor, Viewer
from rataura2.api.deps import DB, IfMatch, RowId, set_etag
from rataura2.api.errors import FieldError
from rataura2.api.schemas.versions import FindingOut, LintOut, PublishOut, VersionDetail, VersionDiff, VersionOut
from rataura2.api.state import ApiState, api_state
from rataura2.api.views import get_conversation
from rataura2.db.lint import lint_conversation
from rataura2.db.models import ConversationVersion
from rataura2.document.apply import apply_document
from rataura2.document.diff import diff_documents
from rataura2.document.export import document_from_spec, export_document
from rataura2.document.model import ConversationDocument, Position
from rataura2.errors import UnknownVersionError
from rataura2.lint import Finding
from rataura2.persistence.versions import latest_version, publish
from rataura2.vocabulary import DRAFT

router = APIRouter(prefix="/api/v1/conversations/{conversation_id}", tags=["versions"])


def _finding(f: Finding) -> FindingOut:
    return FindingOut(
        severity=f.severity.value,
        code=f.code,
        message=f.message,
        hint=f.hint,
        agent_ids=list(f.agent_ids),
        transition_ids=list(f.transition_ids),
    )


_LINT_REPORTS_KEPT = 256


@router.get("/lint", response_model=LintOut)
def lint(
    conversation_id: RowId, db: DB, response: Response, _: Viewer, state: Annotated[ApiState, Depends(api_state)]
) -> LintOut:
    conversation = get_conversation(db, conversation_id)
    set_etag(response, conversation.revision)
    key = (conversation_id, conversation.revision)
    answer: LintOut | None = state.lint_reports.get(key)
    if answer is None:
        report = lint_conversation(db, conversation_id)
        answer = LintOut(
            ok=not report.errors, revision=conversation.revision, findings=[_finding(f) for f in report.findings]
        )
        if len(state.lint_reports) >= _LINT_REPORTS_KEPT:
            state.lint_reports.clear()
        state.lint_reports[key] = answer
    return answer


@router.post("/publish", response_model=PublishOut)
def publish_conversation(conversation_id: RowId, db: DB, _: Editor) -> PublishOut:
    """Publish the definition as a new version (if it changed since the latest); 422 if it does not compile."""
    get_conversation(db, conversation_id)
    before = latest_version(db, conversation_id)
    published = publish(db, conversation_id)
    return PublishOut(
        conversation_id=conversation_id,
        version=published.version,
        created=before is None or before.version != published.version,
    )


@router.get("/versions", response_model=list[VersionOut])
def list_versions(conversation_id: RowId, db: DB, _: Viewer) -> list[VersionOut]:
    get_conversation(db, conversation_id)
    rows = list(
        db.scalars(
            select(ConversationVersion)
            .where(ConversationVersion.conversation_id == conversation_id)
            .order_by(ConversationVersion.version.desc())
        )
    )
    return [
        VersionOut(
            version=r.version,
            created_at=r.created_at,
            digest=r.digest,
            agent_count=len(r.spec["agents"]),
            transition_count=len(r.spec["transitions"]),
            latest=i == 0,
        )
        for i, r in enumerate(rows)
    ]


def _version_number(raw: str, field: str) -> int | None:
    if raw == DRAFT:
        return None
    if not raw.isdigit():
        raise FieldError(("path", field), f"a version number or {DRAFT!r}, got {raw!r}")
    return int(raw)


def _version_row(db: Session, conversation_id: int, version: int) -> ConversationVersion:
    row = db.scalars(
        select(ConversationVersion).where(
            ConversationVersion.conversation_id == conversation_id, ConversationVersion.version == version
        )
    ).first()
    if row is None:
        raise UnknownVersionError(f"conversation {conversation_id} has no version {version}")
    return row


def _document(db: Session, conversation_id: int, version: int | None) -> ConversationDocument:
    if version is None:
        return export_document(db, get_conversation(db, conversation_id))
    return document_from_spec(_version_row(db, conversation_id, version).spec)


@router.get("/versions/{version}", response_model=VersionDetail)
def read_version(conversation_id: RowId, version: int, db: DB, _: Viewer) -> VersionDetail:
    get_conversation(db, conversation_id)
    row = _version_row(db, conversation_id, version)
    return VersionDetail(version=row.version, created_at=row.created_at, document=document_from_spec(row.spec))


@router.get("/versions/{a}/diff/{b}", response_model=VersionDiff)
def diff_versions(conversation_id: RowId, a: str, b: str, db: DB, _: Viewer) -> VersionDiff:
    """What changed from version ``a`` to version ``b`` (either may be ``draft``, the current definition)."""
    first, second = _version_number(a, "a"), _version_number(b, "b")
    get_conversation(db, conversation_id)
    diff = diff_documents(_document(db, conversation_id, first), _document(db, conversation_id, second))
    return VersionDiff.model_validate(
        {"from_version": DRAFT if first is None else first, "to_version": DRAFT if second is None else second, **diff}
    )


@router.post("/versions/{version}/rollback", response_model=PublishOut)
def rollback(
    conversation_id: RowId, version: int, db: DB, expected: IfMatch, response: Response, _: Editor
) -> PublishOut:
    """Make the definition what version ``version`` was (layout kept) and publish it as a new version."""
    conversation = get_conversation(db, conversation_id)
    document = document_from_spec(_version_row(db, conversation_id, version).spec)
    current = export_document(db, conversation)
    placed: dict[str, Position | None] = {a.name: a.position for a in current.agents}
    active = {a.name: a.is_active for a in current.agents}
    document = document.model_copy(
        update={
            "name": conversation.name,
            "is_active": conversation.is_active,
            "agents": [
                a.model_copy(update={"position": placed.get(a.name), "is_active": active.get(a.name, True)})
                for a in document.agents
            ],
        }
    )
    apply_document(db, document, conversation=conversation, expected_revision=expected)
    db.commit()
    before = latest_version(db, conversation_id)
    published = publish(db, conversation_id)
    db.refresh(conversation)
    set_etag(response, conversation.revision)
    return PublishOut(
        conversation_id=conversation_id,
        version=published.version,
        created=before is None or before.version != published.version,
    )
