"""Documents as JSON or YAML text, written the same way every time so that files diff well in git and an
export -> import -> export round trip gives the same bytes."""

from __future__ import annotations

import json
from typing import Any

import yaml
from pydantic import ValidationError

from rataura2.document.model import ConversationDocument
from rataura2.errors import InvalidDocumentError

JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


class _Dumper(yaml.SafeDumper):
    """Block style throughout, multi-line strings as literal blocks (instructions stay readable)."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and all(line == line.rstrip() for line in value.split("\n")):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def document_data(document: ConversationDocument) -> dict[str, Any]:
    return document.model_dump(mode="json")


def to_json(document: ConversationDocument) -> str:
    return json.dumps(document_data(document), indent=2, ensure_ascii=False) + "\n"


def to_yaml(document: ConversationDocument) -> str:
    return yaml.dump(document_data(document), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120, indent=2)


def dump(document: ConversationDocument, fmt: str) -> str:
    """``fmt``: ``json`` or ``yaml``."""
    return to_yaml(document) if fmt == "yaml" else to_json(document)


def parse_data(data: Any) -> ConversationDocument:
    """A document from parsed JSON/YAML data; :class:`InvalidDocumentError` naming the first field at fault."""
    try:
        return ConversationDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidDocumentError(first["loc"], first["msg"]) from None


def load(text: str | bytes, fmt: str) -> ConversationDocument:
    """A document from JSON or YAML text."""
    try:
        data = yaml.safe_load(text) if fmt == "yaml" else json.loads(text)
    except (yaml.YAMLError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidDocumentError((), f"not valid {fmt.upper()}: {exc}") from None
    return parse_data(data)


def format_of(filename: str) -> str:
    """``yaml`` for .yaml/.yml files, else ``json``."""
    return "yaml" if filename.lower().endswith((".yaml", ".yml")) else "json"
