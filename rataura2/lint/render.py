"""Lint reports as text (people and CI logs), JSON (tools, the HTTP API) and SARIF 2.1.0 (code-scanning UIs such
as GitHub's, which show each finding where it is)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rataura2 import __version__
from rataura2.lint.codes import CODES
from rataura2.lint.findings import Finding, LintReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def text(reports: Sequence[LintReport]) -> str:
    lines = []
    for report in reports:
        where = f" ({report.source})" if report.source else ""
        if not report.findings:
            lines.append(f"{report.conversation}{where}: no findings")
            continue
        counts = f"{_count(len(report.errors), 'error')}, {_count(len(report.warnings), 'warning')}"
        lines.append(f"{report.conversation}{where}: {counts}")
        width = max(len(f.code) for f in report.findings)
        for f in report.findings:
            line = report.line_of(f)
            at = f" ({report.source}:{line})" if line is not None else ""
            lines.append(f"  {f.severity.value:<7} {f.code:<{width}}  {f.message}{at}")
            lines.append(f"  {'':<7} {'':<{width}}  hint: {f.hint}")
    return "\n".join(lines) + "\n"


def json_text(reports: Sequence[LintReport]) -> str:
    return json.dumps({"reports": [r.to_dict() for r in reports]}, indent=2) + "\n"


def sarif(reports: Sequence[LintReport]) -> dict[str, Any]:
    """One SARIF run with a rule per lint code and a result per finding, each located by its conversation, agents
    and transitions (logical locations) and, when the graph came from a file, by that file."""
    rules = [
        {
            "id": code.name,
            "name": code.name,
            "shortDescription": {"text": code.summary},
            "defaultConfiguration": {"level": code.severity.value},
        }
        for code in CODES.values()
    ]
    index = {code: i for i, code in enumerate(CODES)}
    results = [_result(report, f, index) for report in reports for f in report.findings]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "rataura2-lint", "version": __version__, "rules": rules}},
                "results": results,
            }
        ],
    }


def _result(report: LintReport, finding: Finding, index: dict[str, int]) -> dict[str, Any]:
    logical: list[dict[str, Any]] = [
        {
            "name": report.agent_names.get(agent_id, f"agent {agent_id}"),
            "fullyQualifiedName": f"{report.conversation}/{report.agent_names.get(agent_id, agent_id)}",
            "kind": "type",
        }
        for agent_id in finding.agent_ids
    ]
    logical += [
        {"name": f"transition {t}", "fullyQualifiedName": f"{report.conversation}/transition {t}", "kind": "member"}
        for t in finding.transition_ids
    ]
    location: dict[str, Any] = {"logicalLocations": logical or [{"name": report.conversation, "kind": "module"}]}
    if report.source:
        physical: dict[str, Any] = {"artifactLocation": {"uri": report.source}}
        line = report.line_of(finding)
        if line is not None:
            physical["region"] = {"startLine": line}
        location["physicalLocation"] = physical
    return {
        "ruleId": finding.code,
        "ruleIndex": index[finding.code],
        "level": finding.severity.value,
        "message": {"text": f"{finding.message}. Fix: {finding.hint}."},
        "locations": [location],
        "properties": {
            "conversation": report.conversation,
            "hint": finding.hint,
            "agent_ids": list(finding.agent_ids),
            "transition_ids": list(finding.transition_ids),
        },
    }


def sarif_text(reports: Sequence[LintReport]) -> str:
    return json.dumps(sarif(reports), indent=2) + "\n"


FORMATS = {"text": text, "json": json_text, "sarif": sarif_text}
