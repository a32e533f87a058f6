"""Start-up cost of the CLI: ``agentdash jobs --json`` and ``--version`` against ``python -c pass``.

Also lists what ``jobs --json`` imports, to show that Textual and the provider SDKs stay
unloaded for commands that do not need them.

Run: ``.venv/bin/python bench/startup.py``
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine

RUNS = 15


def timed(args: list[str], env: dict[str, str]) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(args, env=env, stdout=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def imported_modules(db: Path, env: dict[str, str]) -> list[str]:
    code = (
        "import sys, contextlib, io\n"
        "from agentdash.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['--db', {str(db)!r}, 'jobs', '--json'])\n"
        "print('\\n'.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return out.stdout.split()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "XDG_CONFIG_HOME": tmp, "XDG_DATA_HOME": tmp}
        db = Path(tmp) / "bench.db"
        agentdash = [sys.executable, "-m", "agentdash", "--db", str(db)]
        subprocess.run([*agentdash, "jobs", "--json"], env=env, capture_output=True, check=True)
        base = timed([sys.executable, "-c", "pass"], env)
        version = timed([sys.executable, "-m", "agentdash", "--version"], env)
        jobs = timed([*agentdash, "jobs", "--json"], env)
        modules = imported_modules(db, env)
    print(f"startup: median of {RUNS} runs; {machine()}")
    print(f"  python -c pass            {base * 1000:7.0f} ms")
    print(f"  agentdash --version       {version * 1000:7.0f} ms  ({version / base:.1f}x baseline)")
    print(f"  agentdash jobs --json     {jobs * 1000:7.0f} ms  ({jobs / base:.1f}x baseline)")
    heavy = sorted({"textual", "rich", "anthropic", "mcp"} & set(modules))
    print(f"  top-level packages imported by jobs --json: {len(modules)}")
    print(f"  of textual, rich, anthropic, mcp: {', '.join(heavy) or 'none'}")
    print("  " + " ".join(m for m in modules if not m.startswith("_")))


if __name__ == "__main__":
    main()
