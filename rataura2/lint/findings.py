"""What lint reports: findings with a code, a severity, the agents and transitions they concern, and a fix hint.

The JSON shape (:meth:`Finding.to_dict`) is what the command prints with ``--format json``, what the HTTP API
answers and what the studio marks on its canvas, so a finding says where it is by ids as well as in words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    """The graph cannot work as written: a session would fail, or a transition can never fire."""
    WARNING = "warning"
    """Legal, but probably not what was meant."""


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    message: str
    hint: str
    """What to do about it, in a sentence."""
    agent_ids: tuple[int, ...] = ()
    transition_ids: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
            "agent_ids": list(self.agent_ids),
            "transition_ids": list(self.transition_ids),
        }


@dataclass(frozen=True, slots=True)
class LintReport:
    """Every finding about one conversation graph, errors first."""

    conversation: str
    findings: tuple[Finding, ...] = field(default=())
    agent_names: Mapping[int, str] = field(default_factory=dict)
    """Names of the conversation's agents by id, for the places a finding points at."""
    source: str | None = None
    """The file the graph was read from, if it was."""
    lines: Mapping[str, int] = field(default_factory=dict)
    """For a file: the line of each agent and transition (``"agent:3"``, ``"transition:7"``)."""

    @classmethod
    def of(
        cls, conversation: str, findings: Iterable[Finding], agent_names: Mapping[int, str] | None = None
    ) -> LintReport:
        order = {Severity.ERROR: 0, Severity.WARNING: 1}
        ranked = sorted(
            findings, key=lambda f: (order[f.severity], f.code, f.transition_ids or (0,), f.agent_ids or (0,))
        )
        return cls(conversation, tuple(ranked), dict(agent_names or {}))

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    def failed(self, *, strict: bool = False) -> bool:
        """Whether CI should stop: on any error, and with ``strict`` on any warning too."""
        return bool(self.errors or (strict and self.warnings))

    def without(self, codes: Iterable[str]) -> LintReport:
        ignored = set(codes)
        kept = tuple(f for f in self.findings if f.code not in ignored)
        return replace(self, findings=kept)

    def from_file(self, path: str, lines: Mapping[str, int] | None = None) -> LintReport:
        return replace(self, source=path, lines=dict(lines or {}))

    def line_of(self, finding: Finding) -> int | None:
        """The line in the source file of the first transition (else agent) the finding concerns."""
        for key in [f"transition:{t}" for t in finding.transition_ids] + [f"agent:{a}" for a in finding.agent_ids]:
            if key in self.lines:
                return self.lines[key]
        return None

    def _finding_dict(self, finding: Finding) -> dict[str, Any]:
        out = finding.to_dict()
        line = self.line_of(finding)
        if line is not None:
            out["line"] = line
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversation": self.conversation,
            "source": self.source,
            "ok": not self.errors,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [self._finding_dict(f) for f in self.findings],
        }
