"""Templates: instructions, spoken texts and summaries written with Jinja2 and rendered against the session context.

A designer writes ``The customer's name is {{ customer_name }}.`` and the LiveKit shell renders it when the agent is
entered, with the context values of that moment. Templates run in Jinja2's sandbox: they read data and cannot reach
Python's internals or do I/O. A missing value renders as nothing (so does ``{{ order.total }}`` when there is no
``order``, and ``None``), so a prompt never breaks on a value not collected yet; lint names such values. A template
that does not compile (a syntax error, a filter or test that does not exist) is refused when it is saved. Text with
no template markers is not a template at all: it is kept exactly as written.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from rataura2.errors import InvalidTemplateError

if TYPE_CHECKING:
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

logger = logging.getLogger(__name__)

MARKERS = ("{{", "{%", "{#")
"""What makes text a template; anything else is plain text."""


def _finalize(value: Any) -> Any:
    return "" if value is None else value


@cache
def _env() -> SandboxedEnvironment:
    """The sandbox, made with the first template: Jinja2 is loaded only by graphs that have templates (importing
    it would cost the session core's import a tenth of its time)."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        undefined=jinja2.ChainableUndefined, finalize=_finalize, keep_trailing_newline=True, autoescape=False
    )


@dataclass(frozen=True, slots=True)
class Template:
    """A compiled template (or plain text, which renders to itself)."""

    source: str
    compiled: jinja2.Template | None = field(default=None, compare=False)
    variables: frozenset[str] = frozenset()
    """The top-level names it reads (``customer_name``, ``tool_results``...): what lint checks against the context
    keys a graph can set."""

    @property
    def is_plain(self) -> bool:
        return self.compiled is None

    def render(self, values: Mapping[str, Any]) -> str:
        """The text for ``values``; raises ``jinja2.TemplateError`` if the template fails on them (a filter given
        the wrong type, a sandbox violation)."""
        if self.compiled is None:
            return self.source
        return self.compiled.render(dict(values))

    def render_or_source(self, values: Mapping[str, Any], where: str) -> str:
        """The text for ``values``; if rendering fails, the failure is logged (naming ``where``) and the template's
        own text is used, so a bad value never stops a hand-over."""
        try:
            return self.render(values)
        except Exception as exc:
            logger.warning(
                "%s: template failed to render (%s: %s); using its text as written", where, type(exc).__name__, exc
            )
            return self.source


PLAIN_EMPTY = Template("")


def compile_template(source: str | None, field_name: str) -> Template:
    """``source`` compiled, or :class:`InvalidTemplateError` naming ``field_name`` and what is wrong."""
    text = source or ""
    if not any(marker in text for marker in MARKERS):
        return Template(text)
    import jinja2
    from jinja2 import meta

    env = _env()
    try:
        parsed = env.parse(text)
        compiled = env.from_string(parsed)
    except jinja2.TemplateSyntaxError as exc:
        line = f" (line {exc.lineno})" if exc.lineno and "\n" in text else ""
        raise InvalidTemplateError(field_name, f"template error{line}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise InvalidTemplateError(field_name, f"template error: {exc.message}") from None
    return Template(text, compiled, frozenset(meta.find_undeclared_variables(parsed)))


def template_variables(source: str | None) -> frozenset[str]:
    """The top-level names a template reads (for lint); empty for plain text. The template must compile."""
    return compile_template(source, "template").variables


__all__ = ["MARKERS", "PLAIN_EMPTY", "Template", "compile_template", "template_variables"]
