"""Serving: health, readiness, metrics and traces; tokens from the command line; the studio's static files; and the
API over a real uvicorn socket, with a session's Server-Sent Events arriving live."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from typer.testing import CliRunner

from rataura2.cli import app as cli
from rataura2.vocabulary.enums import Role
from tests.api_support import Api, build_help_desk, make_api, running_api


async def test_health_readiness_metrics_and_traces(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with running_api(f"sqlite:///{tmp_path / 'ops.db'}", tracer_provider=provider) as api:
        async with api.client(None) as anonymous:
            assert (await anonymous.get("/healthz")).json() == {"status": "ok"}
            assert (await anonymous.get("/readyz")).json() == {
                "status": "ready",
                "database": "ok",
                "migrations": "head",
            }
        async with api.client() as http:
            ids = await build_help_desk(http)
            await http.post("/api/v1/sessions", json={"conversation_id": ids["conversation"], "session_id": "m"})
            event = {"type": "user_message", "data": {"message": "invoice please"}}
            await http.post("/api/v1/sessions/m/events", json=event)
            await http.get("/api/v1/conversations/999")
        async with api.client(None) as anonymous:
            metrics = (await anonymous.get("/metrics")).text
    assert 'rataura2_events_total{conversation="Help desk",status="success",type="user_message"} 1.0' in metrics
    edge = f'transition_id="{ids["to_billing"]}"'
    assert any(line.startswith("rataura2_transitions_total") and edge in line for line in metrics.splitlines())
    assert 'rataura2_errors_total{kind="UnknownConversationError"} 1.0' in metrics
    assert "rataura2_event_seconds_count 1.0" in metrics and "rataura2_durable_backlog 0.0" in metrics
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert spans["rataura2.event"].attributes["rataura2.status"] == "success"
    assert spans["rataura2.handover"].attributes["rataura2.to_agent_id"] == ids["Billing"]
    assert spans["rataura2.handover"].parent.span_id == spans["rataura2.event"].context.span_id


async def test_readyz_says_when_the_schema_is_behind(tmp_path: Path) -> None:
    from sqlalchemy import text

    async with running_api(f"sqlite:///{tmp_path / 'old.db'}") as api, api.client(None) as anonymous:
        with api.app.state.api.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0002'"))
        answer = await anonymous.get("/readyz")
    assert answer.status_code == 503 and "head is" in answer.json()["migrations"]


def test_tokens_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tokens.db'}"
    runner = CliRunner()
    made = runner.invoke(cli, ["token", "create", "--role", "editor", "--name", "ci", "-d", url])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("r2_")
    listed = runner.invoke(cli, ["token", "list", "-d", url])
    assert "ci" in listed.output and "editor" in listed.output and token not in listed.output

    api = Api(make_api(url).app, {Role.EDITOR: token})

    async def me() -> int:
        async with api.client(Role.EDITOR) as http:
            answer = await http.get("/api/v1/me")
            return answer.status_code

    assert asyncio.run(me()) == 200
    revoked = runner.invoke(cli, ["token", "revoke", "1", "-d", url])
    assert revoked.exit_code == 0
    api.app.state.api.tokens.forget(1)  # another process revoked it: this one notices within seconds
    assert asyncio.run(me()) == 401
    unknown = subprocess.run(
        [sys.executable, "-m", "rataura2", "token", "revoke", "99", "-d", url], capture_output=True, text=True
    )
    assert unknown.returncode == 2 and unknown.stderr.strip() == "error: no token 99"
    api.app.state.api.close()


async def test_the_studio_is_served_at_the_root_when_it_is_built(tmp_path: Path) -> None:
    studio = tmp_path / "studio"
    (studio / "assets").mkdir(parents=True)
    (studio / "index.html").write_text("<html>studio</html>")
    (studio / "assets" / "app.js").write_text("console.log(1)")
    async with running_api(f"sqlite:///{tmp_path / 'ui.db'}", studio_dir=studio) as api, api.client(None) as http:
        assert (await http.get("/")).text == "<html>studio</html>"
        assert (await http.get("/assets/app.js")).text == "console.log(1)"
        assert (await http.get("/conversations/3/canvas")).text == "<html>studio</html>"
        missing = await http.get("/api/v1/nothing-here")
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/json"
        assert (await http.get("/healthz")).json() == {"status": "ok"}
    bare = running_api(f"sqlite:///{tmp_path / 'bare.db'}", studio_dir=tmp_path / "none")
    async with bare as api, api.client(None) as http:
        assert (await http.get("/")).status_code == 404


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(database_url: str) -> Iterator[tuple[str, Api]]:
    """The API on a real uvicorn server, on a free port of 127.0.0.1."""
    api = make_api(database_url, poll_seconds=5.0)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(api.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.05)
    yield f"http://127.0.0.1:{port}", api
    server.should_exit = True
    thread.join(10)


async def test_over_a_real_socket_a_session_streams_its_hand_over_as_it_happens(served: tuple[str, Api]) -> None:
    base, api = served
    headers = {"Authorization": f"Bearer {api.tokens[Role.ADMIN]}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=20) as http:
        ids = await build_help_desk(http)
        await http.post("/api/v1/sessions", json={"conversation_id": ids["conversation"], "session_id": "live"})
        seen: list[tuple[str, dict[str, object]]] = []
        viewer = api.tokens[Role.VIEWER]  # EventSource style: the token in the query

        async def listen() -> None:
            async with http.stream("GET", f"/api/v1/sessions/live/stream?token={viewer}", headers={}) as stream:
                kind = ""
                async for line in stream.aiter_lines():
                    if line.startswith("event: "):
                        kind = line.removeprefix("event: ")
                    elif line.startswith("data: "):
                        seen.append((kind, json.loads(line.removeprefix("data: "))))
                        if kind == "transition":
                            return

        listener = asyncio.create_task(listen())
        for _ in range(200):  # a loaded machine may take a while to answer the first request
            if seen:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.1)
        assert [k for k, _ in seen] == ["event"]  # the session's creation, replayed; now it waits
        event = {"id": "live-1", "type": "user_message", "data": {"message": "about my invoice"}}
        answer = await http.post("/api/v1/sessions/live/events", json=event)
        assert answer.status_code == 200
        # woken at once by the event this process handled, well before the 5 s poll
        await asyncio.wait_for(listener, timeout=3)
    kinds = [k for k, _ in seen]
    assert kinds == ["event", "event", "transition"]
    transition = seen[-1][1]
    assert transition["to_agent_name"] == "Billing" and transition["trigger_event_id"] == "live-1"
