"""``rataura2 test``: run scenario files against their conversations, report each failure's diff, edge coverage,
and JUnit XML for CI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from rataura2.cli.options import DatabaseOption, make_console

console = make_console()


def test_command(
    paths: Annotated[list[Path], typer.Argument(help="Scenario files, or folders holding *.scenario.yaml files.")],
    database_url: DatabaseOption = None,
    livekit: Annotated[
        bool, typer.Option("--livekit", help="Run each scenario on a real text-mode LiveKit AgentSession.")
    ] = False,
    junit_xml: Annotated[Path | None, typer.Option("--junit-xml", help="Also write a JUnit XML report here.")] = None,
    coverage: Annotated[bool, typer.Option(help="Report which transitions no scenario exercised.")] = True,
    output_format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    tools: Annotated[
        list[str] | None,
        typer.Option("--tools", help="Module that registers tool callables (--livekit runs; repeatable)."),
    ] = None,
) -> None:
    """Run scenario tests: steps (the user says, a tool returns, the LLM decides, an event arrives) with
    expectations (the active agent, the hand-over and its reason, context values, the session ended). Exit 1 when
    any scenario fails."""
    from rataura2.errors import RatauraError
    from rataura2.scenarios.junit import junit_xml as to_junit
    from rataura2.testing.sources import GraphSources
    from rataura2.testing.suite import SuiteRun, cases

    if output_format not in ("text", "json"):
        raise RatauraError(f"--format must be text or json, not {output_format!r}")
    if livekit:
        from rataura2.livekit.chat import DEFAULT_TOOL_MODULES, import_tool_modules

        import_tool_modules(tools or DEFAULT_TOOL_MODULES)
    found = list(cases(paths))
    if not found:
        raise RatauraError(f"no scenarios in {', '.join(map(str, paths))} (files are named *.scenario.yaml)")
    with GraphSources(database_url) as sources:
        suite = SuiteRun(sources, livekit=livekit)
        for path, file, scenario in found:
            outcome = suite.run(path, file, scenario)
            if output_format == "text":
                _print(outcome.status, f"{path}::{scenario.name}", outcome.message(), outcome.seconds)
        covered = suite.coverage() if coverage else []
    outcomes = suite.outcomes
    if junit_xml is not None:
        try:
            junit_xml.write_text(to_junit(outcomes), encoding="utf-8")
        except OSError as exc:
            raise RatauraError(f"cannot write {junit_xml}: {exc}") from None
    if output_format == "json":
        report = {
            "mode": suite.mode,
            "scenarios": [
                {"file": o.file, "name": o.name, "status": o.status, "message": o.message(), "seconds": o.seconds}
                for o in outcomes
            ],
            "coverage": [c.to_dict() for c in covered],
        }
        print(json.dumps(report, indent=2))
    else:
        counts = {s: sum(o.status == s for o in outcomes) for s in ("passed", "failed", "error")}
        total = sum(o.seconds for o in outcomes)
        console.print(
            f"\n{counts['passed']} passed, {counts['failed']} failed, {counts['error']} errors in {total:.2f} s "
            f"({suite.mode})"
        )
        for c in covered:
            console.print(escape(c.text()))
    if any(not o.passed for o in outcomes):
        raise typer.Exit(1)


_STYLE = {"passed": "[green]PASS[/green] ", "failed": "[red]FAIL[/red] ", "error": "[red]ERROR[/red]"}


def _print(status: str, name: str, message: str, seconds: float) -> None:
    console.print(f"{_STYLE[status]} {escape(name)} [dim]({seconds * 1000:.0f} ms)[/dim]")
    if status != "passed":
        console.print(f"      {escape(message)}")
