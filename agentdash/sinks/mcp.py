"""``type: mcp``: call a tool on an MCP server through the official ``mcp`` client.

The SDK speaks streamable HTTP and reads both answer styles (``application/json`` and
``text/event-stream``) with a real SSE parser, so no framing is parsed here. The idempotency
key travels in the request's ``_meta`` (``agentdash/idempotency-key``), where a server that
cares can find it without it polluting the tool's arguments. A result with ``isError: true``
is a failed delivery carrying the tool's own text.
"""

from __future__ import annotations

from typing import cast

import httpx2
import mcp_types
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from agentdash import __version__
from agentdash.errors import SinkError
from agentdash.sinks.base import Parcel, RetryPolicy, describe
from agentdash.sinks.settings import McpSinkSettings
from agentdash.sinks.template import render_value

META_KEY = "agentdash/idempotency-key"
"""The ``_meta`` entry that carries the delivery's idempotency key."""


class McpSink:
    """One tool call per delivery, on a fresh MCP session over a shared HTTP client."""

    def __init__(self, settings: McpSinkSettings) -> None:
        self.settings = settings
        self.policy = RetryPolicy.of(settings)
        self._http = httpx2.AsyncClient(headers=settings.headers, timeout=settings.timeout)

    async def send(self, parcel: Parcel) -> None:
        arguments = render_value(self.settings.arguments, parcel.render)
        where = f"{self.settings.tool} on {self.settings.url}"
        try:
            result = await self._call(arguments, parcel.key)
        except MCPError as exc:
            raise SinkError(f"{where}: the server refused the call: {exc}") from None
        except Exception as exc:  # transport errors arrive wrapped in exception groups
            raise SinkError(f"{where}: {describe(exc)}") from None
        if result.is_error:
            raise SinkError(f"{where} reported an error: {_text_of(result) or 'no details'}")

    async def _call(self, arguments: dict[str, object], key: str) -> mcp_types.CallToolResult:
        transport = streamable_http_client(self.settings.url, http_client=self._http)
        client = Client(
            transport,
            mode=self.settings.protocol,
            cache=None,
            client_info=mcp_types.Implementation(name="agentdash", version=__version__),
        )
        async with client:
            meta = cast(mcp_types.RequestParamsMeta, {META_KEY: key})  # an open TypedDict
            return await client.call_tool(self.settings.tool, arguments, meta=meta)

    async def aclose(self) -> None:
        await self._http.aclose()


def _text_of(result: mcp_types.CallToolResult) -> str:
    parts = [block.text for block in result.content if isinstance(block, mcp_types.TextContent)]
    return " ".join(" ".join(parts).split())[:500]
