"""Detached processes that outlive agentdash, found again by pid and start time.

A job's process must survive agentdash (a restart, a ``kill -9``), so it is never our child:
``sh`` starts a wrapper subshell in the background, in a session and process group of its
own, prints its pid and exits. The wrapper runs the command with its stdin, stdout and stderr
on files, then writes the exit status to a file, so whoever looks later (this process or
the next agentdash) can read how it ended. The wrapper ignores SIGTERM only to outlive its
command and record the status; the command itself gets SIGTERM's default action.

A pid alone is not an identity (pids are reused), so a process is named by its pid and its
start time (``/proc/<pid>/stat`` field 22, clock ticks since boot) and is ours only while
both match and it is not a zombie. Linux only: ``/proc`` is read directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

WRAPPER = """d=$1; shift
( trap : TERM; "$@"; echo $? >"$d/exit.tmp"; mv -f "$d/exit.tmp" "$d/exit" ) \
<"$d/stdin" >"$d/stdout" 2>"$d/stderr" &
echo $!
"""
"""``sh -c WRAPPER agentdash RUN_DIR ARGV...``: start the wrapper, print its pid, return."""
_GONE_STATES = frozenset("ZXx")
"""Zombie or dead: the process ran its course (init may not have reaped it yet)."""


@dataclass(frozen=True, slots=True)
class ProcessId:
    """A process named so that a reused pid never matches."""

    pid: int
    start: int
    """Start time in clock ticks after boot; 0 when it ended before it could be read."""

    def __str__(self) -> str:
        return f"{self.pid}-{self.start}"


@dataclass(frozen=True, slots=True)
class ProcStat:
    """The fields of ``/proc/<pid>/stat`` that matter here."""

    state: str
    pgrp: int
    start: int


def read_stat(pid: int) -> ProcStat | None:
    """The process's state, group and start time; None if there is no such process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2 :].split()  # the name may hold spaces and parentheses
    return ProcStat(state=fields[0], pgrp=int(fields[2]), start=int(fields[19]))


def boot_id() -> str:
    """This boot's id: start times count from boot, so they only compare within one."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return ""


def running_stat(ident: ProcessId) -> ProcStat | None:
    """The process's stat while it is the very process ``ident`` names and still runs."""
    stat = read_stat(ident.pid)
    if stat is None or stat.start != ident.start or stat.state in _GONE_STATES:
        return None
    return stat


def spawn(argv: Sequence[str], run_dir: Path, cwd: Path, env: Mapping[str, str]) -> ProcessId:
    """Start ``argv`` detached, with its files in ``run_dir`` (``stdin`` must exist).

    Raises:
        OSError: ``sh`` or ``cwd`` cannot be used.
        ValueError: the wrapper did not report a pid.
    """
    started = subprocess.run(
        ["/bin/sh", "-c", WRAPPER, "agentdash", str(run_dir), *argv],
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        start_new_session=True,
        timeout=10,
        check=False,
    )
    pid = int(started.stdout.strip() or b"0")
    if pid <= 0:
        raise ValueError(f"the wrapper reported no pid: {started.stderr[-200:]!r}")
    stat = read_stat(pid)
    return ProcessId(pid, stat.start if stat is not None else 0)


def group_alive(pgid: int) -> bool:
    """Whether any member of the process group still runs (zombies do not count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with os.scandir("/proc") as entries:
        pids = [int(entry.name) for entry in entries if entry.name.isdigit()]
    for pid in pids:
        stat = read_stat(pid)
        if stat is not None and stat.pgrp == pgid and stat.state not in _GONE_STATES:
            return True
    return False


async def terminate(pgid: int, grace: float, step: float = 0.05) -> bool:
    """SIGTERM to the group, SIGKILL if any member is left after ``grace`` seconds.

    Returns whether SIGKILL was needed.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while loop.time() < deadline:
        if not group_alive(pgid):
            return False
        await asyncio.sleep(step)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    for _ in range(int(1.0 / step)):  # SIGKILL cannot be refused; the exit takes a moment
        if not group_alive(pgid):
            break
        await asyncio.sleep(step)
    return True


def exit_status(run_dir: Path) -> int | None:
    """The exit status the wrapper recorded, or None if it recorded none (yet)."""
    try:
        return int((run_dir / "exit").read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None
