"""What the commands check before they start work, so that an expected failure is one ``error:`` line up front:
an output folder that does not exist, a ``--tools`` module that is not there, a conversation the database does not
hold (checked before LiveKit, which is slow to import, is loaded at all)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path

from rataura2.errors import OutputPathError, ToolConfigError


def output_file(path: Path, option: str, example: str = "graph.png") -> Path:
    """``path``, if a file can be written there: its folder exists and it is not a folder itself."""
    folder = path.expanduser().parent
    if not folder.is_dir():
        raise OutputPathError(
            f"{option} {path}: folder {str(folder)!r} does not exist; create it or choose another path"
        )
    if path.is_dir():
        raise OutputPathError(f"{option} {path} is a folder; give a file name, like {path / example}")
    return path


def tool_modules_exist(modules: Iterable[str]) -> None:
    """Each ``--tools`` module can be found (importing it is left to the command)."""
    for module in modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a parent package that is missing, or an empty/relative name
            found = False
        if not found:
            raise ToolConfigError(
                f"--tools {module}: no such module; give the dotted path of an importable module that registers "
                "tool callables (e.g. rataura2.demo.tools), with its folder on PYTHONPATH"
            )


def conversation_exists(database_url: str, conversation: str) -> None:
    """The database opens and holds ``conversation`` (an id or a name)."""
    from rataura2.db.loader import find_conversation
    from rataura2.db.session import init_db

    with init_db(database_url) as database, database() as db:
        find_conversation(db, conversation)


__all__ = ["conversation_exists", "output_file", "tool_modules_exist"]
