"""What a scenario file is called (cheap to import: the pytest plugin checks every file name with it)."""

from __future__ import annotations

from pathlib import Path

SUFFIXES = (".scenario.yaml", ".scenario.yml")


def is_scenario_file(path: Path) -> bool:
    return path.name.endswith(SUFFIXES)
