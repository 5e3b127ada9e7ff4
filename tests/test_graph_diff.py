"""``rataura2 graph diff``: two versions, a version and the draft, a version and a file."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from rataura2.cli.main import app
from rataura2.demo.seed import DEMO_CONVERSATION, market_rules, seed_demo
from rataura2.document import codec
from rataura2.document.export import export_document
from rataura2.errors import RatauraError
from rataura2.persistence.versions import publish_conversation
from rataura2.rules.repository import update_business_rules_transition


def diff(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["graph", "diff", DEMO_CONVERSATION, *args], env={"COLUMNS": "250"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_versions_the_draft_and_a_file(db: Session, database_url: str, tmp_path: Path) -> None:
    conversation = seed_demo(db)
    assert publish_conversation(db, conversation) == 1
    agents = {a.name: a for a in conversation.agents}
    agents["General"].outgoing_transitions[0].priority = 2
    agents["Combat"].instructions = "You are a seasoned combat specialist."
    rules = market_rules(agents["Market"].id)
    rules[0]["conditions"]["all"][1]["any"][0]["value"] = "trade"
    rules_id = next(t.id for t in agents["General"].outgoing_transitions if t.condition_type == "business_rules")
    update_business_rules_transition(db, rules_id, rules)
    db.commit()

    code, out = diff("1", "draft", "-d", database_url, "--exit-code")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "EVE Online Assistant: version 1 -> draft"
    assert (
        "  ~ agent Combat: instructions: 'You are a combat specialist. Advise on ships, fittings and PvP "
        "tactics.' -> 'You are a seasoned combat specialist.'" in lines
    )
    assert "  ~ transition General -> Combat #1 (user_input): priority: 10 -> 2" in lines
    (rules_line,) = [line for line in lines if line.startswith("  ~ rules of General -> Market #1 (business_rules): ")]
    old, new = rules_line.split("(business_rules): ", 1)[1].split(" -> ")
    assert "trade" in new and "trade" not in old  # the long rule sets are shown where they differ

    assert publish_conversation(db, conversation) == 2
    code, out = diff("2", "-d", database_url, "--exit-code")
    assert (code, out.splitlines()[1]) == (0, "  no differences")
    code, out = diff("1", "2", "-d", database_url, "--json")
    data = json.loads(out)
    assert (data["from_version"], data["to_version"]) == (1, 2)  # as the HTTP API names them
    assert data["transitions"]["changed"][0]["fields"] == {"priority": {"from": 10, "to": 2}}

    file = tmp_path / "eve.yaml"
    document = export_document(db, conversation)
    file.write_text(codec.to_yaml(document).replace("  priority: 2\n", "  priority: 7\n", 1))
    code, out = diff("2", str(file), "-d", database_url)
    assert code == 0 and out.splitlines()[1] == "  ~ transition General -> Combat #1 (user_input): priority: 2 -> 7"

    result = CliRunner().invoke(app, ["graph", "diff", DEMO_CONVERSATION, "latest", "-d", database_url])
    assert isinstance(result.exception, RatauraError)
    assert "'latest' is neither 'draft', a version number nor a readable file" in str(result.exception)


def test_listings_say_whether_the_definition_is_published(db: Session, database_url: str) -> None:
    """ "version 1" only for what sessions run on: a conversation never published is a draft, and one edited since
    its latest version says so (the next session start, or ``graph publish``, publishes the edit)."""

    def shown(*args: str) -> str:
        result = CliRunner().invoke(app, ["graph", *args, "-d", database_url], env={"COLUMNS": "250"})
        assert result.exit_code == 0, result.output
        return " ".join(result.output.split())

    conversation = seed_demo(db)
    assert f"{DEMO_CONVERSATION} draft, never published 7 agents" in shown("list")
    assert publish_conversation(db, conversation) == 1
    assert f"{DEMO_CONVERSATION} version 1 7 agents" in shown("list")
    assert "as edited (version 1), initial agent General" in shown("show", DEMO_CONVERSATION)
    conversation.agents[0].instructions = "Something else."
    db.commit()
    assert f"{DEMO_CONVERSATION} version 1, edited since 7 agents" in shown("list")
    assert "as edited (version 1, edited since)" in shown("show", DEMO_CONVERSATION)
