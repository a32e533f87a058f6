"""The wire side of ``type: http``: URLs from templates, one capped request, error meanings.

Failures are classified the way the Managed Agents provider does it, because the engine's
reaction depends on it: on a create, 408/409/429 and a refused connection mean "certainly not
created, try later", other 4xx mean "refused for good", and 5xx, timeouts, resets and
garbage mean "may exist: reconcile". On reads, everything but a definite "not found" or "bad
request" is worth another poll.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx2

from agentdash.errors import (
    AmbiguousCreateError,
    ProviderError,
    RejectedError,
    TransientProviderError,
)
from agentdash.providers.decode import DecodeError
from agentdash.providers.http_errors import excerpt, retry_after_seconds
from agentdash.providers.http_settings import Call, HttpSettings
from agentdash.sinks.template import render, render_value

MAX_BODY = 8 * 1024 * 1024
"""Most bytes read from one answer; a larger one is refused rather than held in memory."""
_CREATE_RETRYABLE = frozenset({408, 409, 429})
_READ_FINAL = frozenset({400, 404, 410, 422})


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer, read in full (up to :data:`MAX_BODY`)."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def describe(self) -> str:
        """``HTTP 429: message [request id]`` without any header values but the id."""
        rid = self.headers.get("request-id") or self.headers.get("x-request-id")
        return f"HTTP {self.status}: {_error_message(self)}" + (f" [{rid}]" if rid else "")

    def retry_after(self) -> float | None:
        return retry_after_seconds(dict(self.headers))


class HttpCalls:
    """Sends the configured calls through one (paced) client."""

    def __init__(
        self, settings: HttpSettings, client: httpx2.AsyncClient, api_key: str | None
    ) -> None:
        self.settings = settings
        self._client = client
        values = {"api_key": api_key or ""}
        self._headers = {k: render(v, values, None) for k, v in settings.headers.items()}

    async def aclose(self) -> None:
        await self._client.aclose()

    def url(self, call: Call, values: Mapping[str, str]) -> str:
        """The call's URL with percent-encoded values, joined onto ``base_url`` if relative."""
        assert call.url is not None
        encoded = {k: quote(v, safe="") for k, v in values.items()}
        url = render(call.url, encoded, None)
        if url.startswith(("http://", "https://")):
            return url
        base = (self.settings.base_url or "").rstrip("/")
        return f"{base}/{url.lstrip('/')}"

    async def send(self, call: Call, values: Mapping[str, str], body: Any = None) -> Answer:
        """One request; the body template (if any) is filled with ``values``.

        Raises:
            httpx2.HTTPError, httpx2.InvalidURL: the request failed on the way (as is: the
                caller decides what that means for its call).
            DecodeError: the answer is larger than :data:`MAX_BODY`.
        """
        content = None
        if body is not None:
            filled = render_value(body, lambda text: render(text, values, None))
            content = json.dumps(filled).encode()
        headers = {"accept": "application/json, text/event-stream", **self._headers}
        if content is not None:
            headers["content-type"] = "application/json"
        request = self._client.build_request(
            call.method, self.url(call, values), content=content, headers=headers
        )
        response = await self._client.send(request, stream=True)
        try:
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > MAX_BODY:
                    raise DecodeError(f"an answer larger than {MAX_BODY} bytes")
        finally:
            await response.aclose()
        return Answer(response.status_code, dict(response.headers), bytes(data))


def create_failure(answer: Answer) -> ProviderError:
    """What a non-2xx answer to a create means (see the module docstring)."""
    if answer.status in _CREATE_RETRYABLE:
        return TransientProviderError(answer.describe(), retry_after=answer.retry_after())
    if answer.status < 500:
        return RejectedError(answer.describe())
    return AmbiguousCreateError(answer.describe())


def read_failure(answer: Answer) -> ProviderError:
    """What a non-2xx answer to a status, output, cancel or list call means."""
    if answer.status in _READ_FINAL:
        return RejectedError(answer.describe())
    return TransientProviderError(answer.describe(), retry_after=answer.retry_after())


def transport_failure(exc: Exception) -> str:
    """A one-line description of a request that failed on the way."""
    if isinstance(exc, httpx2.TimeoutException):
        return f"the request timed out ({type(exc).__name__})"
    if isinstance(exc, httpx2.InvalidURL):
        return f"invalid URL: {exc}"
    return f"connection failed: {type(exc).__name__}: {excerpt(str(exc))}"


def _error_message(answer: Answer) -> str:
    if "html" in answer.content_type:
        return "an HTML page"
    try:
        body = json.loads(answer.body)
    except ValueError:
        return excerpt(answer.body.decode("utf-8", "replace")) or "an empty body"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error.get("type") or error.get("code") or "error")
    if isinstance(error, str):
        return error
    return excerpt(json.dumps(body))
