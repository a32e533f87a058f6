"""agentdash as real processes, for the tests that need them: the CLI, daemons, the fake.

One place for how a test starts and stops them, so every kill -9, restart and takeover test
runs the same command with the same environment (the fake's key set, HOME isolated by the
autouse fixture in ``conftest``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from .conftest import SENTINEL_KEY

AGENTDASH = [sys.executable, "-m", "agentdash"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fake_server_process() -> Iterator[str]:
    """``agentdash fake-server`` in its own process (turns of 0.5 s); yields its URL.

    Tests get it as the ``fake_server`` fixture (``conftest``).
    """
    port = free_port()
    proc = subprocess.Popen(
        [*AGENTDASH, "fake-server", "--port", str(port), "--turn-seconds", "0.5"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``agentdash ARGS`` to the end, with the fake's key set, capturing its output."""
    full_env = {**os.environ, "FAKE_KEY": SENTINEL_KEY, **(env or {})}
    return subprocess.run(
        [*AGENTDASH, *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )


def start_daemon(
    base: list[str], log: Path | None = None, *, verbose: bool = False
) -> subprocess.Popen[bytes]:
    """``agentdash BASE daemon``; its output is appended to ``log`` (dropped without one)."""
    argv = [*AGENTDASH, *base, *(["--verbose"] if verbose else []), "daemon"]
    with ExitStack() as files:
        sink = files.enter_context(log.open("ab")) if log else subprocess.DEVNULL
        return subprocess.Popen(
            argv,
            env={**os.environ, "FAKE_KEY": SENTINEL_KEY},
            stdout=sink,
            stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM and wait up to 10 s (killed after that); the exit status tells how it went."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
