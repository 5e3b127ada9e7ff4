"""The HTTP API end to end, through the real ASGI app: a conversation built, linted, published and run over HTTP,
edits guarded by revisions, validation answered with the field at fault and nothing stored."""

from __future__ import annotations

from typing import Any

from tests.api_support import build_help_desk, running_api


async def test_a_conversation_made_over_http_runs_a_session_that_hands_over_with_its_reason(database_url: str) -> None:
    async with running_api(database_url) as api, api.client() as http:
        ids = await build_help_desk(http)
        cid = ids["conversation"]

        lint = (await http.get(f"/api/v1/conversations/{cid}/lint")).json()
        assert lint["ok"] is True
        dead_ends = {f["agent_ids"][0] for f in lint["findings"] if f["code"] == "dead_end"}
        assert dead_ends == {ids["Billing"], ids["Sales"]}

        published = (await http.post(f"/api/v1/conversations/{cid}/publish")).json()
        assert published == {"conversation_id": cid, "version": 1, "created": True}
        again = (await http.post(f"/api/v1/conversations/{cid}/publish")).json()
        assert again["created"] is False and again["version"] == 1

        created = await http.post("/api/v1/sessions", json={"conversation_id": cid, "session_id": "web:1"})
        assert created.status_code == 201, created.text
        assert created.json()["current_agent_name"] == "Front" and created.json()["version"] == 1

        hello = {"id": "m1", "type": "user_message", "data": {"message": "hello there"}}
        quiet = (await http.post("/api/v1/sessions/web:1/events", json=hello)).json()
        assert quiet["status"] == "no_transition" and quiet["current_agent_name"] == "Front"

        invoice = {"id": "m2", "type": "USER_MESSAGE", "data": {"message": "my invoice is wrong"}, "source": "web"}
        moved = (await http.post("/api/v1/sessions/web:1/events", json=invoice)).json()
        assert moved["status"] == "success"
        assert (moved["from_agent_id"], moved["to_agent_id"]) == (ids["Front"], ids["Billing"])
        assert moved["transition_id"] == ids["to_billing"] and "invoice" in moved["reason"]
        assert moved["current_agent_name"] == "Billing"

        repeated = (await http.post("/api/v1/sessions/web:1/events", json=invoice)).json()
        assert repeated == moved  # the same id: answered, not applied again

        timeline = (await http.get("/api/v1/sessions/web:1/timeline")).json()
        steps = timeline["steps"]
        assert [s["event"]["id"] for s in steps] == ["rataura2:created", "m1", "m2"]
        handover = steps[-1]["transitions"]
        assert handover == [
            {
                "from_agent_id": ids["Front"],
                "from_agent_name": "Front",
                "to_agent_id": ids["Billing"],
                "to_agent_name": "Billing",
                "transition_id": ids["to_billing"],
                "reason": moved["reason"],
            }
        ]
        assert steps[1]["context"]["current_agent_name"] == "Front"
        assert steps[2]["context"]["current_agent_name"] == "Billing"
        assert steps[2]["context"]["turn_count"] == 2 and "events" not in steps[2]["context"]

        listed = (await http.get("/api/v1/sessions", params={"conversation_id": cid})).json()
        assert listed["total"] == 1 and listed["items"][0]["current_agent_name"] == "Billing"

        ended = (await http.post("/api/v1/sessions/web:1/end", json={"reason": "done"})).json()
        assert ended["session_status"] == "ended"
        refused = await http.post("/api/v1/sessions/web:1/events", json={"type": "user_message", "data": {}})
        assert refused.status_code == 409

        stream = await http.get("/api/v1/sessions/web:1/stream")
        assert stream.headers["content-type"].startswith("text/event-stream")
        kinds = [line.removeprefix("event: ") for line in stream.text.splitlines() if line.startswith("event: ")]
        assert kinds == ["event", "event", "event", "transition", "event", "ended"]

        traffic = (await http.get(f"/api/v1/conversations/{cid}/traffic")).json()
        assert traffic["transitions"] == [{"transition_id": ids["to_billing"], "count": 1, "sessions": 1}]
        assert traffic["agents"] == [{"agent_id": ids["Billing"], "active": 0, "ended": 1}]


async def test_the_business_rule_made_over_http_fires_in_a_session(database_url: str) -> None:
    async with running_api(database_url) as api, api.client() as http:
        ids = await build_help_desk(http)
        await http.post("/api/v1/sessions", json={"conversation_id": "Help desk", "session_id": "s"})
        answer = await http.post("/api/v1/sessions/s/events", json={"type": "user_message", "data": {"message": "Buy"}})
        assert answer.json()["to_agent_id"] == ids["Sales"]
        assert answer.json()["transition_id"] == ids["to_sales"]


async def test_a_stale_if_match_is_refused_with_409_and_changes_nothing(database_url: str) -> None:
    async with running_api(database_url) as api, api.client() as alice, api.client() as bob:
        ids = await build_help_desk(alice)
        cid = ids["conversation"]
        seen = await alice.get(f"/api/v1/conversations/{cid}")
        revision = seen.json()["revision"]
        assert seen.headers["etag"] == f'"{revision}"'

        first = await alice.patch(
            f"/api/v1/conversations/{cid}/agents/{ids['Billing']}",
            json={"instructions": "Alice's words"},
            headers={"If-Match": f'"{revision}"'},
        )
        assert first.status_code == 200 and first.json()["revision"] == revision + 1
        second = await bob.patch(
            f"/api/v1/conversations/{cid}/agents/{ids['Billing']}",
            json={"instructions": "Bob's words"},
            headers={"If-Match": f'"{revision}"'},
        )
        assert second.status_code == 409
        assert f"revision {revision + 1}, not {revision}" in second.json()["detail"]
        agent = (await bob.get(f"/api/v1/conversations/{cid}/agents/{ids['Billing']}")).json()
        assert agent["instructions"] == "Alice's words" and agent["revision"] == revision + 1

        document = await bob.get(f"/api/v1/conversations/{cid}/document")
        stale = await bob.put(
            f"/api/v1/conversations/{cid}/document", content=document.content, headers={"If-Match": f'"{revision}"'}
        )
        assert stale.status_code == 409


async def _counts(http: Any, cid: int) -> tuple[int, int, int]:
    conversation = (await http.get(f"/api/v1/conversations/{cid}")).json()
    return conversation["revision"], conversation["agent_count"], conversation["transition_count"]


async def test_invalid_definitions_answer_422_with_the_field_path_and_store_nothing(database_url: str) -> None:
    async with running_api(database_url) as api, api.client() as http:
        ids = await build_help_desk(http)
        cid = ids["conversation"]
        before = await _counts(http, cid)
        base = {"source_agent_id": ids["Billing"], "target_agent_id": ids["Front"]}

        regex = {**base, "condition_type": "user_input", "condition_data": {"pattern": "(", "match": "regex"}}
        answer = await http.post(f"/api/v1/conversations/{cid}/transitions", json=regex)
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["loc"] == ["body", "condition_data"]
        assert "regex" in answer.json()["detail"][0]["msg"]

        code = {**base, "condition_type": "custom", "condition_data": {"condition_code": "context.x.exists_one("}}
        assert (await http.post(f"/api/v1/conversations/{cid}/transitions", json=code)).status_code == 422

        # what a condition's own fields refuse is answered on each field, for a form to show there
        fields = {**base, "condition_type": "user_input", "condition_data": {"pattern": "", "match": "nearly"}}
        answer = await http.post(f"/api/v1/conversations/{cid}/transitions", json=fields)
        assert answer.status_code == 422
        by_field = {tuple(item["loc"]): item["msg"] for item in answer.json()["detail"]}
        assert set(by_field) == {("body", "condition_data", "pattern"), ("body", "condition_data", "match")}
        assert "'contains'" in by_field[("body", "condition_data", "match")]
        answer = await http.patch(
            f"/api/v1/conversations/{cid}/transitions/{ids['to_billing']}",
            json={"condition_data": {"pattern": "x", "typo": 1}},
        )
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "condition_data", "typo"]

        bad_rules = [
            {"conditions": {"all": [{"name": "user_input", "operator": "contains", "value": "x"}]}, "actions": []},
            {
                "conditions": {"all": [{"name": "no_such_variable", "operator": "contains", "value": "x"}]},
                "actions": [{"name": "transition_to_agent", "params": {"agent_id": ids["Front"]}}],
            },
        ]
        answer = await http.post(
            f"/api/v1/conversations/{cid}/transitions",
            json={**base, "condition_type": "business_rules", "rules": bad_rules},
        )
        assert answer.status_code == 422
        locs = [item["loc"] for item in answer.json()["detail"]]
        assert ["body", "rules", 0] in locs and ["body", "rules", 1] in locs

        outsider = {**base, "target_agent_id": 9999, "condition_type": "user_input", "condition_data": {"pattern": "x"}}
        answer = await http.post(f"/api/v1/conversations/{cid}/transitions", json=outsider)
        assert answer.json()["detail"][0]["loc"] == ["body", "target_agent_id"]

        answer = await http.post(f"/api/v1/conversations/{cid}/agents", json={"name": "X", "llm_provider": "nope"})
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "llm_provider"]

        document = (await http.get(f"/api/v1/conversations/{cid}/document")).json()
        document["transitions"][0]["target"] = "Nobody"
        answer = await http.put(f"/api/v1/conversations/{cid}/document", json=document)
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["loc"] == ["body", "transitions", 0, "target"]

        assert await _counts(http, cid) == before


async def test_events_are_checked_before_anything_changes(database_url: str) -> None:
    async with running_api(database_url) as api, api.client() as http:
        ids = await build_help_desk(http)
        await http.post("/api/v1/sessions", json={"conversation_id": ids["conversation"], "session_id": "s"})
        for body, loc in (
            ({"type": "no_such_type"}, ["body", "type"]),
            ({"type": "user_message", "timestamp": "soon"}, ["body", "timestamp"]),
            ({"type": "transition", "source": "orchestrator"}, ["body", "source"]),
            ({"type": "session_ended"}, ["body", "type"]),
        ):
            answer = await http.post("/api/v1/sessions/s/events", json=body)
            assert answer.status_code == 422, body
            assert answer.json()["detail"][0]["loc"] == loc, answer.json()
        missing = await http.post("/api/v1/sessions/nobody/events", json={"type": "user_message"})
        assert missing.status_code == 404
        state = (await http.get("/api/v1/sessions/s")).json()
        assert state["events"] == 1 and state["context"]["event_count"] == 1


async def test_a_session_can_start_on_an_older_published_version(database_url: str) -> None:
    async with running_api(database_url) as api, api.client() as http:
        ids = await build_help_desk(http)
        cid = ids["conversation"]
        await http.post(f"/api/v1/conversations/{cid}/publish")
        changed = {"condition_data": {"pattern": "refund"}}
        await http.patch(f"/api/v1/conversations/{cid}/transitions/{ids['to_billing']}", json=changed)
        latest = (await http.post("/api/v1/sessions", json={"conversation_id": cid, "session_id": "new"})).json()
        older = await http.post("/api/v1/sessions", json={"conversation_id": cid, "session_id": "old", "version": 1})
        assert (latest["version"], older.json()["version"]) == (2, 1)
        invoice = {"type": "user_message", "data": {"message": "my invoice"}}
        assert (await http.post("/api/v1/sessions/old/events", json=invoice)).json()["status"] == "success"
        assert (await http.post("/api/v1/sessions/new/events", json=invoice)).json()["status"] == "no_transition"
        missing = await http.post("/api/v1/sessions", json={"conversation_id": cid, "session_id": "x", "version": 9})
        assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "version"]


async def test_lint_answers_for_the_definition_as_it_stands_after_each_edit(database_url: str) -> None:
    """Lint answers are kept per revision (the studio asks at every page load); an edit moves the revision, so the
    next answer is the edited graph's."""
    async with running_api(database_url) as api, api.client() as http:
        ids = await build_help_desk(http)
        cid = ids["conversation"]
        first = (await http.get(f"/api/v1/conversations/{cid}/lint")).json()
        assert {f["agent_ids"][0] for f in first["findings"] if f["code"] == "dead_end"} == {
            ids["Billing"],
            ids["Sales"],
        }
        assert (await http.get(f"/api/v1/conversations/{cid}/lint")).json() == first
        edge = {
            "source_agent_id": ids["Billing"],
            "target_agent_id": ids["Front"],
            "condition_type": "user_input",
            "condition_data": {"pattern": "start over"},
        }
        answer = await http.post(f"/api/v1/conversations/{cid}/transitions", json=edge)
        assert answer.status_code == 201, answer.text
        after = (await http.get(f"/api/v1/conversations/{cid}/lint")).json()
        assert after["revision"] > first["revision"]
        assert {f["agent_ids"][0] for f in after["findings"] if f["code"] == "dead_end"} == {ids["Sales"]}
