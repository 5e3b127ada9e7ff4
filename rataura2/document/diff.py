"""What changed between two documents (two versions, or a version and the draft): agents, tools, transitions and
rule sets added, removed or changed, field by field.

Agents and tools are told apart by name; transitions as in documents, by source, target and their index among the
transitions between that pair. Layout and ``is_active`` flags are not part of a published graph and are left out.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rataura2.document.model import ConversationDocument, TransitionDocument

IGNORED = frozenset({"position", "is_active"})
TransitionKey = tuple[str, str, int]


def _fields(before: dict[str, Any], after: dict[str, Any], skip: frozenset[str] = IGNORED) -> dict[str, Any]:
    return {
        k: {"from": before.get(k), "to": after.get(k)}
        for k in dict.fromkeys([*before, *after])
        if k not in skip and before.get(k) != after.get(k)
    }


def _named(before: list[Any], after: list[Any]) -> dict[str, list[Any]]:
    old = {item.name: item.model_dump(mode="json") for item in before}
    new = {item.name: item.model_dump(mode="json") for item in after}
    changed = []
    for name in new:
        if name in old:
            fields = _fields(old[name], new[name], IGNORED | {"name"})
            if fields:
                changed.append({"name": name, "fields": fields})
    return {
        "added": [n for n in new if n not in old],
        "removed": [n for n in old if n not in new],
        "changed": changed,
    }


def keyed_transitions(document: ConversationDocument) -> dict[TransitionKey, TransitionDocument]:
    counts: defaultdict[tuple[str, str], int] = defaultdict(int)
    out = {}
    for t in document.transitions:
        pair = (t.source, t.target)
        out[(*pair, counts[pair])] = t
        counts[pair] += 1
    return out


def _ref(key: TransitionKey, t: TransitionDocument) -> dict[str, Any]:
    return {"source": key[0], "target": key[1], "index": key[2], "condition_type": t.condition_type}


def diff_documents(before: ConversationDocument, after: ConversationDocument) -> dict[str, Any]:
    old, new = keyed_transitions(before), keyed_transitions(after)
    transitions: dict[str, list[Any]] = {
        "added": [_ref(k, t) for k, t in new.items() if k not in old],
        "removed": [_ref(k, t) for k, t in old.items() if k not in new],
        "changed": [],
    }
    rules: dict[str, list[Any]] = {"added": [], "removed": [], "changed": []}
    for key, t in new.items():
        if key not in old:
            if t.rules is not None:
                rules["added"].append({**_ref(key, t), "to": t.rules})
            continue
        was = old[key]
        fields = _fields(was.model_dump(mode="json"), t.model_dump(mode="json"), IGNORED | {"rules"})
        if fields:
            transitions["changed"].append({**_ref(key, t), "fields": fields})
        if was.rules != t.rules:
            entry = {**_ref(key, t), "from": was.rules, "to": t.rules}
            rules["added" if was.rules is None else "removed" if t.rules is None else "changed"].append(entry)
    for key, t in old.items():
        if key not in new and t.rules is not None:
            rules["removed"].append({**_ref(key, t), "from": t.rules})
    conversation = _fields(
        before.model_dump(mode="json", exclude={"tools", "agents", "transitions"}),
        after.model_dump(mode="json", exclude={"tools", "agents", "transitions"}),
    )
    return {
        "conversation": {"changed": conversation},
        "agents": _named(before.agents, after.agents),
        "tools": _named(before.tools, after.tools),
        "transitions": transitions,
        "rules": rules,
    }
