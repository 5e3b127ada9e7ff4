"""What running a scenario came to: passed, failed at a step (with what differed and why), or could not run."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class StepFailure:
    index: int
    """1-based, as the file counts steps."""
    step: str
    """The step in words."""
    problems: tuple[str, ...]
    because: str = ""
    """Why the session went where it did (for problems about where it went)."""

    def message(self) -> str:
        """``step 3 (user says 'x'): expected agent Market, got Combat, because ...``"""
        text = f"step {self.index} ({self.step}): {'; '.join(self.problems)}"
        return f"{text}, {self.because}" if self.because else text


@dataclass(frozen=True, slots=True)
class ScenarioOutcome:
    file: str
    name: str
    failure: StepFailure | None = None
    error: str | None = None
    """The scenario could not run (a step that makes no valid event, a graph that does not load...)."""
    fired: frozenset[int] = field(default=frozenset())
    """Ids of the transitions the run fired (for edge coverage)."""
    seconds: float = 0.0
    mode: str = "core"
    graph: str = ""
    """Which graph it ran on (a source key): coverage is counted per graph."""

    @property
    def passed(self) -> bool:
        return self.failure is None and self.error is None

    @property
    def status(self) -> str:
        return "passed" if self.passed else "error" if self.error else "failed"

    def message(self) -> str:
        if self.error is not None:
            return f"could not run: {self.error}"
        return self.failure.message() if self.failure is not None else "passed"
