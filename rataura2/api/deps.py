"""Request-scoped dependencies: a database session (closed, and so rolled back unless committed, after the
request) and the ``If-Match`` revision."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from sqlalchemy.orm import Session

from rataura2.api.errors import FieldError
from rataura2.api.state import api_state

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,18})"?\s*$')


def get_db(request: Request) -> Iterator[Session]:
    with api_state(request).sessions() as db:
        yield db


def if_match(
    if_match: Annotated[
        str | None,
        Header(description='The conversation revision this edit is based on ("12"); a stale one is refused with 409.'),
    ] = None,
) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    found = _ETAG.match(if_match)
    if found is None:
        raise FieldError(("header", "if-match"), f'If-Match must be a revision such as "12", got {if_match!r}')
    return int(found.group(1))


def set_etag(response: Response, revision: int) -> None:
    response.headers["ETag"] = f'"{revision}"'


DB = Annotated[Session, Depends(get_db)]
IfMatch = Annotated[int | None, Depends(if_match)]
