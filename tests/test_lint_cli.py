"""``rataura2 lint`` on conversations in the database, in each format, with the exit codes CI relies on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from rataura2.cli.main import app
from rataura2.db.lint import lint_conversation
from rataura2.db.models import Conversation
from rataura2.demo.seed import DEMO_CONVERSATION, seed_demo
from rataura2.errors import RatauraError
from tests.builders import build_graph

ROOT = Path(__file__).resolve().parents[1]


def lint(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["lint", *args], env={"COLUMNS": "250"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def command(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command, as CI runs it."""
    return subprocess.run([sys.executable, "-m", "rataura2", *args], capture_output=True, text=True, cwd=ROOT)


def broken(db: Session) -> None:
    graph = build_graph(
        db,
        ["Triage", "Billing", "Orphan"],
        [
            ("Triage", "Billing", "user_input", {"pattern": "invoice"}, 5),
            ("Triage", "Billing", "user_input", {"pattern": "my invoice is wrong"}),
        ],
        name="support",
    )
    # saving refuses a condition on a tool nobody has (rataura2.core.validation): this row stands for one that an
    # earlier version stored, which lint must still report
    db.execute(
        text(
            "INSERT INTO transitions (id, source_agent_id, target_agent_id, condition_type, condition_data, priority)"
            " VALUES (3, :billing, :triage, 'tool_result', :data, 0)"
        ),
        {
            "billing": graph.agents["Billing"].id,
            "triage": graph.agents["Triage"].id,
            "data": json.dumps({"tool_name": "refund", "operator": "exists"}),
        },
    )
    db.commit()


def test_the_demo_has_no_findings(db: Session, database_url: str) -> None:
    seed_demo(db)
    assert lint_conversation(db, DEMO_CONVERSATION).findings == ()
    code, out = lint(DEMO_CONVERSATION, "-d", database_url, "--strict")
    assert (code, out) == (0, "EVE Online Assistant: no findings\n")


def test_findings_in_text_json_and_sarif_and_the_exit_codes(db: Session, database_url: str) -> None:
    broken(db)
    code, out = lint("support", "-d", database_url)
    assert code == 1, out
    assert out.splitlines()[0] == "support: 1 error, 2 warnings"
    assert "error   unknown_tool" in out and "transition 3 (Billing -> Triage, tool_result)" in out
    assert "hint: name one of the conversation's tools (none)" in out

    code, out = lint("support", "-d", database_url, "--format", "json")
    report = json.loads(out)["reports"][0]
    assert code == 1 and report["ok"] is False and (report["errors"], report["warnings"]) == (1, 2)
    codes = {f["code"]: f for f in report["findings"]}
    assert set(codes) == {"unknown_tool", "shadowed_transition", "unreachable_agent"}
    assert codes["shadowed_transition"]["transition_ids"] == [1, 2]
    assert set(codes["unknown_tool"]) == {"code", "severity", "message", "hint", "agent_ids", "transition_ids"}

    code, out = lint("support", "-d", database_url, "--format", "sarif")
    sarif = json.loads(out)
    run = sarif["runs"][0]
    assert sarif["version"] == "2.1.0" and run["tool"]["driver"]["name"] == "rataura2-lint"
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning") and result["message"]["text"].endswith(".")
    shadowed = next(r for r in run["results"] if r["ruleId"] == "shadowed_transition")
    names = [loc["name"] for loc in shadowed["locations"][0]["logicalLocations"]]
    assert names == ["Triage", "transition 1", "transition 2"]

    code, out = lint("support", "-d", database_url, "--ignore", "unknown_tool")
    assert code == 0 and "unknown_tool" not in out
    code, out = lint("support", "-d", database_url, "--ignore", "unknown_tool", "--strict")
    assert code == 1


def test_every_conversation_by_default_and_one_without_initial_agent(db: Session, database_url: str) -> None:
    seed_demo(db)
    db.add(Conversation(name="empty"))
    db.commit()
    code, out = lint("-d", database_url)
    assert code == 1
    assert "EVE Online Assistant: no findings" in out and "no_initial_agent" in out


def test_bad_input_is_one_error_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lint.db'}"
    done = command("lint", "-d", url)  # a read command never makes the database it was pointed at
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(f"error: no database at {tmp_path / 'lint.db'}") and "-d sqlite:///" in done.stderr
    assert not (tmp_path / "lint.db").exists()
    command("db", "upgrade", "-d", url)
    done = command("lint", "nope", "-d", url)
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        "error: no conversation 'nope'; conversations: none yet (by name or id)\n",
    )
    result = CliRunner().invoke(app, ["lint", "--ignore", "no_such_code", "-d", url])
    assert isinstance(result.exception, RatauraError)  # what main() prints as one error line
    assert str(result.exception).startswith("unknown lint code(s) no_such_code; codes: no_initial_agent,")


DEMO_DOCUMENT = ROOT / "examples" / "flows" / "eve-online.yaml"


def test_a_document_file_is_linted_without_a_database_and_findings_point_at_lines(tmp_path: Path) -> None:
    code, out = lint(str(DEMO_DOCUMENT), "--strict")
    assert (code, out) == (0, f"EVE Online Assistant ({DEMO_DOCUMENT}): no findings\n")
    text = DEMO_DOCUMENT.read_text()
    broken = text.replace("    pattern: combat\n", "    pattern: comb(at\n    match: regex\n", 1).replace(
        "  description: Back to the guide.\n", "  description: null\n"
    )
    path = tmp_path / "eve.yaml"
    path.write_text(broken)
    line = broken.splitlines().index("- source: General") + 1  # the first transition
    code, out = lint(str(path))
    assert code == 1
    assert "transition 1 (General -> Combat, user_input): invalid user_input condition_data" in out
    assert f"({path}:{line})" in out and "undescribed_decision" in out
    sarif = json.loads(lint(str(path), "--format", "sarif")[1])
    located = {r["ruleId"]: r["locations"][0]["physicalLocation"] for r in sarif["runs"][0]["results"]}
    assert located["invalid_condition"] == {"artifactLocation": {"uri": str(path)}, "region": {"startLine": line}}

    path.write_text(text.replace("- source: General", "- source: Generl", 1))
    result = CliRunner().invoke(app, ["lint", str(path)])
    assert isinstance(result.exception, RatauraError)
    assert str(result.exception) == f"{path}: transitions.0.source: no agent named 'Generl'"


def test_the_demo_document_is_the_demo_seed(db: Session) -> None:
    """examples/flows/eve-online.yaml is rataura2/demo/seed.py exported; after changing the seed, regenerate it:
    rataura2 graph export "EVE Online Assistant" -d sqlite:///out/demo.db -o examples/flows/eve-online.yaml"""
    from rataura2.document import codec
    from rataura2.document.export import export_document

    assert codec.to_yaml(export_document(db, seed_demo(db))) == DEMO_DOCUMENT.read_text()
