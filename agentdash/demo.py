"""``agentdash --demo``: the dashboard, alive within seconds, with no API key and no setup.

The demo starts the bundled fake Managed Agents server in-process on a loopback port,
writes a demo config pointing at it, and starts from a fresh demo database (under the data
dir, never the user's own), seeded with jobs that end in every interesting state: one
running a long turn, one completed with Markdown output, one waiting for a person, one
failed. Two schedules show the schedules panel working.

A second ``agentdash --demo`` while one runs does not reset anything: it opens the same
database as a follower (and shows that mode off), since the first one owns the engine.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from agentdash.config import load_config
from agentdash.control import Control
from agentdash.engine.ownership import engine_running
from agentdash.errors import AgentdashError
from agentdash.fake import FakeServer, Scenario, running_fake
from agentdash.fake.scenario import default_reply, strip_markers
from agentdash.paths import APP, ensure_private_dir
from agentdash.runtime import Settings

KEY_ENV = "AGENTDASH_DEMO_KEY"
"""The variable the demo config names for its key; set only in the demo's own mapping."""
KEY = "demo-key-for-the-local-fake"
HOSTILE = "[demo:hostile]"
"""A prompt marker: the fake replies with terminal escapes and markup, to show they stay inert."""

CONFIG = """\
# The agentdash demo. Every job runs on the bundled fake Managed Agents server, which
# this demo started on {base_url}. Nothing leaves this machine.
poll: {{interval: 2s, max_interval: 10s, max_backoff: 10s}}
engine: {{lease_ttl: 10s}}
providers:
  demo:
    type: anthropic
    api_key_env: {key_env}
    base_url: {base_url}
    requests_per_minute: 600
    max_concurrency: 8
    timeout: 10s
jobs:
  refactor:
    provider: demo
    agent: agent_demo_refactor
    environment: env_demo
    metadata: {{fake_turn_seconds: "1800", fake_messages: "12"}}
    prompt: Refactor the billing module into smaller services; report progress as you go.
  release-notes:
    provider: demo
    agent: agent_demo_writer
    environment: env_demo
    metadata: {{fake_turn_seconds: "2"}}
    prompt: Write the release notes for version 2.4 from the merged pull requests.
  deploy:
    provider: demo
    agent: agent_demo_ops
    environment: env_demo
    metadata: {{fake_script: needs_action, fake_turn_seconds: "2"}}
    prompt: Deploy the release candidate to staging once the ticket is approved.
  nightly-import:
    provider: demo
    agent: agent_demo_etl
    environment: env_demo
    metadata: {{fake_script: terminated, fake_turn_seconds: "3"}}
    prompt: Import last night's orders into the warehouse and reconcile the totals.
  hello:
    provider: demo
    agent: agent_demo
    environment: env_demo
    metadata: {{fake_turn_seconds: "1"}}
    prompt: Say hello and summarise what you can do in three bullet points.
  hostile:
    provider: demo
    agent: agent_demo
    environment: env_demo
    metadata: {{fake_turn_seconds: "1"}}
    prompt: "Print the raw build log {hostile} (it is full of terminal escapes and markup)"
schedules:
  pulse:
    job: hello
    cron: "*/2 * * * *"
    misfire: skip
  nightly:
    job: nightly-import
    cron: "0 3 * * *"
"""

SEED: tuple[tuple[str, str | None], ...] = (
    ("nightly-import", None),
    ("deploy", None),
    ("release-notes", None),
    ("refactor", None),
)
"""The jobs a fresh demo starts with, oldest first."""


@dataclass(frozen=True)
class Demo:
    """A prepared demo: where its files are, and whether this process started its fake."""

    settings: Settings
    env: Mapping[str, str]
    fake: FakeServer | None
    """None when another demo already owns the database (this one follows it)."""

    @property
    def fresh(self) -> bool:
        return self.fake is not None


def demo_dir() -> Path:
    return platformdirs.user_data_path(APP) / "demo"


def demo_paths(directory: Path | None = None) -> tuple[Path, Path]:
    """The demo's config file and database, for ``--demo`` with a subcommand too."""
    base = directory or demo_dir()
    return base / "config.yaml", base / "demo.db"


def demo_settings(directory: Path | None = None) -> Settings:
    """The demo's config and database, for ``agentdash --demo COMMAND`` from another shell.

    Raises:
        AgentdashError: no demo has run yet, so there is no demo config to use.
    """
    config_path, database = demo_paths(directory)
    if not config_path.exists():
        raise AgentdashError("no demo has run yet; start one with: agentdash --demo")
    return _settings(config_path, database)


def demo_reply(prompt: str, index: int, total: int) -> str:
    """What the fake agent says: hostile text on request, else readable Markdown."""
    if HOSTILE in prompt and index == total - 1:
        return hostile_text()
    if "release notes" in prompt and index == total - 1:
        return RELEASE_NOTES
    if index < total - 1:
        return f"Step {index + 1} of {total}: working through *{strip_markers(prompt)[:40]}…*"
    return default_reply(prompt, index, total)


def hostile_text() -> str:
    """Agent output that tries to retitle the pane, clear the screen and inject markup."""
    return (
        "Build log follows.\n"
        "\x1b]0;PWNED-TITLE\x07title change (OSC 0)\n"
        "\x1b[2Jclear screen (CSI 2J)\n"
        "\x9b31mC1 CSI red\n"
        "\x1b]52;c;cHduZWQ=\x07clipboard write (OSC 52)\n"
        "[@click=app.quit]click me to quit[/] [bold]not bold[/bold] [type=x, v={'a[0]'}]\n"
        "End of log."
    )


RELEASE_NOTES = """\
# Release 2.4

## Highlights

- **Schedules** survive restarts and never fire twice.
- The dashboard shows a *needs you* lane for agents waiting on input.

## Fixes

| Issue | Fix |
|------:|-----|
| #412 | Polling backs off on `429` |
| #431 | Output search jumps with `n` / `N` |

```bash
pip install agentdash==2.4
```
"""


@asynccontextmanager
async def demo_environment(directory: Path | None = None) -> AsyncIterator[Demo]:
    """Prepare the demo and, unless another demo owns its database, run the fake.

    Must be entered on the event loop the dashboard runs on: the fake serves from it.
    """
    config_path, database = demo_paths(directory)
    ensure_private_dir(config_path.parent)
    env = {**os.environ, KEY_ENV: KEY}
    if database.exists() and engine_running(database) and config_path.exists():
        yield Demo(_settings(config_path, database), env, None)
        return
    _reset(database)
    scenario = Scenario(turn_seconds=3.0, agent_messages=3, reply_text=demo_reply)
    async with running_fake(scenario) as fake:
        text = CONFIG.format(base_url=fake.base_url, key_env=KEY_ENV, hostile=HOSTILE)
        _write_private(config_path, text)
        yield Demo(_settings(config_path, database), env, fake)


async def seed(control: Control) -> None:
    """Queue the demo's starting jobs; the engine sends them as soon as it runs."""
    for job, prompt in SEED:
        await control.dispatch(job, prompt)


def _settings(config_path: Path, database: Path) -> Settings:
    return Settings(load_config(config_path), config_path, database)


def _reset(database: Path) -> None:
    """Start from an empty database: old jobs point at sessions of a fake that is gone."""
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            database.with_name(database.name + suffix).unlink()


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
