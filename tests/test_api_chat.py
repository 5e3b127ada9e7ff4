"""The playground's chat over HTTP, through the real ASGI app: each message is a user turn answered by the session's
agents on a real livekit-agents AgentSession in text mode (the offline LLM here), routed first, so the agent a turn
hands over to is the one that answers; the turn, the replies and the hand-over are in the session's log."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from rataura2.vocabulary.enums import Role
from tests.api_support import Api, build_help_desk, running_api


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    async with running_api(database_url) as api:
        try:
            yield api
        finally:
            await api.app.state.api.chats.close()  # no lifespan under ASGITransport: close what the chats opened


async def _session(http: httpx.AsyncClient, session_id: str, api: Api | None = None) -> dict[str, int]:
    """The help desk (built by an editor) and a session on it, created by ``http``'s role."""
    if api is None:
        ids = await build_help_desk(http)
    else:
        async with api.client(Role.EDITOR) as editor:
            ids = await build_help_desk(editor)
    created = await http.post(
        "/api/v1/sessions", json={"conversation_id": ids["conversation"], "session_id": session_id}
    )
    assert created.status_code == 201, created.text
    return ids


async def test_an_editor_chats_with_the_agents_and_the_turn_that_hands_over_is_answered_by_the_new_agent(
    api: Api,
) -> None:
    async with api.client(Role.EDITOR) as http:  # editors try what they design: they may run sessions
        ids = await _session(http, "play:1")

        hello = await http.post("/api/v1/sessions/play:1/chat", json={"message": "hello there", "id": "c1"})
        assert hello.status_code == 200, hello.text
        quiet = hello.json()
        assert [(r["agent_name"], r["text"]) for r in quiet["replies"]] == [
            ("Front", '[Front] You said: "hello there".')
        ]
        assert quiet["handovers"] == [] and quiet["current_agent_name"] == "Front"
        assert quiet["offline"] == {} and quiet["session_status"] == "active"

        moved = (
            await http.post("/api/v1/sessions/play:1/chat", json={"message": "my invoice is wrong", "id": "c2"})
        ).json()
        assert moved["current_agent_name"] == "Billing"
        [handover] = moved["handovers"]
        assert (handover["from_agent_name"], handover["to_agent_name"]) == ("Front", "Billing")
        assert "invoice" in handover["reason"]
        # routed first: Front says nothing, Billing answers the turn
        assert [r["agent_name"] for r in moved["replies"]] == ["Billing"]
        assert moved["replies"][0]["agent_id"] == ids["Billing"]
        assert "my invoice is wrong" in moved["replies"][0]["text"]

        again = (
            await http.post("/api/v1/sessions/play:1/chat", json={"message": "my invoice is wrong", "id": "c2"})
        ).json()
        assert again == moved  # the same id: answered again, not sent again

        timeline = (await http.get("/api/v1/sessions/play:1/timeline")).json()
        kinds = [s["event"]["type"] for s in timeline["steps"]]
        assert kinds.count("user_message") == 2 and kinds.count("agent_message") == 2
        [step] = [s for s in timeline["steps"] if s["transitions"]]
        assert step["event"]["type"] == "user_message" and step["event"]["data"]["message"] == "my invoice is wrong"
        assert step["transitions"][0]["transition_id"] == ids["to_billing"]
        assert step["transitions"][0]["reason"] == handover["reason"]
        state = (await http.get("/api/v1/sessions/play:1")).json()
        assert state["turn_count"] == 2 and state["current_agent_name"] == "Billing"


async def test_an_agent_whose_llm_cannot_run_here_answers_on_the_offline_llm_and_the_answer_says_why(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    async with api.client(Role.EDITOR) as editor:
        ids = await build_help_desk(editor)
        cid = ids["conversation"]
        changed = await editor.patch(
            f"/api/v1/conversations/{cid}/agents/{ids['Front']}", json={"llm_provider": "openai", "llm_model": "gpt-x"}
        )
        assert changed.status_code == 200, changed.text
    async with api.client(Role.OPERATOR) as http:
        await http.post("/api/v1/sessions", json={"conversation_id": cid, "session_id": "play:2"})
        answer = (await http.post("/api/v1/sessions/play:2/chat", json={"message": "hi"})).json()
        assert answer["replies"] == [
            {"agent_id": ids["Front"], "agent_name": "Front", "text": '[Front] You said: "hi".'}
        ]
        assert "OPENAI_API_KEY" in answer["offline"]["Front"]
        assert set(answer["offline"]) == {"Front"}


async def test_a_chat_ends_with_its_session_and_takes_no_more_messages(api: Api) -> None:
    async with api.client(Role.OPERATOR) as http:
        await _session(http, "play:3", api)
        assert (await http.post("/api/v1/sessions/play:3/chat", json={"message": "hello"})).status_code == 200
        ended = await http.post("/api/v1/sessions/play:3/end", json={"reason": "done in the playground"})
        assert ended.status_code == 200 and ended.json()["session_status"] == "ended"
        assert "play:3" not in api.app.state.api.chats
        late = await http.post("/api/v1/sessions/play:3/chat", json={"message": "still there?"})
        assert late.status_code == 409 and "ended" in late.json()["detail"]
        timeline = (await http.get("/api/v1/sessions/play:3/timeline")).json()
        assert timeline["status"] == "ended"
        assert timeline["steps"][-1]["event"]["data"]["reason"] == "done in the playground"


async def test_chat_refuses_what_it_cannot_send_and_viewers(api: Api) -> None:
    async with api.client(Role.OPERATOR) as http:
        await _session(http, "play:4", api)
        empty = await http.post("/api/v1/sessions/play:4/chat", json={"message": ""})
        assert empty.status_code == 422 and empty.json()["detail"][0]["loc"] == ["body", "message"]
        huge = await http.post("/api/v1/sessions/play:4/chat", json={"message": "x" * 2_000_000})
        assert huge.status_code == 422 and huge.json()["detail"][0]["loc"] == ["body", "message"]
        assert "too long" in huge.json()["detail"][0]["msg"]
        unknown = await http.post("/api/v1/sessions/nobody/chat", json={"message": "hi"})
        assert unknown.status_code == 404
        state = (await http.get("/api/v1/sessions/play:4")).json()
        assert state["turn_count"] == 0  # nothing was sent
    async with api.client(Role.VIEWER) as viewer:
        refused = await viewer.post("/api/v1/sessions/play:4/chat", json={"message": "hi"})
        assert refused.status_code == 403 and "operator or editor" in refused.json()["detail"]
