"""Shared pieces of the benchmarks: the fake server in its own process, an engine rig.

Benchmarks print figures; they assert nothing. Each compares agentdash with a baseline
measured in the same run, so the ratio holds on a noisy machine.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx2

from agentdash.config import Config, parse_config
from agentdash.engine.engine import Engine
from agentdash.runtime import ProviderSet, build_providers
from agentdash.store import Store

KEY = "sk-bench-not-a-real-key"


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fake_process(turn_seconds: float = 3600.0) -> Iterator[str]:
    """The fake Managed Agents server in its own process (its CPU is not ours)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentdash", "fake-server", "--port", str(port),
         "--turn-seconds", str(turn_seconds)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx2.get(f"{url}/_fake/stats", timeout=1)
            break
        except httpx2.HTTPError:
            time.sleep(0.1)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def admin(url: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    if body is None:
        return dict(httpx2.get(f"{url}{path}", timeout=10).json())
    response = httpx2.post(f"{url}{path}", json=body, timeout=10)
    response.raise_for_status()
    return dict(response.json()) if response.content else {}


def bench_config(url: str, *, rpm: int, concurrency: int, interval: str = "1h") -> Config:
    text = f"""
poll: {{interval: {interval}, max_interval: 1h, jitter: 0}}
providers:
  fake:
    type: anthropic
    api_key_env: BENCH_KEY
    base_url: {url}
    requests_per_minute: {rpm}
    max_concurrency: {concurrency}
    timeout: 60s
jobs:
  work: {{provider: fake, agent: a, environment: e, prompt: "bench"}}
"""
    return parse_config(text, Path("bench.yaml"), {})


@asynccontextmanager
async def engine_rig(db: Path, config: Config) -> AsyncIterator[tuple[Store, Engine, ProviderSet]]:
    providers = build_providers(config, env={"BENCH_KEY": KEY})
    store = await Store.open(db)
    engine = Engine(store, config, providers.providers, providers.pacers)
    assert await engine.acquire()
    try:
        yield store, engine, providers
    finally:
        await engine.release()
        await providers.aclose()
        await store.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
