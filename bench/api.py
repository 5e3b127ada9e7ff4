"""The HTTP API under load: ``POST /api/v1/sessions/{id}/events`` over real HTTP to one ``rataura2 serve`` process.

The server runs in a process of its own (as in production, and so that the client does not share its interpreter),
on SQLite or PostgreSQL, with sync or async durability. Latency is one client sending a session's events one after
another; throughput is several clients, each on a session of its own, sending as fast as they are answered.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.measure import Latency, latencies
from bench.workloads import HOP_WORD, event_stream
from rataura2.api.tokens import create_token
from rataura2.db.session import init_db

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 8


@dataclass(frozen=True)
class ApiLoad:
    store: str
    durability: str
    latency: Latency
    requests_per_second: float


def _ring_document() -> dict[str, object]:
    names = [f"agent-{i}" for i in range(1, 6)]
    return {
        "name": "api bench",
        "initial_agent": names[0],
        "agents": [{"name": n} for n in names],
        "transitions": [
            {
                "source": n,
                "target": names[(i + 1) % 5],
                "condition_type": "user_input",
                "condition_data": {"pattern": HOP_WORD},
            }
            for i, n in enumerate(names)
        ],
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _events(count: int, prefix: str) -> list[dict[str, object]]:
    return [
        {"id": f"{prefix}-{i}", "type": e.type.value, "timestamp": e.timestamp, "source": e.source, "data": e.data}
        for i, e in enumerate(event_stream(count))
    ]


def _serve(url: str, durability: str, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "rataura2", "serve", "-d", url, "--port", str(port)]
    command += ["--durability", durability, "--log-level", "warning"]
    return subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": ""}
    )


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"rataura2 serve exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("rataura2 serve did not get ready in 60 s")


async def _flood(base: str, headers: dict[str, str], events_per_client: int, tag: str) -> float:
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        for c in range(CLIENTS):
            session = {"conversation_id": "api bench", "session_id": f"flood-{tag}-{c}"}
            (await http.post("/api/v1/sessions", json=session)).raise_for_status()

        async def client(c: int) -> None:
            for event in _events(events_per_client, f"flood-{c}"):
                answer = await http.post(f"/api/v1/sessions/flood-{tag}-{c}/events", json=event)
                answer.raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*(client(c) for c in range(CLIENTS)))
        return CLIENTS * events_per_client / (time.perf_counter() - start)


def api_load(store: str, url: str, durability: str, events: int) -> ApiLoad:
    """Latency of ``events`` events sent one by one, then requests per second from several clients."""
    with init_db(url) as database, database() as db:
        token = create_token(db, "admin", "bench")[1]
    headers = {"Authorization": f"Bearer {token}"}
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _serve(url, durability, port)
    tag = uuid.uuid4().hex[:8]
    one = f"/api/v1/sessions/one-{tag}/events"
    try:
        _wait_ready(base, server)
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            http.post("/api/v1/documents?publish=true", json=_ring_document()).raise_for_status()
            session = {"conversation_id": "api bench", "session_id": f"one-{tag}"}
            http.post("/api/v1/sessions", json=session).raise_for_status()
            for event in _events(20, "warm"):
                http.post(one, json=event).raise_for_status()

            def send(event: dict[str, object]) -> None:
                http.post(one, json=event).raise_for_status()

            latency = latencies(_events(events, "one"), send)
        rate = asyncio.run(_flood(base, headers, max(events // CLIENTS, 20), tag))
    finally:
        server.terminate()
        server.wait(30)
    return ApiLoad(store, durability, latency, rate)
