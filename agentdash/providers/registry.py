"""Building provider objects from config through the ``agentdash.providers`` entry points.

Every provider type, the built-in ones included, is a class named by an entry point (see
:class:`~agentdash.providers.base.ProviderType`). The class is imported only when a provider
of its type is built, so commands that never talk to a provider (``jobs``, ``show``) start
without loading any SDK. Each provider gets an HTTP client whose requests pass its pacer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx2

from agentdash.engine.pacing import Pacer
from agentdash.errors import ConfigError
from agentdash.providers.base import Provider, ProviderContext, ProviderType
from agentdash.providers.settings import (
    ProviderSettings,
    load_object,
    load_plugin,
    provider_entry_points,
)

BUILTIN_TYPES: dict[str, str] = {
    "anthropic": "agentdash.providers.anthropic:AnthropicProvider",
    "http": "agentdash.providers.http:HttpProvider",
    "command": "agentdash.providers.command:CommandProvider",
}
"""The classes pyproject's entry points name, for a source tree run without being installed
(no package metadata, so no entry points); an installed package always uses its entry points."""


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
    kind = provider_type(settings.type)
    if not isinstance(settings, kind.settings_model):
        raise ConfigError(
            f"provider {name!r}: type {settings.type!r} expects "
            f"{kind.settings_model.__name__} settings, got {type(settings).__name__}"
        )
    context = ProviderContext(
        pacer=pacer,
        env=os.environ if env is None else env,
        http_client=lambda: paced_http_client(settings, pacer),
    )
    return kind.from_settings(name, settings, context)


def provider_type(type_name: str) -> type[ProviderType]:
    """The class registered for ``type_name``.

    Raises:
        ConfigError: no package registers the type, or its class lacks the interface.
    """
    found: Any
    if type_name in BUILTIN_TYPES:  # as config loading resolves settings: built-ins first
        found = load_object(BUILTIN_TYPES[type_name])
    elif (point := provider_entry_points().get(type_name)) is not None:
        found = load_plugin(type_name, point)
    else:
        raise ConfigError(f"provider type {type_name!r} has no implementation installed")
    missing = [a for a in ("type_name", "settings_model", "from_settings") if not hasattr(found, a)]
    if missing:
        raise ConfigError(f"provider type {type_name!r}: {found!r} lacks {', '.join(missing)}")
    kind: type[ProviderType] = found
    return kind


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
