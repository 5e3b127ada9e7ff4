"""Writing a document into the database: the conversation becomes what the document says, all or nothing.

Agents are matched by name among the conversation's own, tools by name (they are shared), and transitions by their
source and target and their order among the transitions between that pair, so that editing a document in place
keeps database ids (and what sessions, logs and diffs refer to). Every check the Python API makes on the way in
(condition data, rule sets, enum fields) is made here by the same code: the models' hooks and the rules adapter.
Applying a document that matches the database changes nothing, not even the revision.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rataura2.db.models import Agent, ConditionType, Conversation, Tool, Transition
from rataura2.document.export import (
    TRANSITION_TO_AGENT,
    conversation_agents_in_order,
    conversation_transitions,
    export_document,
)
from rataura2.document.model import AgentDocument, ConversationDocument, TransitionDocument
from rataura2.editing.layout import set_positions
from rataura2.editing.membership import remove_agent
from rataura2.editing.revision import bump_revision, check_revision
from rataura2.errors import InvalidConditionError, InvalidDocumentError, InvalidRulesError, NameTakenError
from rataura2.rules.repository import assign_business_rules

BUSINESS_RULES = ConditionType.BUSINESS_RULES.value


@dataclass(frozen=True, slots=True)
class Applied:
    conversation: Conversation
    changed: bool
    created: bool


def check_references(document: ConversationDocument) -> None:
    """Names are unique where they must be and every name used is defined; the first problem is raised with its
    path."""
    tools = [t.name for t in document.tools]
    agents = [a.name for a in document.agents]
    for kind, names in (("tools", tools), ("agents", agents)):
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name in seen:
                raise InvalidDocumentError((kind, index, "name"), f"{name!r} is defined twice")
            seen.add(name)
    if document.initial_agent is not None and document.initial_agent not in agents:
        raise InvalidDocumentError(("initial_agent",), f"no agent named {document.initial_agent!r}")
    for index, agent in enumerate(document.agents):
        for t_index, tool in enumerate(agent.tools):
            if tool not in tools:
                raise InvalidDocumentError(("agents", index, "tools", t_index), f"no tool named {tool!r}")
    for index, t in enumerate(document.transitions):
        for field in ("source", "target"):
            if getattr(t, field) not in agents:
                raise InvalidDocumentError(("transitions", index, field), f"no agent named {getattr(t, field)!r}")
        if t.tool is not None and t.tool not in tools:
            raise InvalidDocumentError(("transitions", index, "tool"), f"no tool named {t.tool!r}")
        is_rules = t.condition_type == BUSINESS_RULES
        if is_rules and not t.rules:
            raise InvalidDocumentError(("transitions", index, "rules"), "a business_rules transition needs rules")
        if not is_rules and t.rules is not None:
            raise InvalidDocumentError(
                ("transitions", index, "rules"), f"only business_rules transitions have rules, not {t.condition_type}"
            )


def _rules_by_id(rules: list[dict[str, Any]], ids: dict[str, int], path: tuple[str | int, ...]) -> list[Any]:
    """The document's rules with ``{"agent": NAME}`` turned into the stored ``{"agent_id": ID}``."""
    out: list[Any] = []
    for r_index, rule in enumerate(rules):
        actions = rule.get("actions")
        if not isinstance(actions, list):
            out.append(rule)  # the rules validation says what is wrong with it
            continue
        converted = []
        for a_index, action in enumerate(actions):
            params = action.get("params") if isinstance(action, dict) else None
            if isinstance(params, dict) and action.get("name") == TRANSITION_TO_AGENT and "agent" in params:
                params = dict(params)
                name = params.pop("agent")
                if name not in ids:
                    where = (*path, r_index, "actions", a_index, "params", "agent")
                    raise InvalidDocumentError(where, f"no agent named {name!r} in the document")
                action = {**action, "params": {"agent_id": ids[name], **params}}
            converted.append(action)
        out.append({**rule, "actions": converted})
    return out


class _Writer:
    def __init__(self, db: Session, conversation: Conversation, document: ConversationDocument) -> None:
        self.db = db
        self.conversation = conversation
        self.document = document
        self.tools: dict[str, Tool] = {}
        self.agents: dict[str, Agent] = {}

    def write(self) -> None:
        doc, conv = self.document, self.conversation
        conv.name = doc.name
        conv.description = doc.description
        conv.is_active = doc.is_active
        conv.config = doc.config
        self.write_tools()
        self.write_agents()
        conv.initial_agent = self.agents[doc.initial_agent] if doc.initial_agent is not None else None
        self.db.flush()
        set_positions(
            self.db,
            conv.id,
            {
                self.agents[a.name].id: (a.position.x, a.position.y) if a.position is not None else None
                for a in doc.agents
            },
        )
        self.write_transitions()
        self.db.flush()

    def write_tools(self) -> None:
        names = [t.name for t in self.document.tools]
        existing = {t.name: t for t in self.db.scalars(select(Tool).where(Tool.name.in_(names)))} if names else {}
        for tool_doc in self.document.tools:
            tool = existing.get(tool_doc.name) or Tool(name=tool_doc.name)
            tool.function_name = tool_doc.function_name
            tool.description = tool_doc.description
            tool.parameters_schema = tool_doc.parameters_schema
            tool.is_active = tool_doc.is_active
            self.db.add(tool)
            self.tools[tool.name] = tool

    def write_agents(self) -> None:
        conv = self.conversation
        current = {a.name: a for a in conversation_agents_in_order(conv)} if conv.id is not None else {}
        wanted = {a.name for a in self.document.agents}
        for name, agent in current.items():
            if name not in wanted:
                remove_agent(self.db, conv, agent)
        for agent_doc in self.document.agents:
            agent = current.get(agent_doc.name) or Agent(name=agent_doc.name)
            self._set_agent(agent, agent_doc)
            if agent not in conv.agents:
                conv.agents.append(agent)
            self.agents[agent.name] = agent

    def _set_agent(self, agent: Agent, doc: AgentDocument) -> None:
        for field in AgentDocument.model_fields:
            if field not in ("name", "tools", "position"):
                setattr(agent, field, getattr(doc, field))
        agent.tools = [self.tools[name] for name in doc.tools]

    def write_transitions(self) -> None:
        ids = {name: agent.id for name, agent in self.agents.items()}
        existing: defaultdict[tuple[int, int], list[Transition]] = defaultdict(list)
        for row in conversation_transitions(self.db, list(ids.values())):
            existing[(row.source_agent_id, row.target_agent_id)].append(row)
        for index, t_doc in enumerate(self.document.transitions):
            pair = (ids[t_doc.source], ids[t_doc.target])
            rows = existing.get(pair)
            row = rows.pop(0) if rows else Transition(source_agent_id=pair[0], target_agent_id=pair[1])
            self._set_transition(index, row, t_doc, ids)
        for rows in existing.values():
            for row in rows:
                self.db.delete(row)

    def _set_transition(self, index: int, row: Transition, doc: TransitionDocument, ids: dict[str, int]) -> None:
        path: tuple[str | int, ...] = ("transitions", index)
        row.condition_type = doc.condition_type
        row.condition_data = doc.condition_data
        row.priority = doc.priority
        row.description = doc.description
        row.tool = self.tools[doc.tool] if doc.tool is not None else None
        if doc.rules is None and row.business_rules is not None:
            row.business_rules = None
        self.db.add(row)
        try:
            self.db.flush()  # the condition is checked here, by the model's own hook
            if doc.rules is not None:
                rules = _rules_by_id(doc.rules, ids, (*path, "rules"))
                assign_business_rules(self.db, row, rules)
                self.db.flush()
        except InvalidConditionError as exc:
            raise InvalidDocumentError((*path, "condition_data"), str(exc)) from None
        except InvalidRulesError as exc:
            first = exc.problems[0]
            where = (*path, "rules") if first.rule is None else (*path, "rules", first.rule - 1)
            raise InvalidDocumentError(where, str(exc)) from None


def find_by_name(db: Session, name: str) -> Conversation | None:
    return db.scalars(select(Conversation).where(Conversation.name == name)).first()


def apply_document(
    db: Session,
    document: ConversationDocument,
    *,
    conversation: Conversation | None = None,
    expected_revision: int | None = None,
) -> Applied:
    """Make ``conversation`` (default: the one named as the document, created if there is none) what the
    document says, in ``db``'s transaction (the caller commits, or rolls back on an error). With
    ``expected_revision``, :class:`StaleRevisionError` if the conversation has moved on."""
    check_references(document)
    if conversation is None:
        conversation = find_by_name(db, document.name)
    elif conversation.name != document.name:
        other = find_by_name(db, document.name)
        if other is not None and other.id != conversation.id:
            raise NameTakenError(f"another conversation is named {document.name!r}")
    if conversation is None:
        conversation = Conversation(name=document.name, agents=[])
        db.add(conversation)
        _Writer(db, conversation, document).write()
        return Applied(conversation, changed=True, created=True)
    revision = check_revision(db, conversation.id, expected_revision)
    before = export_document(db, conversation)
    _Writer(db, conversation, document).write()
    db.expire(conversation)
    if export_document(db, conversation) == before:
        return Applied(conversation, changed=False, created=False)
    bump_revision(db, conversation.id, revision)
    return Applied(conversation, changed=True, created=False)
