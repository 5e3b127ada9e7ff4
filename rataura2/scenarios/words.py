"""Transitions in words, for reports: the condition as its kind describes it, the priority, the designer's
description."""

from __future__ import annotations

from rataura2.core.conditions.base import describe_condition
from rataura2.core.graph import CompiledGraph
from rataura2.core.spec import TransitionSpec


def condition_words(t: TransitionSpec) -> str:
    text = describe_condition(t)
    if t.priority:
        text += f", priority {t.priority}"
    return f"{text} ({t.description})" if t.description else text


def transition_words(graph: CompiledGraph, t: TransitionSpec) -> str:
    """``transition 7: General -> Exploration, event custom (The game client reports a wormhole scan.)``"""
    source, target = graph.get_agent(t.source_agent_id).name, graph.get_agent(t.target_agent_id).name
    return f"transition {t.id}: {source} -> {target}, {condition_words(t)}"
