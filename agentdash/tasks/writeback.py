"""The ``task:SOURCE`` sink: when a job from a task ends, write the outcome to the task row.

It is an outbox delivery like any other, queued in the transaction that ends the job, so
the write-back survives crashes and is retried (with backoff, without limit) until the task
database takes it. It is idempotent: finding the very outcome already written counts as
done. A row that is gone, or that someone else holds now, is not ours to write: the
delivery is parked as dead with what was found.
"""

from __future__ import annotations

from typing import Literal

from agentdash.errors import SinkError, StoreError
from agentdash.models import JobStatus
from agentdash.sinks.base import Parcel, PermanentSinkError, RetryPolicy
from agentdash.tasks.claims import table_for
from agentdash.tasks.settings import TaskSourceSettings

POLICY = RetryPolicy(max_attempts=None, backoff=5.0, max_backoff=300.0, timeout=60.0,
                     max_concurrency=2)  # fmt: skip
"""Write-backs are retried until they succeed, at most every five minutes."""


class TaskWriteback:
    """Writes ``done`` + the final output, or ``failed`` + the error, to a job's task."""

    policy = POLICY

    def __init__(self, source: str, settings: TaskSourceSettings) -> None:
        self.source = source
        self.table = table_for(settings)

    async def send(self, parcel: Parcel) -> None:
        job = parcel.job
        task_id, by = job.context.get("task_id"), job.context.get("claimed_by")
        if task_id is None or not isinstance(by, str):
            raise PermanentSinkError(f"job {job.id} carries no task claim to write back")
        status: Literal["done", "failed"] = "failed"
        result = job.error or f"the job was {job.status.value}"
        if job.status is JobStatus.COMPLETED:
            status, result = "done", job.output or ""
        try:
            async with self.table.open() as session:
                outcome, found = await session.finish(task_id, by, status, result)
        except StoreError as exc:
            raise SinkError(str(exc)) from None
        if outcome in ("gone", "taken"):
            raise PermanentSinkError(f"task {task_id}: {found}; not writing back")

    async def aclose(self) -> None:
        return None
