"""Request logs and HTTP metrics, as a plain ASGI middleware (no extra task per request, streams pass through).

A log line has the method, the path, the status and the time; never the query string (an EventSource's token is
there) nor any body (message text stays out of logs).
"""

from __future__ import annotations

import logging
import time

from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rataura2.api.metrics import Metrics

logger = logging.getLogger("rataura2.api")


class RequestLog:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("route")
            template = route.path if isinstance(route, APIRoute) else "other"
            self.metrics.request(scope["method"], template, status, seconds)
            logger.info("%s %s %d %.1fms", scope["method"], scope["path"], status, seconds * 1000)
