"""Reading an HTTP answer by its content type, including JSON framed as server-sent events.

APIs and MCP servers answer ``text/event-stream`` even when nothing asked for a stream (the
seed's gotcha), so ``json.loads`` on the body would fail on the ``data:`` framing. Such a
body goes through a real SSE parser (httpx2's, after the WHATWG rules), and the document is
the **last event whose data is JSON**: an answer of one event is that event; a stream of
snapshots ends with the newest; sentinels like ``data: [DONE]`` and empty events are
skipped. An ``event: error`` is an error, and an event cut off at the end of the body (no
blank line after it) is discarded, as the spec says.

Two gaps in the parser are closed here: a leading byte-order mark is dropped, and a final
line ended by a lone CR is not taken as a finished event.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2

_SSE_REQUEST = httpx2.Request("GET", "http://sse.invalid/")
"""The parser reads from a response object, and a response needs a request to belong to."""


class DecodeError(ValueError):
    """The body is not the document it should be; the message says what it was."""


def decode_body(content_type: str, body: bytes) -> Any:
    """The JSON document in ``body``, read according to ``content_type``.

    ``text/event-stream`` is parsed as SSE; HTML is refused (a proxy's error page); anything
    else, including a missing or ``text/plain`` type, is tried as JSON.

    Raises:
        DecodeError: the body holds no JSON document.
    """
    media = content_type.partition(";")[0].strip().lower()
    if media == "text/event-stream":
        return json_from_sse(body)
    if "html" in media:
        raise DecodeError("an HTML page, not JSON")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DecodeError(f"not valid JSON ({exc})") from None


def sse_events(body: bytes) -> list[httpx2.ServerSentEvent]:
    """The complete events in an SSE body, in order; empty-data events are dropped.

    Raises:
        DecodeError: the body is not UTF-8, or one event is larger than the parser allows.
    """
    try:
        text = body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise DecodeError(f"an event stream that is not UTF-8 ({exc})") from None
    if text.endswith("\r") and not text.endswith(("\r\r", "\n\r")):
        # A lone CR ends the last field line; the event still lacks its blank line.
        text = text[:-1]
    response = httpx2.Response(
        200,
        headers={"content-type": "text/event-stream; charset=utf-8"},
        content=text.encode("utf-8"),
        request=_SSE_REQUEST,
    )
    try:
        return [event for event in httpx2.EventSource(response) if event.data]
    except httpx2.SSEError as exc:
        raise DecodeError(f"a broken event stream ({exc})") from None


def json_from_sse(body: bytes) -> Any:
    """The last JSON document in an SSE body (see the module docstring).

    Raises:
        DecodeError: an ``error`` event, or no event carries JSON.
    """
    events = sse_events(body)
    found: list[Any] = []
    for event in events:
        if event.event == "error":
            raise DecodeError(f"an error event in the stream: {event.data[:200]}")
        try:
            found.append(json.loads(event.data))
        except ValueError:
            continue
    if not found:
        raise DecodeError(f"an event stream with no JSON event ({len(events)} events)")
    return found[-1]
