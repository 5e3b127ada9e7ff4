"""What the HTTP API tests share: an app over a test database, a token per role, clients that carry them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from rataura2.api.app import create_app
from rataura2.api.tokens import create_token
from rataura2.vocabulary.enums import Role


@dataclass
class Api:
    app: FastAPI
    tokens: dict[Role, str]

    def client(self, role: Role | None = Role.ADMIN, **headers: str) -> httpx.AsyncClient:
        if role is not None:
            headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://rataura2.test", headers=headers
        )


@asynccontextmanager
async def running_api(database_url: str, **options: Any) -> AsyncIterator[Api]:
    app = create_app(database_url, **options)
    state = app.state.api
    tokens = {}
    with state.sessions() as db:
        for role in Role:
            tokens[role] = create_token(db, role.value, f"test {role.value}")[1]
    try:
        yield Api(app, tokens)
    finally:
        state.close()


async def build_help_desk(client: httpx.AsyncClient) -> dict[str, int]:
    """A three-agent conversation made over HTTP: Front -> Billing on 'invoice', Front -> Sales by a rule."""
    conversation = (await client.post("/api/v1/conversations", json={"name": "Help desk"})).json()
    cid = conversation["id"]
    ids = {"conversation": cid}
    for name in ("Front", "Billing", "Sales"):
        answer = await client.post(f"/api/v1/conversations/{cid}/agents", json={"name": name})
        assert answer.status_code == 201, answer.text
        ids[name] = answer.json()["id"]
    edge = {
        "source_agent_id": ids["Front"],
        "target_agent_id": ids["Billing"],
        "condition_type": "user_input",
        "condition_data": {"pattern": "invoice"},
        "priority": 5,
    }
    answer = await client.post(f"/api/v1/conversations/{cid}/transitions", json=edge)
    assert answer.status_code == 201, answer.text
    ids["to_billing"] = answer.json()["id"]
    rules = [
        {
            "conditions": {"all": [{"name": "user_input", "operator": "contains_case_insensitive", "value": "buy"}]},
            "actions": [{"name": "transition_to_agent", "params": {"agent_id": ids["Sales"]}}],
        }
    ]
    rule_edge = {
        "source_agent_id": ids["Front"],
        "target_agent_id": ids["Sales"],
        "condition_type": "business_rules",
        "rules": rules,
    }
    answer = await client.post(f"/api/v1/conversations/{cid}/transitions", json=rule_edge)
    assert answer.status_code == 201, answer.text
    ids["to_sales"] = answer.json()["id"]
    return ids
