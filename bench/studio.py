"""The studio's first page on a big conversation: 50 agents and 500 transitions, served by ``rataura2 serve`` and
drawn by Debian's Chromium (``studio/e2e/first-page.mjs``): from navigation until the page is drawn and still (the
canvas with the agents and transitions in view, and the lint panel). Each load is cold: a new browser profile; the
server has served the page's requests once before (as a running server has), so the figure is the studio's, not the
server's first imports. Skipped, with the reason, where the studio, Node or Chromium is missing."""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STUDIO = ROOT / "studio"
RATAURA2 = Path(sys.executable).parent / "rataura2"


@dataclass(frozen=True)
class FirstPage:
    agents: int
    transitions: int
    runs_ms: list[int]
    drawn_agents: int
    drawn_transitions: int
    """How many of them the first page drew (a big graph draws what is in view)."""

    @property
    def median_ms(self) -> float:
        return statistics.median(self.runs_ms)

    @property
    def worst_ms(self) -> int:
        return max(self.runs_ms)


def big_document(agents: int, transitions: int) -> dict[str, Any]:
    """A conversation document: agents in a ring of departments, each with transitions to the next ones."""
    names = [f"Agent {i:02d}" for i in range(agents)]
    per_agent = transitions // agents
    edges = []
    for i, source in enumerate(names):
        for k in range(per_agent):
            target = names[(i + 1 + k) % agents]
            edges.append(
                {
                    "source": source,
                    "target": target,
                    "condition_type": "user_input",
                    "condition_data": {"pattern": f"topic {i}-{k}"},
                    "priority": k,
                    "description": None,
                    "tool": None,
                    "rules": None,
                }
            )
    return {
        "format": "rataura2.conversation/1",
        "name": f"Benchmark {agents}x{transitions}",
        "description": "A big graph for the studio's first-page benchmark.",
        "initial_agent": names[0],
        "is_active": True,
        "config": None,
        "tools": [],
        "agents": [
            {
                "name": name,
                "agent_type": "general",
                "description": None,
                "instructions": f"You are {name}.",
                "llm_provider": "offline",
                "llm_model": "echo",
                "stt_provider": "none",
                "stt_model": None,
                "tts_provider": "none",
                "tts_model": None,
                "config": None,
                "is_active": True,
                "tools": [],
                "position": None,
            }
            for name in names
        ],
        "transitions": edges,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _request(method: str, url: str, token: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _warm(base: str, token: str, conversation_id: int) -> None:
    """Ask once for what the first page asks for: a user's server is already running and has served before (its
    lazy imports done), while each browser load stays cold."""
    for path in (
        "/me",
        "/meta",
        f"/conversations/{conversation_id}",
        f"/conversations/{conversation_id}/agents",
        f"/conversations/{conversation_id}/transitions",
        "/tools",
        f"/rules/vocabulary?conversation_id={conversation_id}",
        f"/conversations/{conversation_id}/lint",
    ):
        _request("GET", f"{base}/api/v1{path}", token)
    with urllib.request.urlopen(f"{base}/", timeout=60) as response:
        response.read()


def missing() -> str | None:
    """Why the benchmark cannot run here, or None."""
    if not (ROOT / "rataura2" / "studio_dist" / "index.html").is_file():
        return "the studio is not built (make studio-build)"
    if shutil.which("node") is None:
        return "Node.js is not installed"
    if not (STUDIO / "node_modules" / "playwright-core").is_dir():
        return "the studio's npm packages are not installed (make studio-build)"
    if not Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")).exists():
        return "Chromium is not installed (scripts/ensure-chromium.sh)"
    return None


def first_page(agents: int = 50, transitions: int = 500, runs: int = 5, screenshot: Path | None = None) -> FirstPage:
    """Seed the big conversation into a fresh SQLite database, serve it, and time its first page ``runs`` times;
    with ``screenshot``, the last load's page is saved there (after it was timed), to see what was measured."""
    with tempfile.TemporaryDirectory() as tmp:
        url_db = f"sqlite:///{tmp}/studio-bench.db"
        made = subprocess.run(
            [str(RATAURA2), "token", "create", "--role", "admin", "--name", "bench", "-d", url_db],
            capture_output=True,
            text=True,
            check=True,
        )
        token = next(w for w in made.stdout.split() if w.startswith("r2_"))
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [str(RATAURA2), "serve", "--port", str(port), "-d", url_db],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/readyz", timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("rataura2 serve did not come up") from None
                    time.sleep(0.2)
            imported = _request("POST", f"{base}/api/v1/documents", token, big_document(agents, transitions))
            conversation_id = imported["conversation"]["id"]
            _warm(base, token, conversation_id)
            args = [base, token, str(conversation_id), str(agents), str(transitions), str(runs)]
            env = dict(os.environ)
            if screenshot is not None:
                env["FIRST_PAGE_SCREENSHOT"] = str(screenshot.resolve())
            measured = subprocess.run(
                ["node", "e2e/first-page.mjs", *args],
                cwd=STUDIO,
                env=env,
                capture_output=True,
                text=True,
                check=True,
                timeout=600,
            )
            found = json.loads(measured.stdout.strip().splitlines()[-1])
            drawn = found["drawn"][-1]
            return FirstPage(
                agents,
                transitions,
                [int(ms) for ms in found["runs_ms"]],
                int(drawn["agents"]),
                int(drawn["transitions"]),
            )
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    reason = missing()
    if reason:
        print(f"studio first page: skipped, {reason}")
        raise SystemExit(0)
    # python -m bench.studio [PNG]: also save the last load's page, as docs/studio/big-graph.png was
    screenshot = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    if screenshot is not None and (screenshot.suffix.lower() != ".png" or not screenshot.parent.is_dir()):
        print(f"error: {screenshot} is not a .png file in an existing folder", file=sys.stderr)
        raise SystemExit(2)
    result = first_page(screenshot=screenshot)
    print(
        f"studio first page, {result.agents} agents x {result.transitions} transitions: median "
        f"{result.median_ms:.0f} ms, worst {result.worst_ms} ms over {len(result.runs_ms)} cold loads "
        f"({result.drawn_agents} agents and {result.drawn_transitions} transitions drawn)"
    )
