"""Start-up: ``rataura2 --help`` and importing the session core, each in a fresh interpreter (wall time of the whole
process, median of several runs), next to a bare interpreter for reference."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RATAURA2 = Path(sys.executable).parent / "rataura2"

COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import rataura2.core": [sys.executable, "-c", "import rataura2.core"],
    "import the session core": [
        sys.executable,
        "-c",
        "from rataura2.core.orchestrator import AgentOrchestrator; from rataura2.core.events import EventData",
    ],
    "import rataura2.sessions.manager": [sys.executable, "-c", "import rataura2.sessions.manager"],
    "rataura2 --help": [str(RATAURA2), "--help"],
}
"""What is timed. "The session core" is what running a session in memory needs (the orchestrator, its graph,
conditions and events); ``import rataura2.core`` alone loads only the package's (empty) ``__init__``."""


@dataclass(frozen=True)
class StartupTimes:
    seconds: dict[str, float]
    """Median wall seconds per command."""
    runs: int


BUDGETED = ("python -c pass", "import the session core", "rataura2 --help")


def startup_times(runs: int, *, only_budgeted: bool = False) -> StartupTimes:
    """Median wall time of each command over ``runs`` runs, after one run of each that is not counted (so that
    every module's bytecode is cached, as after an install)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    commands = {name: COMMANDS[name] for name in BUDGETED} if only_budgeted else COMMANDS
    for command in commands.values():
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
            samples[name].append(time.perf_counter() - start)
    return StartupTimes({name: statistics.median(values) for name, values in samples.items()}, runs)
