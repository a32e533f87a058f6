"""Decoding answers by content type, and the SSE rules (WHATWG event stream interpretation)."""

from __future__ import annotations

from typing import Any

import pytest

from agentdash.providers.decode import DecodeError, decode_body, json_from_sse, sse_events

EVENTS = [
    ("lf", b"data: a\n\ndata: b\n\n", ["a", "b"]),
    ("crlf", b"data: a\r\n\r\ndata: b\r\n\r\n", ["a", "b"]),
    ("cr only", b"data: a\r\rdata: b\r\r", ["a", "b"]),
    ("mixed line ends", b"data: a\r\n\ndata: b\r\r", ["a", "b"]),
    ("comments are ignored", b": keep-alive\ndata: a\n: another\n\n", ["a"]),
    ("no space after colon", b"data:a\n\n", ["a"]),
    ("only one space is removed", b"data:  a\n\n", [" a"]),
    (
        "multi-line data joins with newlines",
        b'data: {\ndata: "k": 1\ndata: }\n\n',
        ['{\n"k": 1\n}'],
    ),
    ("truncated final event is discarded", b"data: a\n\ndata: b", ["a"]),
    ("truncated final event ending in CR", b"data: a\r\rdata: b\r", ["a"]),
    ("truncated final event ending in LF", b"data: a\n\ndata: b\n", ["a"]),
    ("byte-order mark is dropped", b"\xef\xbb\xbfdata: a\n\n", ["a"]),
    ("an id with empty data dispatches nothing", b"id: 7\n\ndata: a\n\n", ["a"]),
    ("retry and unknown fields are ignored", b"retry: 10\nfoo: bar\ndata: a\n\n", ["a"]),
    ("a field with no colon", b"data\ndata: a\n\n", ["\na"]),
]


@pytest.mark.parametrize(
    ("body", "data"), [(b, d) for _, b, d in EVENTS], ids=[n for n, _, _ in EVENTS]
)
def test_sse_events(body: bytes, data: list[str]) -> None:
    assert [event.data for event in sse_events(body)] == data


def test_event_types_default_to_message() -> None:
    events = sse_events(b"event: snapshot\ndata: a\n\ndata: b\n\n")
    assert [(e.event, e.data) for e in events] == [("snapshot", "a"), ("message", "b")]


JSON_FROM_SSE: list[tuple[str, bytes, Any]] = [
    ("one event", b'data: {"status": "completed"}\n\n', {"status": "completed"}),
    (
        "the last JSON event wins",
        b'data: {"n": 1}\n\nevent: snapshot\ndata: {"n": 2}\n\n',
        {"n": 2},
    ),
    ("sentinels are skipped", b'data: {"n": 1}\n\ndata: [DONE]\n\n', {"n": 1}),
    ("JSON split over data lines", b'data: {"n":\r\ndata: 3}\r\n\r\n', {"n": 3}),
    ("a cut-off last event leaves the one before", b'data: {"n": 1}\n\ndata: {"n": 2}', {"n": 1}),
]


@pytest.mark.parametrize(
    ("body", "document"),
    [(b, d) for _, b, d in JSON_FROM_SSE],
    ids=[n for n, _, _ in JSON_FROM_SSE],
)
def test_json_from_sse(body: bytes, document: Any) -> None:
    assert json_from_sse(body) == document


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"data: [DONE]\n\n", "no JSON event"),
        (b'data: {"n": 1', "no JSON event"),
        (b"", "no JSON event"),
        (b'event: error\ndata: {"message": "overloaded"}\n\n', "an error event in the stream"),
        (b"data: \xff\n\n", "not UTF-8"),
    ],
)
def test_json_from_sse_refuses_streams_without_a_document(body: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        json_from_sse(body)


@pytest.mark.parametrize(
    ("content_type", "body", "document"),
    [
        ("application/json", b'{"a": 1}', {"a": 1}),
        ("application/problem+json; charset=utf-8", b'{"a": 1}', {"a": 1}),
        ("", b'{"a": 1}', {"a": 1}),
        ("text/plain", b"[1, 2]", [1, 2]),
        ("text/event-stream; charset=utf-8", b'data: {"a": 1}\n\n', {"a": 1}),
        ("TEXT/EVENT-STREAM", b'data: {"a": 2}\n\n', {"a": 2}),
    ],
)
def test_decode_by_content_type(content_type: str, body: bytes, document: Any) -> None:
    assert decode_body(content_type, body) == document


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("text/html", b"<html>502</html>", "an HTML page"),
        ("application/json", b'{"a": ', "not valid JSON"),
        ("application/json", b'data: {"a": 1}\n\n', "not valid JSON"),
    ],
)
def test_decode_refuses_what_is_not_json(content_type: str, body: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        decode_body(content_type, body)
