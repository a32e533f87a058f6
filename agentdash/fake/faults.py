"""Starlette responses for injected faults: the shapes a flaky network and API really produce.

Each answer mimics something a client meets in production: a 429 with ``retry-after``, a
529 envelope, a load balancer's HTML 502, a 200 whose JSON is cut short, a body that
trickles in, and the worst one, a create that succeeded but whose answer was lost.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from agentdash.fake.scenario import Fault
from agentdash.fake.wire import error_body

_HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>fake-gateway</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def error_response(
    status: int,
    error_type: str,
    message: str,
    request_id: str,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A JSON error with the standard envelope."""
    return JSONResponse(error_body(error_type, message, request_id), status, headers=headers)


def rate_limited(
    request_id: str,
    retry_after: float | None,
    retry_after_ms: int | None = None,
    should_retry: bool | None = None,
) -> JSONResponse:
    """429 ``rate_limit_error`` with ``retry-after`` (seconds) and/or ``retry-after-ms``."""
    headers: dict[str, str] = {}
    if retry_after is not None:
        headers["retry-after"] = f"{retry_after:g}"
    if retry_after_ms is not None:
        headers["retry-after-ms"] = str(retry_after_ms)
    if should_retry is not None:
        headers["x-should-retry"] = "true" if should_retry else "false"
    message = "Number of requests has exceeded your rate limit (fake)"
    return error_response(429, "rate_limit_error", message, request_id, headers)


def pre_fault(fault: Fault, request_id: str) -> Response:
    """The response for a fault that replaces the request (nothing was processed)."""
    retry: dict[str, str] = {}
    if fault.should_retry is not None:
        retry["x-should-retry"] = "true" if fault.should_retry else "false"
    if fault.kind == "rate_limit":
        after = fault.retry_after
        if after is None and fault.retry_after_ms is None:
            after = 1.0
        return rate_limited(request_id, after, fault.retry_after_ms, fault.should_retry)
    if fault.kind == "overloaded":
        if fault.retry_after is not None:
            retry["retry-after"] = f"{fault.retry_after:g}"
        return error_response(529, "overloaded_error", "Overloaded (fake)", request_id, retry)
    if fault.kind == "html_502":
        return Response(_HTML_502, 502, headers=retry, media_type="text/html")
    return error_response(500, "api_error", "Internal server error (fake)", request_id, retry)


class DroppedResponse(Response):
    """Promises a body, sends part of it, and hangs up: the client sees a broken connection."""

    def __init__(self, body: bytes) -> None:
        super().__init__(body, 200, media_type="application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        half = self.body[: max(1, len(self.body) // 2)]
        await send({"type": "http.response.body", "body": half, "more_body": True})
        # Returning without finishing makes uvicorn close the connection mid-body.


def truncated(response: Response) -> Response:
    """The same status and headers, but only the first half of the JSON body."""
    body = bytes(response.body)
    cut = body[: max(1, len(body) // 2)]
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return Response(cut, response.status_code, headers=headers)


def slow(response: Response, chunks: int, pause: float) -> Response:
    """The same response, dripped out in ``chunks`` pieces with ``pause`` seconds between."""
    body = bytes(response.body)
    size = max(1, -(-len(body) // chunks))

    async def drip() -> AsyncIterator[bytes]:
        for start in range(0, len(body), size):
            if start:
                await asyncio.sleep(pause)
            yield body[start : start + size]

    headers = dict(response.headers)
    return StreamingResponse(drip(), response.status_code, headers=headers)


async def hang(request: Request, seconds: float, closing: asyncio.Event) -> None:
    """Wait until the client gives up, the server stops, or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not closing.is_set():
        if await request.is_disconnected():
            return
        await asyncio.sleep(0.05)


async def create_then_fail(
    fault: Fault, request: Request, response: Response, request_id: str, closing: asyncio.Event
) -> Response:
    """After a successful create: answer 500, drop the connection, or hang then 500."""
    if fault.mode == "drop":
        return DroppedResponse(bytes(response.body))
    if fault.mode == "timeout":
        await hang(request, fault.hang_seconds, closing)
    return error_response(500, "api_error", "Internal server error (fake)", request_id)


def json_response(payload: Any, status: int = 200) -> JSONResponse:
    """JSON with compact separators (closer to the real API than Starlette's default)."""
    return _CompactJSON(payload, status)


class _CompactJSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        # ASCII escapes, as real APIs send them: text with a lone surrogate stays valid JSON
        return json.dumps(content, separators=(",", ":")).encode()
