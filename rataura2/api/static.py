"""Serving the studio's built files at ``/`` when the package has them; the API works the same without."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STUDIO_DIR = Path(__file__).resolve().parent.parent / "studio_dist"


class SinglePageApp(StaticFiles):
    """Static files, with ``index.html`` for any other path outside ``/api`` (the app's client-side routes)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or path.split("/", 1)[0] in ("api", "healthz", "readyz", "metrics"):
                raise
            return await super().get_response("index.html", scope)


def mount_studio(app: FastAPI, directory: Path | None = None) -> bool:
    """Mount the studio at ``/`` if ``directory`` (default: the package's ``studio_dist``) has an index.html."""
    directory = directory or STUDIO_DIR
    if not (directory / "index.html").is_file():
        return False
    app.mount("/", SinglePageApp(directory=directory, html=True), name="studio")
    return True
