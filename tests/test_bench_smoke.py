"""The benchmarks keep working: a bounded run of every section (``python -m bench --quick``, figures not checked:
speed is measured by ``make bench``, not by tests), and the budget's verdict becoming the exit status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import bench.__main__ as bench_main
from bench.report import Results

ROOT = Path(__file__).resolve().parent.parent

BUDGET_LINES = (
    "rataura2 --help",
    "import the core",
    "create_session, warm 500-transition graph",
    "per event, 10 mixed transitions",
    "cheaper than LangGraph",
    "cheaper than rules read from SQLite",
    "cheaper than rules read from PostgreSQL",
    "10,000 idle sessions",
    "a 5,000-event session against a 1,000-event one",
    "100 concurrent sessions, sync, PostgreSQL",
    "added to a LiveKit turn, async, SQLite",
    "added to a LiveKit turn, async, PostgreSQL",
    "added to a LiveKit turn, sync, PostgreSQL",
)
SECTIONS = (
    "start-up",
    "session start",
    "event path",
    "peers",
    "memory",
    "durable",
    "LiveKit turn",
    "HTTP API",
    "replay",
    "studio",  # measured, or skipped with the reason where the studio, Node or Chromium is missing
)


def test_a_quick_run_measures_every_section_and_writes_the_report(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--no-budget", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = (tmp_path / "benchmarks.md").read_text()
    for line in BUDGET_LINES:
        assert f"| {line}" in report, line
        assert "performance budget" in run.stdout
    for section in SECTIONS:
        assert f"| {section} |" in report, section
    assert "100 concurrent sessions, PostgreSQL, sync" in report
    assert (tmp_path / "benchmarks.png").stat().st_size > 20_000


@pytest.mark.parametrize(("flags", "status"), [((), 1), (("--no-budget",), 0)])
def test_a_missed_budget_line_fails_the_run_unless_told_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...], status: int
) -> None:
    results = Results(load=["0.00 0.00 0.00"])
    results.check("met line", "<= 1", "0.5", True)
    results.check("missed line", "<= 1", "2", False)
    monkeypatch.setattr(bench_main, "run", lambda scale, console: results)
    try:
        bench_main.main(["--out", str(tmp_path), *flags])
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    assert code == status
    assert "| missed line | <= 1 | 2 | MISSED |" in (tmp_path / "benchmarks.md").read_text()
