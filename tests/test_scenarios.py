"""Scenario tests: the demo suite, the diff a failing expectation gives, JUnit XML, coverage, graph sources, and
the same scenarios on a real text-mode LiveKit AgentSession."""

from __future__ import annotations

import asyncio
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from rataura2.cli.main import app
from rataura2.demo.seed import DEMO_CONVERSATION, seed_demo
from rataura2.errors import InvalidScenarioError
from rataura2.persistence.versions import publish_conversation
from rataura2.scenarios.junit import junit_xml
from rataura2.scenarios.model import parse_scenarios
from rataura2.testing.livekit_runner import run_scenario_livekit
from rataura2.testing.sources import GraphSources
from rataura2.testing.suite import SuiteRun

ROOT = Path(__file__).resolve().parents[1]
DEMO_SUITE = ROOT / "examples" / "scenarios"
SEED = "graph: {seed: 'rataura2.demo.seed:seed_demo'}\n"


def scenario_file(tmp_path: Path, body: str, name: str = "t.scenario.yaml", graph: str = SEED) -> Path:
    path = tmp_path / name
    path.write_text(graph + textwrap.dedent(body), encoding="utf-8")
    return path


def run(paths: list[Path], **options: object) -> SuiteRun:
    with GraphSources(options.pop("database_url", None)) as sources:  # type: ignore[arg-type]
        suite = SuiteRun(sources, **options)  # type: ignore[arg-type]
        suite.run_files(paths)
        suite.coverage_report = suite.coverage()  # type: ignore[attr-defined]
    return suite


def test_the_demo_suite_passes_and_exercises_every_transition() -> None:
    suite = run([DEMO_SUITE])
    assert len(suite.outcomes) >= 9 and all(o.passed for o in suite.outcomes), [o.message() for o in suite.outcomes]
    (coverage,) = suite.coverage_report  # type: ignore[attr-defined]
    assert coverage.uncovered == () and len(coverage.transitions) == 11


def test_a_failing_expectation_says_what_differs_after_which_step_and_why(tmp_path: Path) -> None:
    path = scenario_file(
        tmp_path,
        """
        name: wrong
        steps:
          - user: hello
            expect: {agent: General}
          - user: I want combat advice
            expect: {agent: Market, handover: {to: Market}, context: {topic: market, turn_count: 2}}
        """,
    )
    (outcome,) = run([path]).outcomes
    assert outcome.status == "failed" and outcome.failure is not None and outcome.failure.index == 2
    assert outcome.message() == (
        "step 2 (user says 'I want combat advice'): expected agent Market, got Combat; expected a hand-over ? -> "
        "Market, got General -> Combat (transition 1); reason: user said 'I want combat advice', which contains "
        "'combat'; expected context topic = 'market', it is not set, because transition 1 (General -> Combat) "
        "fired: user said 'I want combat advice', which contains 'combat'"
    )


def test_when_nothing_moves_the_reason_lists_what_was_checked(tmp_path: Path) -> None:
    path = scenario_file(
        tmp_path,
        """
        name: stays
        steps:
          - user: tell me about combat
          - tool: price_check
            result: {price_isk: 5}
            expect: {handover: {to: Market}}
        """,
    )
    (outcome,) = run([path]).outcomes
    assert outcome.message() == (
        "step 2 (tool price_check returns {'price_isk': 5}): expected a hand-over ? -> Market, got none, because no "
        "transition of Combat held on this tool_called / tool_result (checked: 4 -> Market: tool 1 cost_isk gte "
        "(The suggested fitting costs a million ISK or more: help buy it.))"
    )


def test_ended_context_paths_and_a_step_that_makes_no_valid_event(tmp_path: Path) -> None:
    path = scenario_file(
        tmp_path,
        """
        scenarios:
          - name: ends
            context: {pilot: Ana}
            steps:
              - context: {corp: Brave}
                expect: {context: {pilot: Ana, corp: Brave, session.status: active}}
              - end: bye
                expect: {ended: false}
          - name: bad event
            steps:
              - event: warp_drive
        """,
    )
    ends, bad = run([path]).outcomes
    assert ends.message() == "step 2 (session ends (bye)): the session has ended"
    assert bad.status == "error" and "unknown event type 'warp_drive'" in bad.message()


def test_invalid_files_name_the_part_at_fault(tmp_path: Path) -> None:
    with pytest.raises(InvalidScenarioError, match=r"^f.yaml: scenarios.0.steps.0: .*this one: user, decide"):
        parse_scenarios(SEED + "name: x\nsteps: [{user: hi, decide: Market}]", "f.yaml")
    with pytest.raises(InvalidScenarioError, match=r"expect.agnet: Extra inputs are not permitted"):
        parse_scenarios(SEED + "name: x\nsteps: [{user: hi, expect: {agnet: Market}}]", "f.yaml")
    with pytest.raises(InvalidScenarioError, match="not valid YAML"):
        parse_scenarios("graph: [", "f.yaml")
    path = scenario_file(tmp_path, "name: x\nsteps: [{user: hi}]", graph="graph: {seed: 'rataura2.demo.seed:nope'}\n")
    (outcome,) = run([path]).outcomes
    assert outcome.status == "error" and "rataura2.demo.seed has no function 'nope'" in outcome.message()


def test_junit_xml_and_the_command(tmp_path: Path) -> None:
    failing = scenario_file(
        tmp_path, "name: wrong\nsteps: [{user: combat, expect: {agent: Market}}]", "f.scenario.yaml"
    )
    report = tmp_path / "junit.xml"
    result = CliRunner().invoke(app, ["test", str(DEMO_SUITE), str(failing), "--junit-xml", str(report)])
    assert result.exit_code == 1, result.output
    assert "FAIL  " in result.output and "expected agent Market, got Combat, because transition 1" in result.output
    assert "passed, 1 failed, 0 errors" in result.output
    assert "EVE Online Assistant: 11 of 11 transitions exercised (100%)" in result.output
    root = ET.fromstring(report.read_text())
    assert root.tag == "testsuites" and root.get("failures") == "1" and int(root.get("tests", 0)) >= 10
    (failure,) = root.iter("failure")
    assert failure.get("message", "").startswith("step 1 (user says 'combat'): expected agent Market, got Combat")

    result = CliRunner().invoke(app, ["test", str(DEMO_SUITE)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["test", str(tmp_path / "none")])
    assert isinstance(result.exception, InvalidScenarioError) and "no such file or folder" in str(result.exception)


def test_junit_counts_errors_apart_from_failures(tmp_path: Path) -> None:
    path = scenario_file(
        tmp_path,
        "scenarios: [{name: a, steps: [{event: nope}]}, {name: b, steps: [{user: x, expect: {agent: Combat}}]}]",
    )
    root = ET.fromstring(junit_xml(run([path]).outcomes))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "1", "1")


def test_a_conversation_in_the_database_its_draft_and_a_published_version(
    db: Session, database_url: str, tmp_path: Path
) -> None:
    conversation = seed_demo(db)
    publish_conversation(db, conversation)
    combat = next(t for t in conversation.agents if t.name == "General").outgoing_transitions[0]
    combat.condition_data = {"pattern": "fight"}
    db.commit()
    body = "name: combat\nsteps: [{user: I want combat, expect: {agent: Combat}}]"
    graph = f"graph: {{conversation: {DEMO_CONVERSATION}{{version}}}}\n"
    draft = scenario_file(tmp_path, body, "draft.scenario.yaml", graph.replace("{version}", ""))
    published = scenario_file(tmp_path, body, "v1.scenario.yaml", graph.replace("{version}", ", version: 1"))
    draft_run, v1_run = (run([p], database_url=database_url).outcomes[0] for p in (draft, published))
    assert draft_run.status == "failed" and v1_run.passed
    (on_livekit,) = run([published], database_url=database_url, livekit=True).outcomes  # copied to a scratch database
    assert on_livekit.passed and on_livekit.mode == "livekit"


def test_the_demo_journeys_on_a_real_livekit_agent_session() -> None:
    suite = run([DEMO_SUITE / "eve-online" / "journeys.scenario.yaml"], livekit=True)
    assert [o.mode for o in suite.outcomes] == ["livekit"] * len(suite.outcomes)
    assert all(o.passed for o in suite.outcomes), [o.message() for o in suite.outcomes]


def test_a_failure_on_livekit_reads_as_on_the_core(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, "name: wrong\nsteps: [{user: hi}, {user: I want combat, expect: {agent: Market}}]")
    with GraphSources() as sources:
        file = parse_scenarios(path.read_text(), str(path))
        loaded = sources.load(file.graph, tmp_path, where=str(path), livekit=True)
        outcome = asyncio.run(run_scenario_livekit(loaded, file.scenarios[0], file=str(path)))
    assert outcome.message().startswith(
        "step 2 (user says 'I want combat'): expected agent Market, got Combat, because transition 1 (General -> "
        "Combat) fired: user said 'I want combat', which contains 'combat'"
    )
