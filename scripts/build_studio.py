"""Build the studio (the web UI in ``studio/``) into ``rataura2/studio_dist/`` when it is missing or stale.

Stale means the sources changed since the last build: a digest of them is kept in the build output, so the check
holds on a fresh clone too, where file times say nothing. Used by ``make studio``, ``make test`` and the wheel
build (``hatch_build.py``), so a wheel built from a fresh clone carries the UI.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "studio"
OUTPUT = ROOT / "rataura2" / "studio_dist"
STAMP = OUTPUT / "SOURCE-DIGEST"
_INPUTS = ("package.json", "package-lock.json", "index.html", "vite.config.ts", "tsconfig.json", "src")


def source_digest() -> str:
    """A digest of everything the build reads (tests included: cheap, and never wrong in the stale direction)."""
    digest = hashlib.sha256()
    for name in _INPUTS:
        path = SOURCES / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(file.relative_to(SOURCES).as_posix().encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def is_fresh() -> bool:
    return (OUTPUT / "index.html").is_file() and STAMP.is_file() and STAMP.read_text().strip() == source_digest()


def _run(*cmd: str) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=SOURCES, check=True)


def install_node_modules() -> None:
    """``npm ci`` when node_modules is absent or older than the lockfile (the stamp is the Makefile's too)."""
    installed = SOURCES / "node_modules" / ".ci-installed"
    lock = SOURCES / "package-lock.json"
    if not installed.is_file() or installed.stat().st_mtime < lock.stat().st_mtime:
        _run("npm", "ci", "--no-audit", "--no-fund")
        installed.touch()


def build(force: bool = False) -> bool:
    """Build when missing or stale (or ``force``); True when it built."""
    if not force and is_fresh():
        return False
    if shutil.which("npm") is None:
        subprocess.run(["bash", str(ROOT / "scripts" / "ensure-node.sh")], check=True)
    install_node_modules()
    _run("npm", "run", "build")
    STAMP.write_text(source_digest() + "\n")
    return True


if __name__ == "__main__":
    built = build(force="--force" in sys.argv)
    print(f"studio: {'built' if built else 'up to date'} in {OUTPUT.relative_to(ROOT)}")
