"""What an idle agentdash costs: CPU seconds and wake-ups over a minute with nothing to do.

Measures an idle ``agentdash daemon`` and an idle dashboard (in a pseudo-terminal), each
against a baseline of ``sleep`` measured the same way. Wake-ups are the process's voluntary
context switches (every thread), read from ``/proc``.

Run: ``.venv/bin/python bench/idle.py [SECONDS]`` (default 60).
"""

from __future__ import annotations

import contextlib
import os
import pty
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
TICKS = os.sysconf("SC_CLK_TCK")
BARE_TEXTUAL = (
    "from textual.app import App\nfrom textual.widgets import DataTable, Footer, Header\n"
    "class Bare(App[None]):\n"
    "    def compose(self):\n        yield Header()\n        yield DataTable()\n"
    "        yield Footer()\n"
    "Bare().run()\n"
)
"""The baseline for the dashboard: a Textual app with a header, an empty table and a footer."""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def wakeups(pid: int) -> int:
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith("voluntary_ctxt_switches"):
                total += int(line.split()[1])
    return total


def measure(args: list[str], env: dict[str, str], *, tty: bool = False) -> tuple[float, int]:
    if tty:
        pid, fd = pty.fork()
        if pid == 0:
            os.execvpe(args[0], args, env)
        proc_pid = pid
    else:
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        proc_pid = proc.pid
    time.sleep(8)  # let it start and settle
    cpu0, wake0 = cpu_seconds(proc_pid), wakeups(proc_pid)
    deadline = time.monotonic() + SECONDS
    while time.monotonic() < deadline:
        if tty:  # keep the terminal drained, as a real one would
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                with contextlib.suppress(OSError):
                    os.read(fd, 65536)
        else:
            time.sleep(0.5)
    cpu, wake = cpu_seconds(proc_pid) - cpu0, wakeups(proc_pid) - wake0
    os.kill(proc_pid, 15)
    if tty:
        os.waitpid(proc_pid, 0)
        os.close(fd)
    else:
        proc.wait(timeout=10)
    return cpu, wake


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "XDG_CONFIG_HOME": tmp, "XDG_DATA_HOME": tmp, "TERM": "xterm-256color"}
        db = str(Path(tmp) / "idle.db")
        rows = [
            ("sleep (baseline)", measure(["sleep", str(SECONDS + 30)], env)),
            (
                "agentdash daemon",
                measure([sys.executable, "-m", "agentdash", "--db", db, "daemon"], env),
            ),
        ]
        if os.environ.get("BENCH_DASHBOARD", "1") == "1":
            dash = [sys.executable, "-m", "agentdash", "--db", db]
            bare = [sys.executable, "-c", BARE_TEXTUAL]
            rows.append(("bare Textual app", measure(bare, env, tty=True)))
            rows.append(("agentdash dashboard", measure(dash, env, tty=True)))
    print(f"idle: {SECONDS:.0f} s with nothing active and no schedule; {machine()}")
    print(f"  {'process':<22} {'CPU s':>7} {'CPU %':>7} {'wake-ups':>9}")
    for name, (cpu, wake) in rows:
        print(f"  {name:<22} {cpu:>7.2f} {100 * cpu / SECONDS:>6.2f}% {wake:>9}")


if __name__ == "__main__":
    main()
