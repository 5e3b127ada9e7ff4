"""A conversation document as the graph spec that lint and the scenario runner read, without a database.

Ids are given in document order: agent N is the document's Nth agent, transition N its Nth transition and tool N
its Nth tool, so a finding about "transition 3" points at the third transition of the file. Names are checked as
an import checks them (:func:`~rataura2.document.apply.check_references`); conditions and rule sets are not: lint
reports those, all of them, rather than stopping at the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from rataura2.core.spec import AgentSpec, GraphSpec, ToolSpec, TransitionSpec, frozen
from rataura2.document.apply import check_references
from rataura2.document.export import TRANSITION_TO_AGENT
from rataura2.document.model import ConversationDocument


def graph_spec_of(document: ConversationDocument) -> GraphSpec:
    """The graph ``document`` describes; :class:`~rataura2.errors.InvalidDocumentError` for a name it uses and
    does not define."""
    check_references(document)
    tool_ids = {t.name: number for number, t in enumerate(document.tools, start=1)}
    agent_ids = {a.name: number for number, a in enumerate(document.agents, start=1)}
    tools = {
        tool_ids[t.name]: ToolSpec(
            tool_ids[t.name], t.name, t.function_name, t.description, frozen(t.parameters_schema)
        )
        for t in document.tools
    }
    agents = {
        agent_ids[a.name]: AgentSpec(
            id=agent_ids[a.name],
            name=a.name,
            instructions=a.instructions,
            agent_type=str(a.agent_type),
            description=a.description,
            llm_provider=str(a.llm_provider),
            llm_model=a.llm_model,
            stt_provider=str(a.stt_provider),
            stt_model=a.stt_model,
            tts_provider=str(a.tts_provider),
            tts_model=a.tts_model,
            config=frozen(a.config),
            tool_ids=tuple(tool_ids[name] for name in a.tools),
        )
        for a in document.agents
    }
    transitions = tuple(
        TransitionSpec(
            id=number,
            source_agent_id=agent_ids[t.source],
            target_agent_id=agent_ids[t.target],
            condition_type=str(t.condition_type),
            condition_data=frozen(t.condition_data),
            priority=t.priority,
            description=t.description,
            tool_id=tool_ids[t.tool] if t.tool is not None else None,
            rules=tuple(_with_ids(rule, agent_ids) for rule in t.rules) if t.rules is not None else None,
        )
        for number, t in enumerate(document.transitions, start=1)
    )
    return GraphSpec(
        conversation_id=0,
        name=document.name,
        initial_agent_id=agent_ids.get(document.initial_agent or "", 0),
        agents=frozen(agents),  # type: ignore[arg-type]
        transitions=transitions,
        tools=frozen(tools),  # type: ignore[arg-type]
        description=document.description,
        config=frozen(document.config),
    )


def _with_ids(rule: Mapping[str, Any], agent_ids: Mapping[str, int]) -> Mapping[str, Any]:
    """A document's rule with ``transition_to_agent`` naming its agent by id, as stored rules do (a name the
    document does not define is left as it is, for lint to report)."""
    actions = []
    for action in rule.get("actions") or ():
        params = action.get("params") if isinstance(action, Mapping) else None
        if isinstance(params, Mapping) and action.get("name") == TRANSITION_TO_AGENT and "agent" in params:
            named = dict(params)
            name = named.pop("agent")
            action = {**action, "params": {"agent_id": agent_ids.get(name, name), **named}}
        actions.append(action)
    return {**rule, "actions": actions}


def document_lines(text: str) -> dict[str, int]:
    """``{"agent:3": line, "transition:7": line}`` (1-based lines; ids in document order, as
    :func:`rataura2.document.spec.graph_spec_of` gives them); empty when the text does not parse."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    lines: dict[str, int] = {}
    for key, value in root.value:
        kind = {"agents": "agent", "transitions": "transition"}.get(str(key.value))
        if kind is not None and isinstance(value, yaml.SequenceNode):
            for number, item in enumerate(value.value, start=1):
                lines[f"{kind}:{number}"] = item.start_mark.line + 1
    return lines
