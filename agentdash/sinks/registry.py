"""Building a sink from its config entry, importing each client only when it is used.

``task:SOURCE`` names the write-back to a task source's table; every other name is an entry
under ``sinks:``. The MCP SDK and the HTTP client load on first use, in a worker thread
(:func:`preload`), so commands that never deliver start without them and the engine loop
(and the dashboard sharing it) never stalls on a cold import.
"""

from __future__ import annotations

import asyncio
import importlib

from agentdash.config import Config
from agentdash.errors import SinkError
from agentdash.sinks.base import RetryPolicy, Sink
from agentdash.sinks.settings import FileSinkSettings, McpSinkSettings, WebhookSinkSettings

FALLBACK = RetryPolicy(max_attempts=8, backoff=5.0, max_backoff=600.0, timeout=30.0,
                       max_concurrency=1)  # fmt: skip
"""For a delivery whose sink is no longer configured: fails, retries a while, then is dead."""
_MODULES = {
    "mcp": "agentdash.sinks.mcp",
    "webhook": "agentdash.sinks.webhook",
    "file": "agentdash.sinks.file",
}


def policy_for(name: str, config: Config) -> RetryPolicy:
    """How deliveries to ``name`` are paced and retried, without building the sink."""
    if name.startswith("task:"):
        from agentdash.tasks.writeback import POLICY

        return POLICY
    settings = config.sinks.get(name)
    return RetryPolicy.of(settings) if settings is not None else FALLBACK


async def preload(name: str, config: Config) -> None:
    """Import the module serving sink ``name`` in a thread (a no-op once imported)."""
    settings = config.sinks.get(name)
    module = _MODULES.get(settings.type) if settings is not None else None
    if module is None and name.startswith("task:"):
        module = "agentdash.tasks.writeback"
    if module is not None:
        await asyncio.to_thread(importlib.import_module, module)


def build_sink(name: str, config: Config) -> Sink:
    """The sink ``name`` as configured now.

    Raises:
        SinkError: the name is not in the config (any more), or its type is unknown.
    """
    if name.startswith("task:"):
        return _task_writeback(name.removeprefix("task:"), config)
    settings = config.sinks.get(name)
    if isinstance(settings, McpSinkSettings):
        from agentdash.sinks.mcp import McpSink

        return McpSink(settings)
    if isinstance(settings, WebhookSinkSettings):
        from agentdash.sinks.webhook import WebhookSink

        return WebhookSink(settings)
    if isinstance(settings, FileSinkSettings):
        from agentdash.sinks.file import FileSink

        return FileSink(settings)
    if settings is None:
        raise SinkError(f"sink {name!r} is not in the config")
    raise SinkError(f"sink {name!r} has an unsupported type {settings.type!r}")


def _task_writeback(source: str, config: Config) -> Sink:
    settings = config.task_sources.get(source)
    if settings is None:
        raise SinkError(f"task source {source!r} is not in the config")
    from agentdash.tasks.writeback import TaskWriteback

    return TaskWriteback(source, settings)
