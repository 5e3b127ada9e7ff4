"""The command line and user data (issue 15, case 9): names, conditions and context values are printed as the text
they are, never as Rich markup; Mermaid output escapes names; a bad id is one ``error:`` line, not a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from rataura2.cli.main import app, main
from rataura2.db.session import init_db
from rataura2.sessions.manager import SessionManager
from tests.builders import build_graph

HOSTILE_NAMES = ["[/x]", "[red]x", '"] --> evil["pwn', "a|b`c`#1;<br>"]


@pytest.fixture
def url(tmp_path: Path) -> str:
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    with init_db(database)() as db:
        build_graph(
            db,
            HOSTILE_NAMES,
            [(HOSTILE_NAMES[0], HOSTILE_NAMES[1], "user_input", {"pattern": "[bold]go[/bold]"})],
            name="[/x] conversation",
        )
    return database


def _main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["rataura2", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_names_and_conditions_are_printed_as_text(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _main(monkeypatch, capsys, "graph", "list", "-d", url)
    assert (code, err) == (0, "") and "[/x] conversation" in out
    code, out, err = _main(monkeypatch, capsys, "graph", "show", "[/x] conversation", "-d", url)
    assert code == 0, err
    for name in HOSTILE_NAMES:
        assert name in out
    assert "'[bold]go[/bold]'" in out


def test_mermaid_output_escapes_names(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _main(monkeypatch, capsys, "graph", "show", "[/x] conversation", "--mermaid", "-d", url)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "flowchart LR"
    assert len(lines) == 1 + len(HOSTILE_NAMES) + 1  # one line per agent and per transition: nothing injected
    assert "evil" not in " ".join(line.split('"')[0] for line in lines)  # outside quotes: only ids and arrows
    assert all(line.count('"') == 2 for line in lines[1:])
    assert "#quot;] --#gt; evil[#quot;pwn" in out and "a#124;b#96;c#96;#35;1;#lt;br#gt;" in out


@pytest.mark.parametrize(
    "args",
    [
        ["graph", "show", "[/x] missing"],
        ["graph", "show", "²"],
        ["graph", "show", "100000000000000000000"],
        ["sessions", "show", "nul\x01" + "x" * 40_000],
        ["sessions", "show", "no[/such]session"],
        ["sessions", "resume", "s" * 300],
        ["sessions", "verify", "nope"],
    ],
    ids=["markup name", "superscript digit", "id past 64 bits", "40k-char id", "markup id", "long", "nope"],
)
def test_a_bad_id_is_one_error_line(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    code, out, err = _main(monkeypatch, capsys, *args, "-d", url)
    text = out + err
    assert code == 2, text
    assert "Traceback" not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), text
    assert len(lines[0]) < 400


def test_sessions_show_prints_context_keys_and_values_as_text(sqlite_db: Session, tmp_path: Path) -> None:
    graph = build_graph(sqlite_db, ["A", "B"], [])
    manager = SessionManager(sqlite_db)
    orchestrator = manager.create_session("s", graph.conversation.id, timestamp=1.0)
    orchestrator.update_context({"[/k]": "[red]v"}, timestamp=2.0)
    manager.close()
    url = str(sqlite_db.get_bind().url)
    result = CliRunner().invoke(app, ["sessions", "show", "s", "-d", url], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert '[/k]: "[red]v"' in result.output
