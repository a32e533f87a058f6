"""The Starlette app of the background-responses fake.

Routes (under ``/v1``): ``POST /responses`` (needs ``background: true`` and ``input``),
``GET /responses/{id}``, ``POST /responses/{id}/cancel``, and ``GET /responses`` with
``created_after`` (epoch seconds), which lists responses with their ``metadata``; the real
API has no such list, but an API that can list lets agentdash reconcile a lost create.
Every request needs a bearer token; the next queued fault for the route applies first.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agentdash.fake_responses.scenario import Fault, RouteKind
from agentdash.fake_responses.state import ResponsesState

_HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body>bad gateway</body></html>"


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"type": code, "code": code, "message": message, "param": None}}
    return JSONResponse(body, status, headers=headers)


def sse_framed(document: dict[str, Any]) -> Response:
    """``document`` as an event stream a careless ``res.json()`` would choke on."""
    stale = json.dumps({**document, "status": "queued", "output": []})
    lines = [": fake keep-alive", "event: response.snapshot", f"data: {stale}", ""]
    lines += ["event: response.snapshot"]
    lines += [f"data:{line}" for line in json.dumps(document, indent=1).splitlines()]
    lines += ["", "data: [DONE]", ""]
    return Response("\r\n".join(lines) + "\r\n", media_type="text/event-stream")


def _pre_fault(fault: Fault) -> Response:
    if fault.kind == "rate_limit":
        after = {"retry-after": f"{fault.retry_after:g}"}
        return error(429, "rate_limit_exceeded", "Rate limit reached (fake)", after)
    if fault.kind == "html_502":
        return Response(_HTML_502, 502, media_type="text/html")
    return error(500, "server_error", "The server had an error (fake)")


class _Api:
    def __init__(self, state: ResponsesState) -> None:
        self.state = state

    def answer(self, payload: dict[str, Any], fault: Fault | None) -> Response:
        if fault is not None:  # malformed: the work is done, the answer is cut short
            text = json.dumps(payload)
            return Response(text[: len(text) // 2], media_type="application/json")
        if self.state.scenario.sse:
            return sse_framed(payload)
        return JSONResponse(payload)

    def route(self, kind: RouteKind, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            self.state.requests[kind] += 1
            token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            wanted = self.state.scenario.api_key
            if not token or (wanted is not None and token != wanted):
                return error(401, "invalid_api_key", "Incorrect API key provided (fake)")
            fault = self.state.scenario.take_fault(kind)
            if fault is not None:
                self.state.faults_served[fault.kind] += 1
                if fault.kind != "malformed":
                    return _pre_fault(fault)
            return await handler(self, request, fault)

        return endpoint

    async def create(self, request: Request, fault: Fault | None) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return error(400, "invalid_request_error", "the body is not JSON")
        if not isinstance(body, dict) or body.get("background") is not True:
            return error(400, "invalid_request_error", "this fake only runs background: true")
        if not body.get("input"):
            return error(400, "invalid_request_error", "missing required parameter: 'input'")
        return self.answer(self.state.create(body).document(), fault)

    async def retrieve(self, request: Request, fault: Fault | None) -> Response:
        found = self.state.responses.get(request.path_params["rid"])
        if found is None:
            return error(404, "not_found", "No response with that id (fake)")
        return self.answer(found.document(), fault)

    async def cancel(self, request: Request, fault: Fault | None) -> Response:
        found = self.state.responses.get(request.path_params["rid"])
        if found is None:
            return error(404, "not_found", "No response with that id (fake)")
        self.state.cancel(found)
        return self.answer(found.document(), fault)

    async def listing(self, request: Request, fault: Fault | None) -> Response:
        try:
            after = int(request.query_params.get("created_after", "0"))
        except ValueError:
            return error(400, "invalid_request_error", "created_after must be epoch seconds")
        data = self.state.listing(after)
        return self.answer({"object": "list", "data": data, "has_more": False}, fault)

    async def stats(self, request: Request) -> Response:
        state = self.state
        return JSONResponse(
            {
                "responses": len(state.responses),
                "requests": dict(state.requests),
                "faults_served": dict(state.faults_served),
                "by_intent": dict(state.by_intent),
            }
        )


Handler = Callable[[_Api, Request, Fault | None], Awaitable[Response]]


def create_app(state: ResponsesState | None = None) -> Starlette:
    """The fake as an ASGI app; ``app.state.fake`` is its :class:`ResponsesState`."""
    api = _Api(state or ResponsesState())
    app = Starlette(
        routes=[
            Route("/v1/responses", api.route("create", _Api.create), methods=["POST"]),
            Route("/v1/responses", api.route("list", _Api.listing), methods=["GET"]),
            Route("/v1/responses/{rid}", api.route("retrieve", _Api.retrieve), methods=["GET"]),
            Route("/v1/responses/{rid}/cancel", api.route("cancel", _Api.cancel), methods=["POST"]),
            Route("/_fake/stats", api.stats, methods=["GET"]),
        ]
    )
    app.state.fake = api.state
    return app
