"""Every route of the app, as the app itself lists them, needs a token, and every write the role it names: 401
without a token, 403 with a token of another role. A route added later is in the list by construction."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from rataura2.api.app import OPEN_PATHS, ROUTERS, create_app
from rataura2.vocabulary.enums import Role
from tests.api_support import Api, make_api

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _role(route: APIRoute) -> Role | None:
    roles = [getattr(d.call, "required_role", None) for d in route.dependant.dependencies]
    return next((r for r in roles if r is not None), None)


def _also(route: APIRoute) -> tuple[Role, ...]:
    """Roles a route admits besides its own (running sessions: editors too, for the studio's playground)."""
    return tuple(r for d in route.dependant.dependencies for r in getattr(d.call, "also_roles", ()))


ALSO = {
    (method, route.path): _also(route)
    for module in ROUTERS
    for route in module.router.routes
    if isinstance(route, APIRoute)
    for method in route.methods or ()
}

ROUTES = [
    pytest.param(method, route.path, _role(route), id=f"{method} {route.path}")
    for module in ROUTERS
    for route in module.router.routes
    if isinstance(route, APIRoute)
    for method in sorted(route.methods or ())
]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    api = make_api(f"sqlite:///{tmp_path_factory.mktemp('auth') / 'auth.db'}", spare_token=True)
    yield api
    api.app.state.api.close()


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_the_routes_tested_here_are_every_route_the_app_publishes(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 'routes.db'}")
    published = {(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops}
    tested = {(p.values[0], p.values[1]) for p in ROUTES}
    app.state.api.close()
    assert published == tested
    assert all(p.values[2] is not None for p in ROUTES if p.values[1] not in OPEN_PATHS)


@pytest.mark.parametrize(("method", "path", "role"), ROUTES)
async def test_no_token_is_401_and_a_token_without_the_role_is_403(
    api: Api, method: str, path: str, role: Role | None
) -> None:
    body = {"json": {}} if method in WRITES else {}
    async with api.client(None) as anonymous:
        answer = await anonymous.request(method, _url(path), **body)
    if role is None:
        assert answer.status_code not in (401, 403)
        return
    assert answer.status_code == 401, answer.text
    assert answer.headers["www-authenticate"] == "Bearer"
    async with api.client(None, Authorization="Bearer r2_not-a-token") as forged:
        assert (await forged.request(method, _url(path), **body)).status_code == 401
    if method in WRITES:
        assert role is not Role.VIEWER, "a write open to viewers"
    also = ALSO[(method, path)]
    assert Role.VIEWER not in also or method not in WRITES, "a write open to viewers"
    others = (
        [r for r in Role if r is not role and r is not Role.ADMIN and r not in also] if role is not Role.VIEWER else []
    )
    for other in others:
        async with api.client(other) as client:
            answer = await client.request(method, _url(path), **body)
        assert answer.status_code == 403, (other, answer.text)
    for allowed in (role, *also, Role.ADMIN):
        async with api.client(allowed) as client:
            answer = await client.request(method, _url(path), **body)
        assert answer.status_code not in (401, 403), (allowed, answer.text)
