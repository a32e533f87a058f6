"""``agentdash deliveries``: where job results went; ``--redeliver JOB_ID`` sends them again."""

from __future__ import annotations

import sys
from typing import Any

from agentdash.clock import utc_iso
from agentdash.commands.render import aligned, dumps
from agentdash.commands.session import open_store
from agentdash.control import Control
from agentdash.errors import AgentdashError
from agentdash.runtime import Settings
from agentdash.store.outbox import Delivery, DeliveryStatus
from agentdash.text import safe_text


async def deliveries_command(
    settings: Settings, job_id: int | None, status: str | None, as_json: bool
) -> int:
    statuses = _statuses(status)
    async with open_store(settings) as store:
        found = await Control(store, settings.config).deliveries(job_id=job_id, statuses=statuses)
    _print(found, as_json, empty="no deliveries yet: jobs with sinks get them when they end")
    return 0


async def redeliver_command(settings: Settings, job_id: int, as_json: bool) -> int:
    """Reset a job's dead and failing deliveries; the engine owner sends them at once."""
    async with open_store(settings) as store:
        reset = await Control(store, settings.config).redeliver(job_id)
    _print(reset, as_json, empty=f"job {job_id} has no dead or failing deliveries")
    return 0


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    """A delivery as scripts see it: stable keys."""
    return {
        "id": delivery.id,
        "job_id": delivery.job_id,
        "job": delivery.job,
        "sink": delivery.sink,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "retrying": delivery.retrying,
        "next_attempt_at": utc_iso(delivery.next_attempt_at),
        "last_error": delivery.last_error,
        "created_at": utc_iso(delivery.created_at),
        "delivered_at": utc_iso(delivery.delivered_at),
    }


def delivery_table(deliveries: list[Delivery]) -> str:
    rows = [("ID", "JOB", "SINK", "STATUS", "TRIES", "WHEN", "ERROR")]
    for d in deliveries:
        state = "retrying" if d.retrying else d.status.value
        when = d.delivered_at if d.status is DeliveryStatus.DELIVERED else d.next_attempt_at
        error = " ".join((d.last_error or "").split())
        rows.append(
            (str(d.id), f"{d.job_id} {d.job}", d.sink, state, str(d.attempts),
             utc_iso(when) or "-", error[:60])
        )  # fmt: skip
    return aligned(rows)


def _print(deliveries: list[Delivery], as_json: bool, *, empty: str) -> None:
    if as_json:
        print(dumps([delivery_json(d) for d in deliveries]))
    elif deliveries:
        print(safe_text(delivery_table(deliveries)))
    else:
        print(empty, file=sys.stderr)


def _statuses(text: str | None) -> list[DeliveryStatus] | None:
    if text is None:
        return None
    try:
        return [DeliveryStatus(s.strip()) for s in text.split(",")]
    except ValueError:
        known = ", ".join(s.value for s in DeliveryStatus)
        raise AgentdashError(f"unknown delivery status {text!r}; use one of: {known}") from None
