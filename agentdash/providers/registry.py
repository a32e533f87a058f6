"""Building provider objects from config, each with its pacer wired into its HTTP client.

Implementations are imported only when a provider of their type is built, so commands that
never talk to a provider (``jobs``, ``show``) start without loading any SDK.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx2

from agentdash.engine.pacing import Pacer
from agentdash.errors import ConfigError
from agentdash.providers.base import Provider
from agentdash.providers.settings import AnthropicSettings, ProviderSettings


def paced_http_client(settings: ProviderSettings, pacer: Pacer) -> httpx2.AsyncClient:
    """An HTTP client whose every request waits for the pacer and reports overloads to it."""

    async def on_response(response: httpx2.Response) -> None:
        pacer.after_response(response.status_code, dict(response.headers))

    return httpx2.AsyncClient(
        timeout=httpx2.Timeout(30.0, connect=5.0),
        limits=httpx2.Limits(
            max_connections=settings.max_concurrency,
            max_keepalive_connections=settings.max_concurrency,
        ),
        event_hooks={"request": [pacer.before_request], "response": [on_response]},
    )


def build_provider(
    name: str, settings: ProviderSettings, pacer: Pacer, env: Mapping[str, str] | None = None
) -> Provider:
    """The provider for one ``providers:`` entry.

    Raises:
        ConfigError: the entry cannot be used (e.g. its API key variable is unset).
    """
    if isinstance(settings, AnthropicSettings):
        from agentdash.providers.anthropic import AnthropicProvider

        key = api_key(name, settings.api_key_env, env)
        return AnthropicProvider(name, settings, key, paced_http_client(settings, pacer))
    raise ConfigError(f"provider {name!r}: type {settings.type!r} has no implementation")


def api_key(provider: str, variable: str, env: Mapping[str, str] | None = None) -> str:
    """The API key from the environment variable the config names.

    Raises:
        ConfigError: the variable is unset or empty.
    """
    value = (os.environ if env is None else env).get(variable, "")
    if not value:
        raise ConfigError(
            f"provider {provider!r}: environment variable {variable} is not set "
            f"(providers.{provider}.api_key_env names it; export the API key there)"
        )
    return value
