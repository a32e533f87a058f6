"""``type: file``: one Markdown file per job result, with a YAML front-matter header.

Files are written atomically (a temp file in the same directory, fsync, rename), so a reader
never sees half a result, and are named after the job (``<job>-<id>.md``), so delivering
the same result again overwrites the file instead of adding a second one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

from agentdash.clock import utc_iso
from agentdash.errors import SinkError
from agentdash.models import Job
from agentdash.paths import ensure_private_dir
from agentdash.sinks.base import Parcel, RetryPolicy
from agentdash.sinks.settings import FileSinkSettings

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


class FileSink:
    """Writes each result to ``directory/<job>-<id>.md``."""

    def __init__(self, settings: FileSinkSettings) -> None:
        self.settings = settings
        self.policy = RetryPolicy.of(settings)

    def path_for(self, job: Job) -> Path:
        name = _UNSAFE_NAME.sub("_", job.job).lstrip(".") or "job"
        return self.settings.directory.expanduser() / f"{name}-{job.id}.md"

    async def send(self, parcel: Parcel) -> None:
        document = markdown(parcel, parcel.render(self.settings.body))
        path = self.path_for(parcel.job)
        try:
            await asyncio.to_thread(write_atomically, path, document)
        except OSError as exc:
            raise SinkError(f"{path}: cannot write the result: {exc.strerror or exc}") from None

    async def aclose(self) -> None:
        return None


def markdown(parcel: Parcel, body: str) -> str:
    """The front matter (job facts, YAML-escaped) and then the body."""
    job = parcel.job
    header: dict[str, Any] = {
        "job": job.job,
        "id": job.id,
        "status": job.status.value,
        "origin": job.origin,
        "created_at": utc_iso(job.created_at),
        "finished_at": utc_iso(job.finished_at),
        "error": job.error,
        "idempotency_key": parcel.key,
    }
    task = parcel.job.context.get("task_id")
    if task is not None:
        header["task_id"] = task
    front = yaml.safe_dump(header, sort_keys=False, allow_unicode=True)
    return f"---\n{front}---\n\n{body.rstrip()}\n"


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename; the file is created 0600."""
    ensure_private_dir(path.parent)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (best effort: not every filesystem allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
