"""Scenario outcomes as JUnit XML, the report format CI servers read: a test suite per file, a test case per
scenario, with the failing step's diff as the failure message."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import PurePath

from rataura2.scenarios.outcome import ScenarioOutcome


def junit_xml(outcomes: Sequence[ScenarioOutcome], *, name: str = "rataura2 scenarios") -> str:
    root = ET.Element("testsuites", name=name)
    files = list(dict.fromkeys(o.file for o in outcomes))
    for file in files:
        mine = [o for o in outcomes if o.file == file]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=file,
            tests=str(len(mine)),
            failures=str(sum(o.failure is not None and o.error is None for o in mine)),
            errors=str(sum(o.error is not None for o in mine)),
            time=f"{sum(o.seconds for o in mine):.3f}",
        )
        for outcome in mine:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=PurePath(file).name.removesuffix(".yaml").removesuffix(".yml"),
                name=f"{outcome.name} [{outcome.mode}]",
                time=f"{outcome.seconds:.3f}",
            )
            if outcome.error is not None:
                ET.SubElement(case, "error", message=outcome.error).text = outcome.message()
            elif outcome.failure is not None:
                ET.SubElement(case, "failure", message=outcome.failure.message()).text = outcome.message()
    for key in ("tests", "failures", "errors"):
        root.set(key, str(sum(int(suite.get(key, "0")) for suite in root)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
