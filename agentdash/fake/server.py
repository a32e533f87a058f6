"""The Starlette app: Managed Agents routes, header checks, fault injection, SSE and admin.

Every API request goes through :meth:`_Api.run`, which applies, in order: the auth and
beta-header checks (401 / 404), per-request latency, the requests-per-minute budget (429),
then the next queued fault for the route kind, then the handler. The ``/_fake/*`` admin
routes skip all of that so a test can always reach them:

- ``GET /_fake/stats``: :class:`~agentdash.fake.stats.FakeStats` as JSON.
- ``POST /_fake/faults``: ``{"faults": [{"kind": "rate_limit", "route": "create",
  "count": 1, "retry_after": 2}, ...], "latency": 0.05, "requests_per_minute": 60,
  "clear": true}`` (every key optional; fields as in :class:`~agentdash.fake.scenario.Fault`).
  ``DELETE /_fake/faults`` empties the queue.
- ``POST /_fake/scenario``: patch knobs, e.g. ``{"script": "needs_action", "turn_seconds": 1}``.
- ``POST /_fake/reset``: forget sessions, counters and faults.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from agentdash.fake import faults
from agentdash.fake.scenario import PRE_FAULTS, Fault, Scenario
from agentdash.fake.state import FakeState
from agentdash.fake.timeline import Event
from agentdash.fake.wire import MANAGED_AGENTS_BETA, ApiError, Query, bad_request, new_request_id

Handler = Callable[[Request], Awaitable[Response]]

_DELTA_TYPES = frozenset({"agent.message", "agent.thinking"})


def sse_frame(event: Event) -> str:
    """One SSE message: ``event: <type>``, a single-line ``data:`` JSON, and a blank line."""
    data = json.dumps(event, separators=(",", ":"))
    return f"event: {event['type']}\ndata: {data}\n\n"


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise bad_request("request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise bad_request("request body must be a JSON object")
    return body


class _Api:
    """Route handlers bound to one :class:`FakeState`."""

    def __init__(self, state: FakeState) -> None:
        self.state = state

    @property
    def scenario(self) -> Scenario:
        return self.state.scenario

    def _check_headers(self, request: Request) -> None:
        key = request.headers.get("x-api-key", "")
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        given = key or token
        if not given or (self.scenario.api_key is not None and given != self.scenario.api_key):
            raise ApiError(401, "authentication_error", "invalid x-api-key")
        betas = {b.strip() for b in request.headers.get("anthropic-beta", "").split(",")}
        if MANAGED_AGENTS_BETA not in betas:
            raise ApiError(404, "not_found_error", f"Not found (requires {MANAGED_AGENTS_BETA})")

    async def run(self, request: Request, kind: str, handler: Handler) -> Response:
        """Checks, latency, rate limit and faults around ``handler``; sets ``request-id``."""
        rid = new_request_id()
        request.state.request_id = rid
        try:
            response = await self._run(request, kind, handler, rid)
        except ApiError as err:
            response = faults.error_response(err.status, err.error_type, err.message, rid)
        response.headers["request-id"] = rid
        return response

    async def _run(self, request: Request, kind: str, handler: Handler, rid: str) -> Response:
        self._check_headers(request)
        stats = self.state.stats
        stats.requests[kind] += 1
        if self.scenario.latency > 0:
            await asyncio.sleep(self.scenario.latency)
        wait = self.state.limiter.check(self.scenario.requests_per_minute, self.scenario.now())
        if wait is not None:
            stats.rate_limited += 1
            return faults.rate_limited(rid, wait)
        fault = self.scenario.take_fault(kind)
        if fault is not None:
            stats.faults_applied[fault.kind] += 1
            if fault.kind in PRE_FAULTS:
                if fault.kind == "rate_limit":
                    stats.rate_limited += 1
                return faults.pre_fault(fault, rid)
        response = await handler(request)
        if fault is None or response.status_code >= 400:
            return response
        if fault.kind == "truncated_json":
            return faults.truncated(response)
        if fault.kind == "slow_body":
            return faults.slow(response, fault.chunks, fault.pause)
        return await faults.create_then_fail(fault, request, response, rid, self.state.closing)

    def route(self, kind: str, handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            return await self.run(request, kind, handler)

        return endpoint

    # ------------------------------------------------------------ API handlers

    async def create(self, request: Request) -> Response:
        session = self.state.create_session(await _json_body(request))
        return faults.json_response(session.to_json(self.state.now()))

    async def retrieve(self, request: Request) -> Response:
        session = self.state.session(request.path_params["session_id"])
        return faults.json_response(session.to_json(self.state.now()))

    async def update(self, request: Request) -> Response:
        sid = request.path_params["session_id"]
        session = self.state.update_session(sid, await _json_body(request))
        return faults.json_response(session.to_json(self.state.now()))

    async def list_sessions(self, request: Request) -> Response:
        query = Query(request.query_params.multi_items())
        return faults.json_response(self.state.list_sessions(query))

    async def archive(self, request: Request) -> Response:
        session = self.state.archive(request.path_params["session_id"])
        return faults.json_response(session.to_json(self.state.now()))

    async def delete(self, request: Request) -> Response:
        return faults.json_response(self.state.delete(request.path_params["session_id"]))

    async def send(self, request: Request) -> Response:
        body = await _json_body(request)
        echoes = self.state.send(request.path_params["session_id"], body.get("events"))
        return faults.json_response({"data": echoes})

    async def list_events(self, request: Request) -> Response:
        query = Query(request.query_params.multi_items())
        sid = request.path_params["session_id"]
        return faults.json_response(self.state.list_events(sid, query))

    async def stream(self, request: Request) -> Response:
        """SSE of events released after the stream opened (no replay, like the real API)."""
        sid = request.path_params["session_id"]
        session = self.state.session(sid)
        deltas = Query(request.query_params.multi_items()).getlist("event_deltas[]", "event_deltas")
        if len(deltas) > 100 or not set(deltas) <= _DELTA_TYPES:
            raise bad_request("event_deltas: only agent.message and agent.thinking are allowed")
        headers = {"cache-control": "no-cache", "x-accel-buffering": "no"}
        gen = self._stream_events(sid, len(session.events), frozenset(deltas))
        return StreamingResponse(gen, media_type="text/event-stream", headers=headers)

    async def _stream_events(
        self, sid: str, start: int, deltas: frozenset[str]
    ) -> AsyncIterator[str]:
        state, loop = self.state, asyncio.get_running_loop()
        index, last_beat = start, loop.time()
        yield ": stream opened\n\n"
        while not state.closing.is_set():
            session = state.sessions.get(sid)
            if session is None:
                if sid in state.deleted:
                    yield sse_frame(state.deleted[sid])
                return
            state.session(sid)  # advance to now
            while index < len(session.events):
                event = session.events[index]
                index += 1
                if event["type"] in deltas:
                    yield sse_frame(
                        {"type": "event_start", "event": {"type": event["type"], "id": event["id"]}}
                    )
                    for i, block in enumerate(event.get("content") or []):
                        if block.get("type") == "text":
                            delta = {"type": "content_delta", "index": i, "content": block}
                            yield sse_frame(
                                {"type": "event_delta", "event_id": event["id"], "delta": delta}
                            )
                yield sse_frame(event)
            if loop.time() - last_beat >= self.scenario.keepalive_seconds:
                last_beat = loop.time()
                yield ": keepalive\n\n"
            await asyncio.sleep(self.scenario.stream_poll_seconds)

    # ------------------------------------------------------------ admin

    async def admin(self, request: Request) -> Response:
        """``/_fake/*``: stats, faults, scenario knobs, reset. No auth, no faults."""
        rid = new_request_id()
        try:
            response = await self._admin(request)
        except ApiError as err:
            response = faults.error_response(err.status, err.error_type, err.message, rid)
        response.headers["request-id"] = rid
        return response

    async def _admin(self, request: Request) -> Response:
        action, method, scenario = request.path_params["action"], request.method, self.scenario
        if action == "stats" and method == "GET":
            return faults.json_response(self.state.refresh_stats().to_json())
        if action == "faults" and method == "DELETE":
            scenario.clear_faults()
        elif action == "faults" and method == "POST":
            body = await _json_body(request)
            new = [Fault.from_dict(item) for item in body.pop("faults", None) or []]
            if body.pop("clear", False):
                scenario.clear_faults()
            scenario.patch(body)  # latency, requests_per_minute
            scenario.faults.extend(new)
        elif action == "scenario" and method == "POST":
            scenario.patch(await _json_body(request))
        elif action == "reset" and method == "POST":
            self.state.reset()
        elif action not in ("faults", "scenario"):
            raise ApiError(404, "not_found_error", f"no admin action {action!r}")
        elif method != "GET":
            raise ApiError(405, "invalid_request_error", f"{method} not allowed here")
        return faults.json_response(scenario.knobs())


async def _http_error(request: Request, exc: Exception) -> Response:
    """404/405 from routing, in the API's error envelope with a request id."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    error_type = {404: "not_found_error", 405: "invalid_request_error"}.get(status, "api_error")
    rid = new_request_id()
    response = faults.error_response(
        status, error_type, f"{request.method} {request.url.path}", rid
    )
    response.headers["request-id"] = rid
    return response


def create_app(scenario: Scenario | None = None, *, state: FakeState | None = None) -> Starlette:
    """Build the fake server app. ``app.state.fake`` is the :class:`FakeState` behind it."""
    if state is None:
        state = FakeState(scenario)
    elif scenario is not None and scenario is not state.scenario:
        raise ValueError("pass either a scenario or a state built with it, not both")
    api = _Api(state)
    sid = "/v1/sessions/{session_id}"
    routes = [
        Route("/v1/sessions", api.route("create", api.create), methods=["POST"]),
        Route("/v1/sessions", api.route("list_sessions", api.list_sessions), methods=["GET"]),
        Route(sid, api.route("retrieve", api.retrieve), methods=["GET"]),
        Route(sid, api.route("update", api.update), methods=["POST"]),
        Route(sid, api.route("delete", api.delete), methods=["DELETE"]),
        Route(sid + "/archive", api.route("archive", api.archive), methods=["POST"]),
        Route(sid + "/events", api.route("send", api.send), methods=["POST"]),
        Route(sid + "/events", api.route("list_events", api.list_events), methods=["GET"]),
        Route(sid + "/events/stream", api.route("stream", api.stream), methods=["GET"]),
        Route("/_fake/{action}", api.admin, methods=["GET", "POST", "DELETE"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    app.state.fake = state
    return app
