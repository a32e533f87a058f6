"""Config models of the sink types, kept apart from their clients.

``config.py`` validates each ``sinks:`` entry with the model registered here for its
``type``, so loading a config never imports the MCP SDK or an HTTP client. Templates are
checked here too: a placeholder that names nothing is an error when the config loads.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from agentdash.providers.settings import Duration, StrictModel
from agentdash.sinks.template import strings_in

DEFAULT_WEBHOOK_BODY: dict[str, str] = {
    "job": "{job}",
    "id": "{id}",
    "status": "{status}",
    "origin": "{origin}",
    "finished_at": "{finished_at}",
    "output": "{output}",
    "error": "{error}",
}
"""What a webhook receives when its config gives no ``body``."""


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]
"""A URL string that must start with ``http://`` or ``https://``."""


class SinkSettings(StrictModel):
    """Keys every sink type accepts: how hard and how often to try."""

    type: str
    """Which sink implementation serves this entry."""
    timeout: Duration = 30.0
    """Overall deadline of one delivery attempt."""
    max_attempts: int = Field(default=8, ge=1)
    """Attempts before a delivery is parked as dead (``R`` in the dashboard re-delivers)."""
    backoff: Duration = 5.0
    """Base of the retry delay; attempt n waits a random time up to backoff * 2^(n-1)."""
    max_backoff: Duration = 600.0
    """Cap of the retry delay."""
    max_concurrency: int = Field(default=4, ge=1, le=64)
    """Deliveries to this sink in flight at once."""

    def templates(self) -> Iterator[tuple[tuple[str, ...], str]]:
        """Every template string of this sink with its key path, for config checks."""
        return iter(())


class McpSinkSettings(SinkSettings):
    """Call a tool of an MCP server over streamable HTTP (the official ``mcp`` client)."""

    type: Literal["mcp"] = "mcp"
    url: HttpUrl
    """The server's MCP endpoint, e.g. ``https://notes.example/mcp``."""
    tool: str
    """Name of the tool to call."""
    arguments: dict[str, Any] = Field(default_factory=lambda: {"text": "{output}"})
    """Tool arguments; every string inside may use placeholders."""
    headers: dict[str, str] = Field(default_factory=dict)
    """HTTP headers on every request, e.g. ``Authorization: Bearer ${NOTES_TOKEN}``."""
    protocol: Literal["auto", "legacy"] = "auto"
    """``auto`` probes the 2026 protocol and falls back; ``legacy`` starts with initialize."""

    def templates(self) -> Iterator[tuple[tuple[str, ...], str]]:
        return strings_in(self.arguments, ("arguments",))


class WebhookSinkSettings(SinkSettings):
    """POST a JSON body to a URL."""

    type: Literal["webhook"] = "webhook"
    url: HttpUrl
    """Where to POST."""
    body: Any = Field(default_factory=lambda: dict(DEFAULT_WEBHOOK_BODY))
    """The JSON body: any YAML value; every string inside may use placeholders."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra HTTP headers, e.g. for auth."""
    idempotency_header: str = "Idempotency-Key"
    """Header carrying the delivery's idempotency key, so a receiver can drop repeats."""

    def templates(self) -> Iterator[tuple[tuple[str, ...], str]]:
        return strings_in(self.body, ("body",))


class FileSinkSettings(SinkSettings):
    """One Markdown file per job result, with a YAML front-matter header."""

    type: Literal["file"] = "file"
    directory: Path
    """Directory the files go in (created 0700 if missing)."""
    body: str = "{output}"
    """The Markdown below the front matter."""

    def templates(self) -> Iterator[tuple[tuple[str, ...], str]]:
        yield ("body",), self.body


SINK_SETTINGS: dict[str, type[SinkSettings]] = {
    "mcp": McpSinkSettings,
    "webhook": WebhookSinkSettings,
    "file": FileSinkSettings,
}
"""Sink ``type`` → the model its config entry is validated with."""
