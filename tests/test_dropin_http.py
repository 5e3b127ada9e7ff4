"""The original project's business-rules HTTP routes, as its clients call them, through our app (the original's
router lives at ``rataura2.api.business_rules``; our app serves it under ``/api`` and asks for a token).

The agents and transitions are made as the original's scripts made them, rows through ``SessionLocal``-style
sessions, in no conversation; every request then goes over HTTP to the real ASGI app, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from rataura2.db.models.agent import Agent, AgentType, Transition
from rataura2.transitions.business_rules_adapter import TransitionController
from rataura2.vocabulary.enums import Role
from tests.api_support import running_api

BASE = "/api/business-rules"


def _rows(db: Session) -> dict[str, int]:
    general = Agent(name="General Agent", instructions="General.", agent_type=AgentType.GENERAL.value)
    combat = Agent(name="Combat Agent", instructions="Combat.", agent_type=AgentType.COMBAT.value)
    db.add_all([general, combat])
    db.commit()
    edge = Transition(
        source_agent_id=general.id, target_agent_id=combat.id, condition_type="business_rules", priority=10
    )
    db.add(edge)
    db.commit()
    return {"general": general.id, "combat": combat.id, "edge": edge.id}


def _rules(word: str, agent_id: int) -> list[dict[str, Any]]:
    return [
        {
            "conditions": {"all": [{"name": "user_input", "operator": "contains", "value": word}]},
            "actions": [{"name": "transition_to_agent", "params": {"agent_id": agent_id}}, {"name": "log_transition"}],
        }
    ]


async def test_the_original_routes_read_save_list_and_delete_rules(database_url: str) -> None:
    async with running_api(database_url) as api, api.client(Role.EDITOR) as http:
        with api.app.state.api.sessions() as db:
            ids = _rows(db)
        rules_url = f"{BASE}/transition/{ids['edge']}/rules"

        config = (await http.get(f"{BASE}/ui-config")).json()
        assert {"variables", "actions", "variable_type_operators"} <= set(config)
        log = next(a for a in config["actions"] if a["name"] == "log_transition")
        assert log["params"][0]["required"] is False

        missing = await http.get(rules_url)
        assert (missing.status_code, missing.json()) == (404, {"detail": "Rules not found"})

        first = _rules("combat", ids["combat"])
        saved = await http.post(rules_url, params={"rules_json": json.dumps(first)})  # the original's query string
        assert saved.status_code == 200, saved.text
        answer = saved.json()
        stored = [{**first[0], "actions": [first[0]["actions"][0], {"name": "log_transition", "params": {}}]}]
        assert answer["rules_definition"] == json.loads(answer["rules_json"]) == stored  # normalised: params {}
        assert answer["transition_id"] == ids["edge"]
        assert (await http.get(rules_url)).json()["id"] == answer["id"]

        with api.app.state.api.sessions() as db:  # the rules saved over HTTP decide for the Python API too
            decision = TransitionController(db).check_transitions(ids["general"], {"user_input": "combat please"})
            assert decision["next_agent_id"] == ids["combat"]
            assert "log: transition triggered by business rules" in decision["reason"]
            assert TransitionController(db).check_transitions(ids["general"], {"user_input": "hello"}) == {}

        second = _rules("pvp", ids["combat"])
        replaced = (await http.post(rules_url, params={"rules_json": json.dumps(second)})).json()
        assert replaced["id"] == answer["id"]
        assert replaced["rules_definition"][0]["conditions"]["all"][0]["value"] == "pvp"

        (listed,) = (await http.get(f"{BASE}/transitions/{ids['general']}")).json()
        assert {k: listed[k] for k in ("id", "target_agent_id", "target_agent_name", "condition_type", "priority")} == {
            "id": ids["edge"],
            "target_agent_id": ids["combat"],
            "target_agent_name": "Combat Agent",
            "condition_type": "business_rules",
            "priority": 10,
        }
        assert listed["has_business_rules"] is True
        assert listed["business_rules"]["rules_definition"] == replaced["rules_definition"]
        assert (await http.get(f"{BASE}/transitions/{ids['combat']}")).json() == []

        deleted = await http.delete(rules_url)
        assert (deleted.status_code, deleted.json()) == (200, {"success": True})
        assert (await http.get(rules_url)).status_code == 404
        again = await http.delete(rules_url)
        assert (again.status_code, again.json()) == (404, {"detail": "Rules not found"})


async def test_the_original_routes_refuse_bad_rules_and_keep_the_stored_ones(database_url: str) -> None:
    async with running_api(database_url) as api, api.client(Role.EDITOR) as http:
        with api.app.state.api.sessions() as db:
            ids = _rules_and_rows(db)
        rules_url = f"{BASE}/transition/{ids['edge']}/rules"
        before = (await http.get(rules_url)).json()

        bad_json = await http.post(rules_url, params={"rules_json": "[{"})
        assert bad_json.status_code == 422 and "not valid JSON" in bad_json.text  # the original answered 400
        unknown = [{"conditions": {"name": "mood", "operator": "contains", "value": "x"}, "actions": []}]
        refused = await http.post(rules_url, params={"rules_json": json.dumps(unknown)})
        assert refused.status_code == 422
        problems = " ".join(item["msg"] for item in refused.json()["detail"])
        assert "unknown variable 'mood'" in problems and "must be a non-empty list of actions" in problems
        elsewhere = await http.post(rules_url, params={"rules_json": json.dumps(_rules("x", ids["general"]))})
        assert elsewhere.status_code == 422 and "no rule moves the session to agent" in elsewhere.text

        assert (await http.get(rules_url)).json() == before
        assert (await http.post(f"{BASE}/transition/999999/rules", params={"rules_json": "[]"})).status_code == 404
        assert (await http.get(f"{BASE}/transitions/999999")).status_code == 404  # the original answered []

    async with running_api(database_url) as api, api.client(Role.VIEWER) as viewer:
        assert (await viewer.get(f"{BASE}/ui-config")).status_code == 200
        assert (await viewer.delete(f"{BASE}/transition/{ids['edge']}/rules")).status_code == 403


def _rules_and_rows(db: Session) -> dict[str, int]:
    from rataura2.transitions.api import create_or_update_transition_rules

    ids = _rows(db)
    create_or_update_transition_rules(db, ids["edge"], json.dumps(_rules("combat", ids["combat"])))
    return ids
