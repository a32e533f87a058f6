"""How jobs look on the command line: JSON objects for scripts, aligned text for people."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from agentdash.clock import utc_iso
from agentdash.durations import format_duration
from agentdash.models import Job


def job_json(job: Job, *, with_output: bool = False) -> dict[str, Any]:
    """The job object of the CLI contract (design.md): stable keys scripts rely on."""
    data: dict[str, Any] = {
        "id": job.id,
        "job": job.job,
        "status": job.status.value,
        "provider": job.provider,
        "remote_id": job.remote_id,
        "origin": job.origin,
        "prompt": job.prompt,
        "created_at": utc_iso(job.created_at),
        "dispatched_at": utc_iso(job.dispatched_at),
        "finished_at": utc_iso(job.finished_at),
        "error": job.error,
        "last_error": job.last_error,
        "consecutive_errors": job.consecutive_errors,
        "poll_count": job.poll_count,
        "next_poll_at": utc_iso(job.next_poll_at),
        "intent_id": job.intent_id,
        "usage": job.usage.as_dict(),
    }
    if with_output:
        data["output"] = job.output
        data["transcript"] = job.transcript
    return data


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def job_table(jobs: Iterable[Job], now: datetime | None = None) -> str:
    """One line per job: id, template, status, age, origin, and the error if any."""
    now = now or datetime.now(UTC)
    rows = [("ID", "JOB", "STATUS", "AGE", "POLLS", "ORIGIN", "ERROR")]
    for job in jobs:
        problem = job.error or job.last_error or ""
        rows.append(
            (
                str(job.id),
                job.job,
                job.status.value,
                format_duration((now - job.created_at).total_seconds()),
                str(job.poll_count),
                job.origin,
                _one_line(problem, 60),
            )
        )
    return aligned(rows)


def aligned(rows: Sequence[Sequence[str]]) -> str:
    """Rows of cells as left-aligned columns, two spaces apart (the first row is the header)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def job_detail(job: Job) -> str:
    """``show`` for people: the fields, then the final output."""
    usage = ", ".join(f"{k}={v}" for k, v in job.usage.as_dict().items()) or "-"
    lines = [
        f"job {job.id}  {job.job}  [{job.status.value}]",
        f"provider:    {job.provider}",
        f"remote id:   {job.remote_id or '-'}",
        f"origin:      {job.origin}",
        f"created:     {utc_iso(job.created_at)}",
        f"dispatched:  {utc_iso(job.dispatched_at) or '-'}",
        f"finished:    {utc_iso(job.finished_at) or '-'}",
        f"polls:       {job.poll_count}",
        f"usage:       {usage}",
    ]
    if job.error:
        lines.append(f"error:       {job.error}")
    if job.last_error and job.last_error != job.error:
        lines.append(f"last error:  {job.last_error} ({job.consecutive_errors} in a row)")
    lines += ["", "prompt:", job.prompt, "", "output:", job.output or "(none yet)"]
    return "\n".join(lines)


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
