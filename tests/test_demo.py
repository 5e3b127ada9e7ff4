"""The main job: the demo command and the example script, run as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from rataura2.cli.main import app

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_PATH = (
    "General -> Combat -> Market -> Industry -> General -> Market -> Industry -> General -> Exploration -> Support"
    " -> Farewell"
)


def test_example_script_plays_the_conversation(tmp_path: Path) -> None:
    database = tmp_path / "example.db"
    for run in (1, 2):  # a second run on the same database reuses the seeded conversation
        out = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "agent_orchestration_example.py"), str(database)],
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp_path,
            timeout=120,
        ).stdout
        assert f"path: {EXPECTED_PATH}" in out, (run, out)
        assert "because user said \"I'm interested in combat." in out
        assert "because tool 'fit_ship' returned result.cost_isk=3200000 gte 1000000" in out
        assert "because agent decided transition_to='Industry'" in out
        assert "because expression 'context.turn_count >= 4" in out
        assert "because participant_disconnected event from 'livekit.participant_disconnected'" in out


def test_demo_command_prints_each_turn_and_draws_the_graph(tmp_path: Path) -> None:
    png = tmp_path / "graph.png"
    result = CliRunner().invoke(
        app,
        ["demo", "--database-url", f"sqlite:///{tmp_path / 'demo.db'}", "--graph", str(png)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "General -> Combat (transition" in out
    assert "Support -> Farewell (transition" in out
    assert "ended on Farewell after 8 user turns" in out
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_cli_help_reads_well() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    for command in ("demo", "graph", "db"):
        assert command in result.output


def test_graph_show_checks_and_prints_mermaid(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["demo", "--database-url", url]).exit_code == 0
    result = runner.invoke(app, ["graph", "show", "EVE Online Assistant", "--database-url", url, "--mermaid"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("flowchart LR")
    missing = runner.invoke(app, ["graph", "show", "No such assistant", "--database-url", url])
    assert missing.exit_code != 0
