"""Wheel and sdist builds carry the built studio (``rataura2/studio_dist/``): it is built here when it is missing or
stale, so a wheel built from a fresh clone contains the UI. Editable installs skip the build (``make studio`` and
``make test`` build it in place)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class StudioBuildHook(BuildHookInterface):
    PLUGIN_NAME = "studio"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        root = Path(self.root)
        if not (root / "studio" / "package.json").is_file():  # a wheel built from an sdist that carries the build
            if not (root / "rataura2" / "studio_dist" / "index.html").is_file():
                raise RuntimeError("neither the studio sources nor its build (rataura2/studio_dist) are here")
            return
        spec = importlib.util.spec_from_file_location("build_studio", root / "scripts" / "build_studio.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.build()
