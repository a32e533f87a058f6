"""The fake's responses: each advances with the clock, from ``queued`` to its outcome.

A response's document follows the shape of a background response: ``status``, ``output``
items whose ``content`` parts carry ``text``, ``error``, ``usage`` and the ``metadata`` the
client sent (where agentdash puts its intent id, so a lost create can be found by listing).
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from agentdash.fake_responses.scenario import Outcome, ResponsesScenario

TERMINAL = frozenset({"completed", "failed", "cancelled", "incomplete"})


@dataclass
class StoredResponse:
    """One response and what decides its course."""

    id: str
    prompt: str
    model: str
    metadata: dict[str, Any]
    outcome: Outcome
    turn_seconds: float
    created_at: int = field(default_factory=lambda: int(time.time()))
    started: float = field(default_factory=time.monotonic)
    cancelled: bool = False

    def status(self) -> str:
        if self.cancelled:
            return "cancelled"
        elapsed = time.monotonic() - self.started
        if elapsed < self.turn_seconds / 5:
            return "queued"
        return "in_progress" if elapsed < self.turn_seconds else self.outcome

    def document(self) -> dict[str, Any]:
        status = self.status()
        done = status == "completed"
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "background": True,
            "model": self.model,
            "metadata": self.metadata,
            "error": _error(status),
            "incomplete_details": {"reason": "max_output_tokens"}
            if status == "incomplete"
            else None,
            "output": _output(self.id, self.prompt) if done else [],
            "usage": {"input_tokens": 12, "output_tokens": 34, "total_tokens": 46}
            if done
            else None,
        }


@dataclass
class ResponsesState:
    """Every response the fake holds, and counters a test can assert on."""

    scenario: ResponsesScenario = field(default_factory=ResponsesScenario)
    responses: dict[str, StoredResponse] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    """Requests by route (faulted ones included)."""
    faults_served: Counter[str] = field(default_factory=Counter)
    by_intent: Counter[str] = field(default_factory=Counter)
    """Responses created per ``metadata.agentdash_intent``: a duplicate shows as 2."""

    def create(self, body: dict[str, Any]) -> StoredResponse:
        metadata = body.get("metadata") or {}
        response = StoredResponse(
            id=f"resp_{uuid.uuid4().hex}",
            prompt=_prompt_text(body.get("input")),
            model=str(body.get("model") or "fake-model"),
            metadata=dict(metadata) if isinstance(metadata, dict) else {},
            outcome=self.scenario.outcome,
            turn_seconds=self.scenario.turn_seconds,
        )
        self.responses[response.id] = response
        self.by_intent[str(response.metadata.get("agentdash_intent"))] += 1
        return response

    def cancel(self, response: StoredResponse) -> None:
        """Stop a response that has not ended; an ended one stays as it is."""
        if response.status() not in TERMINAL:
            response.cancelled = True

    def listing(self, created_after: int) -> list[dict[str, Any]]:
        kept = [r for r in self.responses.values() if r.created_at >= created_after]
        return [r.document() for r in sorted(kept, key=lambda r: r.created_at)]


def _prompt_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # [{"role": "user", "content": "..."}]
        return " ".join(str(item.get("content", "")) for item in value if isinstance(item, dict))
    return ""


def _output(response_id: str, prompt: str) -> list[dict[str, Any]]:
    reasoning = {"type": "reasoning", "id": f"rs_{response_id[5:17]}", "summary": []}
    part = {"type": "output_text", "text": f"Done: {prompt}", "annotations": []}
    message = {
        "type": "message",
        "id": f"msg_{response_id[5:17]}",
        "role": "assistant",
        "status": "completed",
        "content": [part],
    }
    return [reasoning, message]


def _error(status: str) -> dict[str, str] | None:
    if status != "failed":
        return None
    return {"code": "server_error", "message": "The model run failed (fake)"}
