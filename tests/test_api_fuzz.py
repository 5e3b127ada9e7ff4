"""A bounded property-based fuzz of the API against its own OpenAPI document (schemathesis): whatever a client
sends, no answer is a server error, and every answer matches what the document says of its status, content type
and body."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rataura2.vocabulary.enums import Role
from tests.api_support import make_api

_HOME = Path(tempfile.mkdtemp(prefix="rataura2-fuzz-"))
API = make_api(f"sqlite:///{_HOME / 'fuzz.db'}")
atexit.register(lambda: (API.app.state.api.close(), shutil.rmtree(_HOME, ignore_errors=True)))
HEADERS = {"Authorization": f"Bearer {API.tokens[Role.ADMIN]}"}
CONFIG = schemathesis.Config.from_dict(
    {"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}, "generation": {"max-examples": 6}}
)
schema = schemathesis.openapi.from_asgi("/openapi.json", API.app, config=CONFIG).exclude(path_regex=r"/stream$")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_answer_is_a_server_error_or_breaks_the_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=HEADERS, checks=CHECKS)
