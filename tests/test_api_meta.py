"""``GET /api/v1/meta``: what the studio's pick-lists offer, read from the tables that define it; every option it
offers is one the API accepts."""

from __future__ import annotations

from typing import Any

from rataura2.vocabulary.enums import LLMProvider, Role, STTProvider, TTSProvider
from tests.api_support import build_help_desk, running_api


def _enum(schema: dict[str, Any], field: str) -> list[str]:
    prop = schema["properties"][field]
    for option in [prop, *prop.get("anyOf", [])]:
        if "enum" in option:
            return [str(v) for v in option["enum"]]
        if "$ref" in option:
            return [str(v) for v in schema["$defs"][option["$ref"].split("/")[-1]]["enum"]]
    raise AssertionError(f"{field} has no enum")


async def test_every_option_the_meta_offers_is_accepted_by_the_api(database_url: str) -> None:
    async with running_api(database_url) as api:
        async with api.client(Role.VIEWER) as viewer:
            answer = await viewer.get("/api/v1/meta")
        assert answer.status_code == 200, answer.text
        meta = answer.json()
        assert meta["features"] == {"chat": True, "session_versions": True, "editors_run_sessions": True}
        enums, conditions = meta["enums"], meta["conditions"]
        assert set(conditions) == set(enums["condition_type"]) and "business_rules" in conditions
        assert "participant_disconnected" in enums["livekit_event"] and "user_message" in enums["event_type"]
        assert "context_update" in meta["triggers"]["names"] and "user_message" in meta["triggers"]["default"]
        for kind, providers in (("llm", LLMProvider), ("stt", STTProvider), ("tts", TTSProvider)):
            assert set(meta["models"][kind]) <= {p.value for p in providers}, kind
            assert enums[f"{kind}_provider"] == [p.value for p in providers]

        async with api.client(Role.EDITOR) as http:
            ids = await build_help_desk(http)
            cid, tid = ids["conversation"], ids["to_billing"]
            url = f"/api/v1/conversations/{cid}/transitions/{tid}"
            offered: list[tuple[str, dict[str, Any]]] = []
            offered += [("user_input", {"pattern": "x", "match": m}) for m in _enum(conditions["user_input"], "match")]
            tool = await http.post("/api/v1/tools", json={"name": "lookup", "function_name": "lookup"})
            assert tool.status_code == 201, tool.text
            front = f"/api/v1/conversations/{cid}/agents/{ids['Front']}"
            assert (await http.patch(front, json={"tool_ids": [tool.json()["id"]]})).status_code == 200
            expected = {"regex": "^a", "in": [1, 2], "contains": "a", "not_contains": "a", "exists": None}
            offered += [
                ("tool_result", {"tool_name": "lookup", "operator": o, "expected_value": expected.get(o, 1)})
                for o in _enum(conditions["tool_result"], "operator")
            ]
            offered += [("livekit_event", {"event_name": n}) for n in enums["livekit_event"]]
            offered += [
                ("event", {"event_type": t, "scope": "since_entered", "triggers": meta["triggers"]["names"][:3]})
                for t in enums["event_type"]
                if t != "transition"
            ]
            for condition_type, data in offered:
                changed = await http.patch(url, json={"condition_type": condition_type, "condition_data": data})
                assert changed.status_code == 200, (condition_type, data, changed.text)
            for agent_type in enums["agent_type"]:
                changed = await http.patch(
                    f"/api/v1/conversations/{cid}/agents/{ids['Sales']}", json={"agent_type": agent_type}
                )
                assert changed.status_code == 200, (agent_type, changed.text)
