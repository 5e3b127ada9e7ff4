"""Lint: what a designer should look at before a conversation graph goes live, as findings with a code, a
severity, the agents and transitions concerned and a fix hint.

Pure (it reads a :class:`~rataura2.core.spec.GraphSpec` and nothing else), so the command line, the HTTP API and
the studio all run the same checks: ``lint_graph(spec)``. The codes are in :mod:`rataura2.lint.codes`, output
formats (text, JSON, SARIF) in :mod:`rataura2.lint.render`.
"""

from rataura2.lint.codes import CODES, Code
from rataura2.lint.engine import lint_graph
from rataura2.lint.findings import Finding, LintReport, Severity

__all__ = ["CODES", "Code", "Finding", "LintReport", "Severity", "lint_graph"]
