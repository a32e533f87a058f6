"""Knobs of the background-responses fake: turn length, outcome, framing and faults."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["completed", "failed", "incomplete"]
FaultKind = Literal["rate_limit", "html_502", "server_error", "malformed"]
"""``malformed`` answers 200 with the JSON cut in half, *after* doing the work (on a create:
the response exists but its id was lost); the others replace the request entirely."""
RouteKind = Literal["create", "retrieve", "cancel", "list"]


@dataclass
class Fault:
    """The next ``count`` requests of ``route`` get this answer instead of the normal one."""

    kind: FaultKind
    route: RouteKind = "retrieve"
    count: int = 1
    retry_after: float = 1.0
    """Seconds in the ``retry-after`` header of a ``rate_limit``."""


@dataclass
class ResponsesScenario:
    """How the fake behaves; changes apply to the next request."""

    turn_seconds: float = 1.0
    """From create to the end: queued for the first fifth, then in progress."""
    outcome: Outcome = "completed"
    """How each new response ends."""
    sse: bool = False
    """Answer every JSON body as ``text/event-stream`` (a stale snapshot, then the document
    in multi-line ``data:``, CRLF line ends, a comment and a ``[DONE]`` sentinel)."""
    api_key: str | None = None
    """The one bearer token accepted; None accepts any non-empty token."""
    faults: list[Fault] = field(default_factory=list)

    def add_fault(self, fault: Fault) -> None:
        self.faults.append(fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    def take_fault(self, route: RouteKind) -> Fault | None:
        """The first fault queued for ``route``, used up by one."""
        for fault in self.faults:
            if fault.route == route and fault.count > 0:
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
                return fault
        return None
