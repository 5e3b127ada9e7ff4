"""The pytest plugin: ``pytest`` collects ``*.scenario.yaml`` files, a test per scenario, with the step diff as
the failure and edge coverage at the end."""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]


def test_pytest_collects_scenario_files_and_reports_failures_and_coverage(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".scenario.yaml",
        demo=textwrap.dedent(
            """
            graph: {seed: "rataura2.demo.seed:seed_demo"}
            scenarios:
              - name: combat
                steps: [{user: I want combat, expect: {agent: Combat}}]
              - name: wrong
                steps: [{user: I want combat, expect: {agent: Industry}}]
            """
        ),
    )
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makefile(".yaml", ignored="graph: {}")  # not a scenario file: not collected
    result = pytester.runpytest("-p", "no:cacheprovider", "-rf")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*scenario 'wrong' (core) failed:",
            "*step 1 (user says 'I want combat'): expected agent Industry, got Combat, because transition 1 "
            "(General -> Combat) fired: *",
            "*rataura2 scenario coverage*",
            "EVE Online Assistant: 1 of 11 transitions exercised (9%)",
            "  not exercised: transition 2: General -> Combat, *",
        ]
    )
