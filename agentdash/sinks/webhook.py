"""``type: webhook``: POST the rendered JSON body, with the idempotency key in a header.

The body template is a YAML structure whose strings are rendered one by one and then
JSON-encoded, so agent output full of quotes and braces can never break the JSON.
"""

from __future__ import annotations

import httpx2

from agentdash.errors import SinkError
from agentdash.sinks.base import Parcel, RetryPolicy, describe
from agentdash.sinks.settings import WebhookSinkSettings
from agentdash.sinks.template import render_value

SNIPPET = 200
"""Characters of a failed response's body kept in the error."""


class WebhookSink:
    """POSTs each result to one URL; any 2xx is a delivery."""

    def __init__(self, settings: WebhookSinkSettings) -> None:
        self.settings = settings
        self.policy = RetryPolicy.of(settings)
        self._client = httpx2.AsyncClient(headers=settings.headers, timeout=settings.timeout)

    async def send(self, parcel: Parcel) -> None:
        body = render_value(self.settings.body, parcel.render)
        headers = {self.settings.idempotency_header: parcel.key}
        try:
            response = await self._client.post(self.settings.url, json=body, headers=headers)
        except httpx2.HTTPError as exc:
            raise SinkError(f"POST {self.settings.url}: {describe(exc)}") from None
        if not response.is_success:
            text = " ".join(response.text.split())[:SNIPPET]
            raise SinkError(f"POST {self.settings.url}: HTTP {response.status_code} {text}".strip())

    async def aclose(self) -> None:
        await self._client.aclose()
