"""The knobs of the fake Managed Agents server: which script a turn plays, and which faults.

A :class:`Scenario` is a plain mutable object. Tests and the demo hold on to it and change
it while the server runs (in-process), or change it over HTTP through ``/_fake/scenario``
and ``/_fake/faults`` (out of process). Nothing here knows about HTTP.

How a turn's script is chosen, most specific first:

1. A marker in the prompt text of the ``user.message`` that starts the turn, e.g.
   ``"Summarise [fake:terminated]"`` or ``"[fake:complete,messages=30,seconds=0.5,shared_ts]"``.
   Tokens are comma-separated: a script name, ``messages=N``, ``seconds=F`` and the flags
   ``redacted``, ``unknown`` and ``shared_ts``.
2. For a session's *first* turn, the create request's ``metadata["fake_script"]``.
   ``metadata["fake_turn_seconds"]``, ``["fake_messages"]`` and ``["fake_options"]``
   (comma-separated flags as above) apply to every turn of that session.
3. :attr:`Scenario.script` for a first turn, :attr:`Scenario.followup_script` for a later
   ``user.message``. Turns resumed by a tool result or confirmation always complete.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, cast, get_args

from agentdash.fake.wire import bad_request

Script = Literal[
    "complete", "needs_action", "needs_confirmation", "budget", "retries_exhausted", "terminated"
]
SCRIPTS: tuple[str, ...] = get_args(Script)

RouteKind = Literal[
    "create",
    "retrieve",
    "list_sessions",
    "update",
    "archive",
    "delete",
    "send",
    "list_events",
    "stream",
]
ROUTE_KINDS: tuple[str, ...] = get_args(RouteKind)

FaultKind = Literal[
    "rate_limit",
    "overloaded",
    "html_502",
    "server_error",
    "truncated_json",
    "slow_body",
    "create_then_fail",
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)

#: Faults that replace the response; the request is NOT processed.
PRE_FAULTS = frozenset({"rate_limit", "overloaded", "html_502", "server_error"})
#: Faults applied to the real response; the request IS processed (e.g. a session is created).
POST_FAULTS = frozenset({"truncated_json", "slow_body", "create_then_fail"})

CreateFailMode = Literal["500", "drop", "timeout"]

#: (prompt, index, total) -> Markdown text of the index-th agent.message.
ReplyText = Callable[[str, int, int], str]

_MARKER = re.compile(r"\[fake:([^\]]*)\]")
_FLAGS = ("redacted", "unknown", "shared_ts")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def strip_markers(text: str) -> str:
    """The prompt without ``[fake:…]`` markers, for quoting it back."""
    return _MARKER.sub("", text).strip()


def default_reply(prompt: str, index: int, total: int) -> str:
    """A short Markdown reply that quotes the prompt, so a demo shows something recognisable."""
    if index < total - 1:
        return f"Working on it… step {index + 1} of {total}."
    quoted = "\n".join(f"> {line}" for line in (strip_markers(prompt)[:300] or "…").splitlines())
    return (
        "## Result\n\nYou asked:\n\n"
        f"{quoted}\n\n"
        "This is a **fake** answer from the local Managed Agents server.\n\n"
        "- nothing was really computed\n- but the events are shaped like the real ones\n"
    )


@dataclass
class Fault:
    """One injected fault, applied to the next ``count`` requests of kind ``route``.

    ``rate_limit`` answers 429 with ``retry-after`` (seconds, default 1) or
    ``retry-after-ms``; ``overloaded`` answers 529; ``html_502`` a ``text/html`` 502 page;
    ``server_error`` a JSON 500. ``truncated_json`` processes the request and answers 200
    with the body cut in half; ``slow_body`` drips the body in ``chunks`` pieces with
    ``pause`` seconds between. ``create_then_fail`` (create only) creates the session and
    then, per ``mode``, answers 500, drops the connection mid-body, or hangs
    ``hang_seconds`` (until the client gives up) before a 500.
    """

    kind: FaultKind
    route: RouteKind | Literal["any"] = "any"
    count: int = 1
    retry_after: float | None = None
    retry_after_ms: int | None = None
    should_retry: bool | None = None
    mode: CreateFailMode = "500"
    hang_seconds: float = 30.0
    chunks: int = 4
    pause: float = 0.1

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if self.route != "any" and self.route not in ROUTE_KINDS:
            raise ValueError(f"unknown route {self.route!r}; expected 'any' or {ROUTE_KINDS}")
        if self.kind == "create_then_fail":
            if self.route not in ("any", "create"):
                raise ValueError("create_then_fail only applies to route 'create'")
            self.route = "create"
        if self.mode not in get_args(CreateFailMode):
            raise ValueError(f"unknown create_then_fail mode {self.mode!r}")
        if self.count < 1 or self.chunks < 1:
            raise ValueError("count and chunks must be at least 1")

    def applies_to(self, route: str) -> bool:
        """Whether this fault can fire on a request of kind ``route``.

        Post-processing faults make no sense on an SSE stream, so they wait for a request
        they can alter instead of being silently used up.
        """
        if self.route not in ("any", route):
            return False
        return not (route == "stream" and self.kind in POST_FAULTS)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        """Build from admin-API JSON; a 400 for unknown keys or bad values."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise bad_request(f"unknown fault fields: {sorted(unknown)}")
        try:
            return cls(**data)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"invalid fault: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        """JSON form, for ``GET``-style echoes of the fault queue."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class Scenario:
    """All knobs. Mutate freely at runtime: every request reads the current values."""

    script: Script = "complete"
    followup_script: Script = "complete"
    turn_seconds: float = 3.0
    agent_messages: int = 2
    reply_text: ReplyText = default_reply
    redacted_block: bool = False
    unknown_events: bool = False
    shared_timestamps: bool = False
    latency: float = 0.0
    requests_per_minute: int | None = None
    faults: list[Fault] = field(default_factory=list)
    api_key: str | None = None
    keepalive_seconds: float = 15.0
    stream_poll_seconds: float = 0.05
    events_page_limit: int = 1000
    sessions_page_limit: int = 20
    now: Callable[[], datetime] = _utcnow

    def add_fault(self, fault: Fault) -> Fault:
        """Queue ``fault`` behind any already queued (first match wins)."""
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        self.faults.clear()

    def take_fault(self, route: str) -> Fault | None:
        """The first queued fault for ``route``, using up one of its ``count``."""
        for fault in self.faults:
            if fault.applies_to(route):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    #: Knobs the admin API may set, with the types their JSON values must have.
    PATCHABLE: ClassVar[tuple[tuple[str, tuple[type, ...]], ...]] = (
        ("script", (str,)),
        ("followup_script", (str,)),
        ("turn_seconds", (int, float)),
        ("agent_messages", (int,)),
        ("redacted_block", (bool,)),
        ("unknown_events", (bool,)),
        ("shared_timestamps", (bool,)),
        ("latency", (int, float)),
        ("requests_per_minute", (int, type(None))),
        ("api_key", (str, type(None))),
        ("keepalive_seconds", (int, float)),
        ("events_page_limit", (int,)),
        ("sessions_page_limit", (int,)),
    )

    def patch(self, data: Mapping[str, Any]) -> None:
        """Apply admin-API JSON (``POST /_fake/scenario``); 400 on unknown keys or types."""
        allowed = dict(self.PATCHABLE)
        for key, value in data.items():
            if key not in allowed:
                raise bad_request(f"unknown scenario knob {key!r}")
            if not isinstance(value, allowed[key]) or (
                isinstance(value, bool) and bool not in allowed[key]
            ):
                raise bad_request(f"{key}: wrong type {type(value).__name__}")
            if key in ("script", "followup_script") and value not in SCRIPTS:
                raise bad_request(f"{key}: unknown script {value!r}; expected one of {SCRIPTS}")
        for key, value in data.items():
            setattr(self, key, value)

    def knobs(self) -> dict[str, Any]:
        """The patchable knobs as JSON, plus the fault queue."""
        out = {name: getattr(self, name) for name, _ in self.PATCHABLE}
        out["faults"] = [f.to_dict() for f in self.faults]
        return out


@dataclass(frozen=True)
class TurnOptions:
    """The resolved knobs for one turn (see the module docstring for precedence)."""

    script: Script
    seconds: float
    messages: int
    redacted: bool
    unknown: bool
    shared_ts: bool
    reply_text: ReplyText


def _script(value: str, where: str) -> Script:
    if value not in SCRIPTS:
        raise bad_request(f"{where}: unknown fake script {value!r}; expected one of {SCRIPTS}")
    return cast(Script, value)


def _apply_tokens(opts: dict[str, Any], tokens: list[str], where: str) -> None:
    for token in (t.strip() for t in tokens):
        if not token:
            continue
        key, _, value = token.partition("=")
        try:
            if key == "messages" and value:
                opts["messages"] = max(0, int(value))
            elif key == "seconds" and value:
                opts["seconds"] = max(0.0, float(value))
            elif key in _FLAGS and not value:
                opts[key] = True
            elif not value:
                opts["script"] = _script(key, where)
            else:
                raise bad_request(f"{where}: unknown fake option {token!r}")
        except ValueError as exc:
            raise bad_request(f"{where}: bad value in {token!r}") from exc


def resolve_turn(
    scenario: Scenario, *, prompt: str, metadata: Mapping[str, str], first: bool
) -> TurnOptions:
    """Work out the script and shape of a turn from markers, metadata and defaults."""
    opts: dict[str, Any] = {
        "script": scenario.script if first else scenario.followup_script,
        "seconds": scenario.turn_seconds,
        "messages": scenario.agent_messages,
        "redacted": scenario.redacted_block,
        "unknown": scenario.unknown_events,
        "shared_ts": scenario.shared_timestamps,
    }
    if first and "fake_script" in metadata:
        opts["script"] = _script(metadata["fake_script"], "metadata.fake_script")
    tokens: list[str] = []
    if "fake_turn_seconds" in metadata:
        tokens.append(f"seconds={metadata['fake_turn_seconds']}")
    if "fake_messages" in metadata:
        tokens.append(f"messages={metadata['fake_messages']}")
    tokens.extend(metadata.get("fake_options", "").split(","))
    _apply_tokens(opts, tokens, "metadata")
    for marker in _MARKER.findall(prompt):
        _apply_tokens(opts, marker.split(","), "prompt marker")
    return TurnOptions(reply_text=scenario.reply_text, **opts)
