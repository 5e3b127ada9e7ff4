"""Conversation documents: the EVE demo survives export -> import into an empty database -> export byte for byte,
over HTTP and from the command line; imports are atomic and idempotent; versions diff and roll back."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml
from typer.testing import CliRunner

from rataura2.cli import app as cli
from rataura2.db.session import init_db
from rataura2.demo.seed import DEMO_CONVERSATION, seed_demo
from tests.api_support import build_help_desk, running_api

YAML = {"Accept": "application/yaml"}


def _seeded(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'eve.db'}"
    with init_db(url) as database, database() as db:
        seed_demo(db)
    return url


async def test_the_eve_demo_exported_imported_into_an_empty_database_and_exported_again_is_identical(
    database_url: str, tmp_path: Path
) -> None:
    async with running_api(_seeded(tmp_path)) as source, source.client() as http:
        conversations = (await http.get("/api/v1/conversations")).json()
        first = (await http.get(f"/api/v1/conversations/{conversations[0]['id']}/document", headers=YAML)).text
        schema = (await http.get("/api/v1/schema/conversation-document.json")).json()
    jsonschema.validate(yaml.safe_load(first), schema)
    assert "transition_to_agent" in first and "agent: Market" in first

    async with running_api(database_url) as target, target.client() as http:
        imported = await http.post("/api/v1/documents", content=first, headers={"Content-Type": "application/yaml"})
        assert imported.status_code == 201, imported.text
        assert imported.json()["created"] is True
        cid = imported.json()["conversation"]["id"]
        second = (await http.get(f"/api/v1/conversations/{cid}/document", headers=YAML)).text
        assert second == first

        revision = imported.json()["conversation"]["revision"]
        again = await http.put(
            f"/api/v1/conversations/{cid}/document", content=second, headers={"Content-Type": "application/yaml"}
        )
        assert again.status_code == 200 and again.json()["changed"] is False
        assert again.json()["conversation"]["revision"] == revision

        as_json = (await http.get(f"/api/v1/conversations/{cid}/document")).json()
        assert as_json == yaml.safe_load(first)

        # the imported graph runs: the business rule names its agent by name in the file, by id in the database
        await http.post("/api/v1/sessions", json={"conversation_id": cid, "session_id": "p"})
        event = {"type": "user_message", "data": {"message": "what is the price of a Rifter?"}}
        moved = (await http.post("/api/v1/sessions/p/events", json=event)).json()
        assert moved["current_agent_name"] == "Market"


async def test_an_import_that_fails_half_way_changes_nothing(database_url: str) -> None:
    async with running_api(database_url) as api, api.client() as http:
        ids = await build_help_desk(http)
        cid = ids["conversation"]
        before = (await http.get(f"/api/v1/conversations/{cid}/document")).json()
        edited = json.loads(json.dumps(before))
        edited["agents"].append({"name": "Extra"})
        edited["agents"][0]["instructions"] = "changed"
        edited["transitions"].append(
            {
                "source": "Extra",
                "target": "Front",
                "condition_type": "user_input",
                "condition_data": {"pattern": "[", "match": "regex"},
            }
        )
        edited["transitions"][0]["condition_data"] = {"pattern": "invoice", "match": "regex"}
        answer = await http.put(f"/api/v1/conversations/{cid}/document", json=edited)
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["loc"] == ["body", "transitions", 2, "condition_data"]
        assert (await http.get(f"/api/v1/conversations/{cid}/document")).json() == before


async def test_versions_diff_and_rollback(database_url: str) -> None:
    async with running_api(database_url) as api, api.client() as http:
        ids = await build_help_desk(http)
        cid = ids["conversation"]
        await http.post(f"/api/v1/conversations/{cid}/publish")
        await http.patch(f"/api/v1/conversations/{cid}/agents/{ids['Billing']}", json={"instructions": "v2"})
        await http.patch(f"/api/v1/conversations/{cid}/transitions/{ids['to_billing']}", json={"priority": 9})
        await http.post(f"/api/v1/conversations/{cid}/agents", json={"name": "Refunds"})
        draft = (await http.get(f"/api/v1/conversations/{cid}/versions/1/diff/draft")).json()
        assert draft["agents"]["added"] == ["Refunds"]
        assert draft["agents"]["changed"] == [{"name": "Billing", "fields": {"instructions": {"from": "", "to": "v2"}}}]
        assert draft["transitions"]["changed"][0]["fields"] == {"priority": {"from": 5, "to": 9}}
        assert (await http.post(f"/api/v1/conversations/{cid}/publish")).json()["version"] == 2
        between = (await http.get(f"/api/v1/conversations/{cid}/versions/1/diff/2")).json()
        assert between["agents"]["added"] == ["Refunds"] and between["from_version"] == 1

        rolled = await http.post(f"/api/v1/conversations/{cid}/versions/1/rollback")
        assert rolled.status_code == 200 and rolled.json() == {"conversation_id": cid, "version": 3, "created": True}
        back = (await http.get(f"/api/v1/conversations/{cid}/versions/1/diff/draft")).json()
        assert back["agents"] == {"added": [], "removed": [], "changed": []}
        assert back["transitions"]["changed"] == []
        versions = (await http.get(f"/api/v1/conversations/{cid}/versions")).json()
        assert [v["version"] for v in versions] == [3, 2, 1] and versions[0]["latest"] is True
        assert (await http.get(f"/api/v1/conversations/{cid}/versions/7")).status_code == 404


def test_graph_export_and_import_from_the_command_line(database_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    flow = tmp_path / "flow.yaml"
    exported = runner.invoke(cli, ["graph", "export", DEMO_CONVERSATION, "-o", str(flow), "-d", _seeded(tmp_path)])
    assert exported.exit_code == 0, exported.output
    imported = runner.invoke(cli, ["graph", "import", str(flow), "--publish", "-d", database_url])
    assert imported.exit_code == 0, imported.output
    assert "created" in imported.output and "version 1" in imported.output
    again = runner.invoke(cli, ["graph", "export", DEMO_CONVERSATION, "-d", database_url])
    assert again.stdout == flow.read_text()
    unchanged = runner.invoke(cli, ["graph", "import", str(flow), "-d", database_url])
    assert "unchanged" in unchanged.output


def test_the_published_json_schema_file_is_the_one_the_code_makes() -> None:
    from rataura2.document.model import document_schema

    published = Path(__file__).resolve().parents[1] / "docs" / "conversation-document.schema.json"
    assert json.loads(published.read_text()) == document_schema(), "regenerate docs/conversation-document.schema.json"
