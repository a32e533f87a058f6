"""Turn plans: the events a scripted turn will emit, each at an offset from the turn start.

A plan is computed once, when the turn starts; the session then releases its events as
the server clock passes their due time (see ``sessions.py``). That makes turns take real
time without any background task, and keeps every script in one readable place.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from agentdash.fake.scenario import TurnOptions
from agentdash.fake.wire import IdFactory

Event = dict[str, Any]


@dataclass(frozen=True)
class Usage:
    """Cumulative token usage and list cost, the shape of the session's ``usage``."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_5m: int = 0
    cache_1h: int = 0
    cost_cents: int = 0

    def plus(self, *, input_tokens: int, output_tokens: int) -> Usage:
        """This usage after one more model request (cache numbers are made up but plausible)."""
        cost = 1 + (3 * input_tokens + 15 * output_tokens) // 10_000
        return replace(
            self,
            input_tokens=self.input_tokens + input_tokens,
            output_tokens=self.output_tokens + output_tokens,
            cache_read_input_tokens=self.cache_read_input_tokens + 512,
            cache_5m=self.cache_5m + 128,
            cost_cents=self.cost_cents + cost,
        )

    def to_json(self) -> dict[str, Any]:
        """The wire shape shared by ``session.usage`` and the session object."""
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_creation": {
                "ephemeral_5m_input_tokens": self.cache_5m,
                "ephemeral_1h_input_tokens": self.cache_1h,
            },
            "list_cost": {"amount": str(self.cost_cents), "currency": "USD"},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Usage:
        """Read back :meth:`to_json` (used when a ``session.usage`` event is released)."""
        cache = data.get("cache_creation") or {}
        cost = (data.get("list_cost") or {}).get("amount", "0")
        return cls(
            input_tokens=int(data.get("input_tokens") or 0),
            output_tokens=int(data.get("output_tokens") or 0),
            cache_read_input_tokens=int(data.get("cache_read_input_tokens") or 0),
            cache_5m=int(cache.get("ephemeral_5m_input_tokens") or 0),
            cache_1h=int(cache.get("ephemeral_1h_input_tokens") or 0),
            cost_cents=int(cost),
        )


@dataclass(frozen=True)
class Planned:
    """One event of a plan, due ``offset`` seconds after the turn starts."""

    offset: float
    event: Event


class _Plan:
    """Accumulates events; small helper so the scripts below read top to bottom."""

    def __init__(self, ids: IdFactory, seconds: float) -> None:
        self.ids = ids
        self.seconds = seconds
        self.items: list[Planned] = []

    def add(self, fraction: float, event_type: str, **fields: Any) -> Event:
        event: Event = {"type": event_type, "id": self.ids.new("sevt_"), **fields}
        self.items.append(Planned(round(fraction * self.seconds, 3), event))
        return event


def _model_usage(input_tokens: int, output_tokens: int) -> dict[str, int]:
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": 128,
        "cache_read_input_tokens": 512,
    }


def _messages(plan: _Plan, opts: TurnOptions, prompt: str, count: int, start: float) -> None:
    """``count`` agent.message events spread over ``start``..0.85 of the turn."""
    span = 0.85 - start
    for i in range(count):
        slot = i - i % 2 if opts.shared_ts else i
        text = opts.reply_text(prompt, i, count)
        content: list[dict[str, Any]] = [{"type": "text", "text": text}]
        if opts.redacted and i == count - 1:
            content = [
                {"type": "text", "text": "Part of this answer was withheld:"},
                {"type": "redacted"},
                *content,
            ]
        offset = start + span * slot / max(count, 1)
        plan.add(offset, "agent.message", content=content)
        if opts.unknown and i == 0:
            plan.add(offset, "agent.future_thing", detail={"note": "a type this SDK lacks"})


def plan_turn(
    opts: TurnOptions,
    *,
    ids: IdFactory,
    prompt: str,
    echo: Event | None,
    usage: Usage,
    budget: dict[str, Any] | None,
) -> tuple[list[Planned], Usage]:
    """The events of one scripted turn, and the cumulative usage once it has run.

    ``echo`` is the ``user.message`` that started the turn; it is released first, at the
    same instant as ``session.status_running``.
    """
    plan = _Plan(ids, opts.seconds)
    if echo is not None:
        plan.items.append(Planned(0.0, echo))
    plan.add(0.0, "session.status_running")
    start = plan.add(0.05, "span.model_request_start")
    if opts.unknown:
        plan.add(0.07, "agent.thinking")
    failing = opts.script in ("retries_exhausted", "terminated")
    count = min(opts.messages, 1) if failing else opts.messages
    _messages(plan, opts, prompt, count, 0.1)
    in_tokens, out_tokens = 1000 + len(prompt), 10 + 40 * count
    after = usage.plus(input_tokens=in_tokens, output_tokens=out_tokens)
    end = 1.0 if opts.shared_ts else 0.9
    stop: dict[str, Any] = {"type": "end_turn"}
    if opts.script == "retries_exhausted":
        err: dict[str, Any] = {"type": "model_overloaded_error", "message": "Overloaded"}
        plan.add(0.3, "session.error", error={**err, "retry_status": {"type": "retrying"}})
        plan.add(0.3, "session.status_rescheduled")
        plan.add(0.5, "session.status_running")
        message = "Model overloaded: retries exhausted (fake)"
        err = {**err, "message": message, "retry_status": {"type": "exhausted"}}
        plan.add(0.85, "session.error", error=err)
        stop = {"type": "retries_exhausted"}
    elif opts.script == "terminated":
        message = "Unrecoverable error: the agent container stopped (fake)"
        fatal = {"type": "unknown_error", "message": message, "retry_status": {"type": "terminal"}}
        plan.add(0.85, "session.error", error=fatal)
    elif opts.script == "needs_action":
        tool = plan.add(0.88, "agent.custom_tool_use", name="lookup_ticket", input={"id": "T-1"})
        stop = {"type": "requires_action", "event_ids": [tool["id"]]}
    elif opts.script == "needs_confirmation":
        tool = plan.add(
            0.88, "agent.tool_use", name="bash", input={"command": "ls"}, evaluated_permission="ask"
        )
        stop = {"type": "requires_action", "event_ids": [tool["id"]]}
    elif opts.script == "budget":
        stop = {"type": "budget_reached"}
        if budget is None:
            amount = {"amount": str(after.cost_cents), "currency": "USD"}
            budget = {"type": "limit", "max_list_cost": amount}
    plan.add(
        end,
        "span.model_request_end",
        model_request_start_id=start["id"],
        is_error=failing,
        model_usage=_model_usage(in_tokens, out_tokens),
    )
    plan.add(0.95 if end < 1.0 else 1.0, "session.usage", usage=after.to_json(), budget=budget)
    if opts.script == "terminated":
        plan.add(1.0, "session.status_terminated")
    else:
        plan.add(1.0, "session.status_idle", stop_reason=stop, stop_details=None)
    return plan.items, after


def plan_resume(
    opts: TurnOptions,
    *,
    ids: IdFactory,
    usage: Usage,
    budget: dict[str, Any] | None,
    tool_results: list[Event],
) -> tuple[list[Planned], Usage]:
    """A short completing turn after every blocking tool use has been answered.

    ``tool_results`` are ``agent.tool_result`` events to emit first (allowed built-in tools ran).
    """
    plan = _Plan(ids, max(opts.seconds / 2, 0.01))
    plan.add(0.0, "session.status_running")
    plan.items.extend(Planned(0.0, result) for result in tool_results)
    start = plan.add(0.1, "span.model_request_start")
    text = "Thanks, I have the tool result. All done."
    plan.add(0.5, "agent.message", content=[{"type": "text", "text": text}])
    after = usage.plus(input_tokens=400, output_tokens=30)
    plan.add(
        0.9,
        "span.model_request_end",
        model_request_start_id=start["id"],
        is_error=False,
        model_usage=_model_usage(400, 30),
    )
    plan.add(0.95, "session.usage", usage=after.to_json(), budget=budget)
    plan.add(1.0, "session.status_idle", stop_reason={"type": "end_turn"}, stop_details=None)
    return plan.items, after
