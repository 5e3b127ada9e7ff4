"""What a scenario file says: where its conversation comes from, and scenarios of steps with expectations.

```yaml
graph: {seed: "rataura2.demo.seed:seed_demo", conversation: EVE Online Assistant}
scenarios:
  - name: combat questions go to the combat specialist
    steps:
      - user: I want combat advice
        expect: {agent: Combat, handover: {from: General, to: Combat, reason: combat}}
      - tool: fit_ship
        result: {cost_isk: 3200000}
        expect: {agent: Market, context: {tool_results.fit_ship.cost_isk: 3200000}}
      - decide: Industry
        expect: {agent: Industry}
      - end: the pilot is done
        expect: {ended: true}
```

A step is one thing that happens: the user says something (``user``), a tool returns (``tool`` + ``result``), the
LLM decides to hand over (``decide``), an event arrives (``event`` + ``data``, or ``livekit`` for a LiveKit event
by name), the API sets context values (``context``), or the session ends (``end``). A file with one scenario may
give ``name`` and ``steps`` at the top instead of ``scenarios``.
"""

from __future__ import annotations

from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rataura2.errors import InvalidScenarioError

ACTIONS = ("user", "tool", "decide", "event", "livekit", "context", "end")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class GraphSource(_Strict):
    """Where the conversation under test comes from: a database (``conversation``, by name or id, in the database
    the runner is given), a seed function that fills an empty database (``seed: "module:function"``), or a
    conversation document (``document``, a path relative to the scenario file)."""

    conversation: str | int | None = None
    seed: str | None = Field(default=None, pattern=r"^[\w.]+:\w+$")
    document: str | None = None
    version: int | None = Field(default=None, ge=1, description="A published version instead of the draft.")

    @model_validator(mode="after")
    def _one_source(self) -> GraphSource:
        if self.seed is not None and self.document is not None:
            raise ValueError("give either seed or document, not both")
        if self.seed is None and self.document is None and self.conversation is None:
            raise ValueError("name a conversation, a seed or a document")
        return self

    @property
    def key(self) -> str:
        """One graph per key: scenarios with the same source share it (and its coverage)."""
        return f"seed={self.seed}|document={self.document}|conversation={self.conversation}|version={self.version}"


class HandoverExpect(_Strict):
    to: str | None = None
    from_: str | None = Field(default=None, alias="from")
    reason: str | None = Field(default=None, description="Text the hand-over's reason contains (any case).")
    transition: int | None = None


class Expect(_Strict):
    agent: str | None = None
    handover: HandoverExpect | Literal[False] | None = None
    """What this step's hand-over must be; ``false``: the session must not move."""
    context: dict[str, Any] = Field(default_factory=dict)
    """Context values after the step, by key or dotted path (``tool_results.fit_ship.cost_isk``)."""
    ended: bool | None = None


class Step(_Strict):
    user: str | None = None
    tool: str | None = None
    result: Any = None
    arguments: dict[str, Any] = Field(default_factory=dict)
    error: bool = False
    """``tool``: the call failed (``result`` is the error text)."""
    decide: str | None = None
    reason: str | None = None
    key: str = "transition_to"
    event: str | None = None
    livekit: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    source: str | None = None
    context: dict[str, Any] | None = None
    end: str | Literal[True] | None = None
    expect: Expect | None = None

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        given = [a for a in ACTIONS if getattr(self, a) is not None]
        if len(given) != 1:
            found = ", ".join(given) or "none"
            raise ValueError(f"a step does exactly one of {', '.join(ACTIONS)}; this one: {found}")
        return self

    @property
    def action(self) -> str:
        return next(a for a in ACTIONS if getattr(self, a) is not None)

    def describe(self) -> str:
        """The step in words, for reports."""
        match self.action:
            case "user":
                return f"user says {self.user!r}"
            case "tool":
                return f"tool {self.tool} {'fails with' if self.error else 'returns'} {self.result!r}"
            case "decide":
                return f"LLM decides {self.key}={self.decide!r}"
            case "event":
                return f"event {self.event}" + (f" {self.data}" if self.data else "")
            case "livekit":
                return f"LiveKit {self.livekit}" + (f" {self.data}" if self.data else "")
            case "context":
                return f"context set {self.context}"
        return "session ends" + (f" ({self.end})" if isinstance(self.end, str) else "")


class Scenario(_Strict):
    name: str = Field(min_length=1)
    description: str | None = None
    context: dict[str, Any] = Field(default_factory=dict)
    """Context values the session starts with (as ``initial_context``)."""
    steps: list[Step] = Field(min_length=1)


class ScenarioFile(_Strict):
    graph: GraphSource
    scenarios: list[Scenario] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _single(cls, data: Any) -> Any:
        if isinstance(data, dict) and "steps" in data and "scenarios" not in data:
            single = {k: v for k, v in data.items() if k != "graph"}
            return {"graph": data.get("graph"), "scenarios": [single]}
        return data

    @model_validator(mode="after")
    def _unique_names(self) -> ScenarioFile:
        names = [s.name for s in self.scenarios]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"scenario names must differ within a file; repeated: {', '.join(twice)}")
        return self


def parse_scenarios(text: str, where: str) -> ScenarioFile:
    """A scenario file from its YAML (or JSON) text; :class:`InvalidScenarioError` naming ``where`` and the part
    at fault otherwise."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidScenarioError(where, f"not valid YAML: {exc}") from None
    try:
        return ScenarioFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"]) or "file"
        raise InvalidScenarioError(f"{where}: {path}", first["msg"].removeprefix("Value error, ")) from None
