"""A wheel built from a fresh clone carries the studio: the build hook runs the npm build (registries only)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed (scripts/ensure-node.sh)")


def _clone_files() -> list[str]:
    """What a clone of this tree would hold: tracked files, and new ones not ignored (so uncommitted work counts)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def test_a_wheel_built_from_a_fresh_clone_contains_the_built_studio(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    for name in _clone_files():
        target = clone / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    assert not (clone / "rataura2" / "studio_dist").exists()
    assert not (clone / "studio" / "node_modules").exists()

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "dist"), str(clone)],
        check=True,
        timeout=900,
    )

    (wheel,) = (tmp_path / "dist").glob("rataura2-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "rataura2/studio_dist/index.html" in names
    assert any(n.startswith("rataura2/studio_dist/assets/") and n.endswith(".js") for n in names)
    index = zipfile.ZipFile(wheel).read("rataura2/studio_dist/index.html").decode()
    assert "<title>rataura2 Studio</title>" in index
    # every file the page loads is in the wheel (the build it carries is whole, not a stale index)
    loaded = re.findall(r'(?:src|href)="/(assets/[^"]+)"', index)
    assert loaded and all(f"rataura2/studio_dist/{path}" in names for path in loaded), loaded
