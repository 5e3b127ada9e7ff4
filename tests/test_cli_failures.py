"""Every expected failure of the ``rataura2`` command is one ``error:`` line saying what to do, exit status 2, and no
traceback. Each case runs the real command in a subprocess; they run side by side, so the file takes seconds."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from rataura2.db.session import init_db
from rataura2.sessions.manager import SessionManager
from tests.builders import build_graph

RATAURA2 = [sys.executable, "-m", "rataura2.cli"]


@dataclass(frozen=True)
class Case:
    args: list[str]
    says: tuple[str, ...]
    env: dict[str, str] | None = None


def _portaudio_missing() -> bool:
    try:
        import sounddevice  # type: ignore[import-untyped]  # noqa: F401
    except OSError:
        return True
    return False


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with a conversation "Support" and an ended session "over"."""
    folder = tmp_path_factory.mktemp("cli")
    sessions = init_db(f"sqlite:///{folder / 'ok.db'}")
    with sessions() as db:
        graph = build_graph(db, ["Triage", "Billing"], [("Triage", "Billing", "user_input", {"pattern": "bill"})])
        graph.conversation.name = "Support"
        db.commit()
        with SessionManager(db) as manager:
            manager.create_session("over", graph.conversation.id, timestamp=1.0)
            manager.end_session("over", reason="the pilot left", timestamp=2.0)
    sessions.dispose()
    return folder


def cases(folder: Path) -> dict[str, Case]:
    ok = f"sqlite:///{folder / 'ok.db'}"
    missing = folder / "no" / "such" / "folder"
    livekit = {"LIVEKIT_URL": "ws://127.0.0.1:9", "LIVEKIT_API_KEY": "k", "LIVEKIT_API_SECRET": "s"}
    return {
        "malformed database URL": Case(
            ["graph", "list", "-d", "not a url"], ("database URL 'not a url' is not one SQLAlchemy can use",)
        ),
        "unknown database dialect": Case(
            ["sessions", "list", "--database-url", "nosuch://x/y"], ("nosuch://x/y", "sqlite:///rataura2.db")
        ),
        "unreachable database": Case(
            ["graph", "list", "-d", "postgresql+psycopg://nobody@127.0.0.1:9/x"],
            ("cannot open the database postgresql+psycopg://nobody@127.0.0.1:9/x", "server is running"),
        ),
        "SQLite file in a missing folder": Case(
            ["db", "upgrade", "-d", f"sqlite:///{missing / 'x.db'}"], (f"folder '{missing}' does not exist",)
        ),
        "database URL from the environment": Case(
            ["graph", "list"], ("'not a url'", "RATAURA2_DATABASE_URL"), {"RATAURA2_DATABASE_URL": "not a url"}
        ),
        "missing folder for --png": Case(
            ["graph", "show", "Support", "-d", ok, "--png", str(missing / "g.png")],
            (f"--png {missing / 'g.png'}: folder '{missing}' does not exist; create it",),
        ),
        "missing folder for graph export": Case(
            ["graph", "export", "Support", "-d", ok, "-o", str(missing / "flow.yaml")],
            (f"--output {missing / 'flow.yaml'}: folder '{missing}' does not exist",),
        ),
        "a folder for graph export": Case(
            ["graph", "export", "Support", "-d", ok, "-o", str(folder)], (f"--output {folder} is a folder",)
        ),
        "missing folder for demo --graph": Case(
            ["demo", "-d", f"sqlite:///{folder / 'demo.db'}", "--graph", str(missing / "g.png")],
            ("--graph", "does not exist"),
        ),
        "unknown conversation in chat": Case(
            ["chat", "-c", "Nope", "-d", ok], ("no conversation 'Nope'; conversations: 'Support'",)
        ),
        "unknown --tools module": Case(
            ["chat", "-c", "Support", "-d", ok, "--tools", "no_such_tools"],
            ("--tools no_such_tools: no such module", "e.g. rataura2.demo.tools"),
        ),
        "worker with a bad database URL": Case(
            ["worker", "-d", f"sqlite:///{missing / 'x.db'}", "start"], ("no database at",), livekit
        ),
        "worker with an unknown conversation": Case(
            ["worker", "-d", ok, "--conversation", "Nope", "start"], ("no conversation 'Nope'",), livekit
        ),
        "worker with an unknown --tools module": Case(
            ["worker", "-d", ok, "--tools", "no_such_tools", "dev"], ("--tools no_such_tools",), livekit
        ),
        "worker with a bad LiveKit URL": Case(
            ["worker", "-d", ok, "start"], ("LiveKit URL 'localhost' is not a ws://",), {"LIVEKIT_URL": "localhost"}
        ),
        "worker without a LiveKit URL": Case(["worker", "-d", ok, "start"], ("set LIVEKIT_URL",), {"LIVEKIT_URL": ""}),
        "resuming an ended session": Case(
            ["sessions", "resume", "over", "-d", ok],
            ("session 'over' has ended (the pilot left); there is nothing to resume",),
        ),
        "showing an unknown session": Case(["sessions", "show", "nope", "-d", ok], ("no session 'nope'",)),
        **(
            {
                "worker console without PortAudio": Case(
                    ["worker", "-d", ok, "console"], ("needs the PortAudio library", "rataura2 chat -c NAME")
                )
            }
            if _portaudio_missing()
            else {}
        ),
    }


@pytest.fixture(scope="module")
def ran(place: Path) -> dict[str, tuple[Case, subprocess.CompletedProcess[str]]]:
    """Every case, two at a time (the machine's cores)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("RATAURA2_", "LIVEKIT_"))}

    def run(case: Case) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*RATAURA2, *case.args],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            env={**base, "COLUMNS": "80", **(case.env or {})},
            cwd=place,
            timeout=300,
        )

    todo = cases(place)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(todo, pool.map(run, todo.values()), strict=True))
    return {name: (todo[name], done) for name, done in results.items()}


def test_each_expected_failure_is_one_error_line_and_exit_2(
    ran: dict[str, tuple[Case, subprocess.CompletedProcess[str]]],
) -> None:
    problems = []
    for name, (case, done) in ran.items():
        lines = done.stderr.strip().splitlines()
        trouble: list[str] = []
        if done.returncode != 2:
            trouble.append(f"exit {done.returncode}")
        if len(lines) != 1 or not lines[0].startswith("error: "):
            trouble.append("not one error: line")
        if "Traceback" in done.stderr + done.stdout:
            trouble.append("a traceback")
        trouble += [f"no {said!r}" for said in case.says if said not in done.stderr]
        if trouble:
            problems.append(f"{name}: {', '.join(trouble)}\n{done.stderr[-1500:]}")
    assert not problems, "\n\n".join(problems)


def test_the_cases_cover_the_issue(ran: dict[str, tuple[Case, subprocess.CompletedProcess[str]]]) -> None:
    covered: Callable[[str], bool] = lambda word: any(word in name for name in ran)  # noqa: E731
    for word in ("database URL", "unreachable", "--png", "--tools", "worker with a bad", "ended session"):
        assert covered(word), word


def test_version() -> None:
    done = subprocess.run([*RATAURA2, "--version"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "rataura2 0.1.0", "")


def test_every_command_that_opens_the_database_takes_dash_d() -> None:
    from typer.main import get_command

    from rataura2.cli.main import app

    missing = []

    def walk(command: object, path: str) -> None:
        children = getattr(command, "commands", None)
        if children:
            for name, child in children.items():
                walk(child, f"{path} {name}")
            return
        names = {opt for param in getattr(command, "params", []) for opt in getattr(param, "opts", [])}
        if "--database-url" in names and "-d" not in names:
            missing.append(path)
        if "--database-url" not in names and path.strip() not in ("token", "serve"):
            missing.append(f"{path} (no --database-url)")

    walk(get_command(app), "rataura2")
    assert not [m for m in missing if "(no --database-url)" not in m], missing
    assert "rataura2 worker" not in missing
