"""The ``rataura2`` command: the outermost shell. Sub-commands import what they need when they run, so that
``rataura2 --help`` stays quick."""

from rataura2.cli.main import app, main

__all__ = ["app", "main"]
