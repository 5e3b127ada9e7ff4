"""Instructions written as templates (``Hello {{ user_name }}``): a template that does not parse, and values it
names that nothing in the graph sets (they would render empty).

A text is a template when it has Jinja2 markup (``{{``, ``{%``, ``{#``); agents without any are skipped. A name
is read either as a context key (``{{ user_name }}``) or through ``context`` (``{{ context.user_name }}``).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from rataura2.core.spec import AgentSpec
from rataura2.lint import codes
from rataura2.lint.context_keys import known_keys
from rataura2.lint.findings import Finding
from rataura2.lint.subject import Subject

_MARKUP = ("{{", "{%", "{#")


@cache
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment()


def template_texts(agent: AgentSpec) -> Iterator[tuple[str, str]]:
    """(where, text) of each of the agent's texts that is a template."""
    if any(mark in agent.instructions for mark in _MARKUP):
        yield "instructions", agent.instructions


def names_read(text: str) -> set[str]:
    """The values a template reads unguarded: its free names, with ``context.x`` / ``context["x"]`` read as
    ``x``, less those it tests first (``{% if x %}``) or gives a default (``{{ x | default('') }}``)."""
    env = _environment()
    tree = env.parse(text)
    names = set(meta.find_undeclared_variables(tree)) - set(env.globals)
    if "context" in names:
        names.discard("context")
        names.update(key for node in tree.find_all((nodes.Getattr, nodes.Getitem)) if (key := _context_key(node)))
    return names - _guarded(tree)


def _context_key(node: nodes.Node | None) -> str | None:
    """``x`` for ``context.x`` or ``context["x"]``."""
    if (
        isinstance(node, nodes.Getattr | nodes.Getitem)
        and isinstance(node.node, nodes.Name)
        and node.node.name == "context"
    ):
        key = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        return key if isinstance(key, str) else None
    return None


def _key(node: nodes.Node | None) -> str | None:
    return node.name if isinstance(node, nodes.Name) else _context_key(node)


def _guarded(tree: nodes.Template) -> set[str]:
    """Names tested by an ``if`` or given a ``default``."""
    guarded: set[str] = set()
    for test in tree.find_all(nodes.If):
        for node in (test.test, *test.test.find_all((nodes.Name, nodes.Getattr, nodes.Getitem))):
            if (key := _key(node)) is not None:
                guarded.add(key)
    for applied in tree.find_all(nodes.Filter):
        if applied.name in ("default", "d") and (key := _key(applied.node)) is not None:
            guarded.add(key)
    return guarded


def template_findings(subject: Subject) -> Iterator[Finding]:
    known = known_keys(subject.spec) | {"agent", "conversation"}
    for agent in subject.spec.agents.values():
        for where, text in template_texts(agent):
            try:
                names = names_read(text)
            except TemplateSyntaxError as exc:
                yield codes.INVALID_TEMPLATE.finding(
                    f"{agent.name}'s {where} template does not parse: {exc.message} (line {exc.lineno})",
                    "fix the template markup ({{ value }}, {% if ... %}...{% endif %})",
                    agents=(agent.id,),
                )
                continue
            for name in sorted(names - known):
                yield codes.UNKNOWN_TEMPLATE_VALUE.finding(
                    f"{agent.name}'s {where} name {name!r}, which nothing in the graph sets: it renders empty",
                    f"set {name!r} before the session reaches {agent.name} (a rule's set_context_value, an enter "
                    f"action, the API), give it a default ({{{{ {name} | default('...') }}}}), or list it in the "
                    "conversation's config 'context_keys' if a tool or the API sets it",
                    agents=(agent.id,),
                )
