"""Turning a command's run directory into poll results: new stdout, the end, the reason.

Output is read incrementally from the byte offset kept in the cursor, in chunks of at most
:data:`CHUNK` bytes so that one poll never loads a huge log. While the command runs only
whole lines are taken (a half-written line waits for the next poll); a multi-byte
character is never split. The transcript stops growing at ``max_output`` bytes with a note
pointing at the file; the job's output is the last ``max_output`` bytes of stdout, where a
command's answer usually is.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentdash.models import JobStatus
from agentdash.providers.base import PollResult
from agentdash.providers.command_settings import CommandSettings

CHUNK = 256 * 1024
"""Most bytes of stdout one poll reads."""


def poll_result(
    run: Path,
    cursor: Mapping[str, Any],
    settings: CommandSettings,
    *,
    running: bool,
    code: int | None,
) -> PollResult:
    """What the run directory says now, given what ``cursor`` says was reported."""
    offset = int(cursor.get("offset") or 0)
    data, more = read_new(run / "stdout", offset, ended=not running)
    message, capped = _message(data, offset, settings.max_output, run, bool(cursor.get("capped")))
    state, remote, error = _state(run, settings, running or more, code)
    ended = state.is_terminal
    return PollResult(
        status=state,
        cursor={"offset": offset + len(data), "capped": capped, "remote_status": remote},
        changed=bool(message) or remote != cursor.get("remote_status"),
        new_messages=(message,) if message else (),
        error=error,
        remote_status=remote,
        output=tail(run / "stdout", settings.max_output).rstrip("\n") if ended else None,
    )


def read_new(path: Path, offset: int, *, ended: bool) -> tuple[bytes, bool]:
    """Bytes after ``offset`` (whole lines unless ``ended``), and whether more wait."""
    try:
        with path.open("rb") as file:
            file.seek(offset)
            data = file.read(CHUNK + 1)
    except FileNotFoundError:
        return b"", False
    more = len(data) > CHUNK
    data = data[:CHUNK]
    if ended and not more:
        return data, False
    cut = data.rfind(b"\n") + 1
    if cut == 0:
        cut = utf8_boundary(data) if len(data) == CHUNK else 0
    return data[:cut], more


def utf8_boundary(data: bytes) -> int:
    """The largest length ≤ ``len(data)`` that does not end inside a UTF-8 character."""
    start = len(data) - 1
    while start > 0 and data[start] & 0xC0 == 0x80:
        start -= 1
    if start < 0:
        return 0
    lead = data[start]
    need = 1 if lead < 0x80 else 2 if lead >> 5 == 0b110 else 3 if lead >> 4 == 0b1110 else 4
    return len(data) if len(data) - start >= need else start


def tail(path: Path, limit: int) -> str:
    """The last ``limit`` bytes of a file as text (empty if there is no file)."""
    try:
        with path.open("rb") as file:
            size = file.seek(0, 2)
            file.seek(max(0, size - limit))
            data = file.read(limit)
    except FileNotFoundError:
        return ""
    return data.decode("utf-8", "replace")


def _message(
    data: bytes, offset: int, limit: int, run: Path, capped: bool
) -> tuple[str | None, bool]:
    kept = data[: max(0, limit - offset)]
    text = kept.decode("utf-8", "replace").rstrip("\n")
    if offset + len(data) > limit and not capped:
        note = f"[output beyond {limit} bytes is not kept here; all of it is in {run}/stdout]"
        return (f"{text}\n{note}" if text else note), True
    return text or None, capped


def _state(
    run: Path, settings: CommandSettings, running: bool, code: int | None
) -> tuple[JobStatus, str, str | None]:
    """Our status, the remote status shown beside it, and the error if it failed."""
    if running:
        return JobStatus.RUNNING, "running", None
    if code == 0:
        return JobStatus.COMPLETED, "exit 0", None
    stderr = tail(run / "stderr", settings.stderr_tail * 4).strip()[-settings.stderr_tail :]
    said = f"; stderr: {stderr}" if stderr else "; nothing on stderr"
    if code is None:
        reason = "the process ended without recording an exit status (killed, or a reboot)"
        return JobStatus.FAILED, "vanished", reason + said
    return JobStatus.FAILED, f"exit {code}", f"exit status {code}{_signal_note(code)}{said}"


def _signal_note(code: int) -> str:
    """Shells report death by signal N as 128 + N."""
    try:
        return f" ({signal.Signals(code - 128).name})" if code > 128 else ""
    except ValueError:
        return ""
