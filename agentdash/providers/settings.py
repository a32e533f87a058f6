"""Config models of the provider types, kept apart from their (heavier) clients.

``config.py`` validates each ``providers:`` entry with the model :data:`PROVIDER_SETTINGS`
finds for its ``type``. The built-in types map to light settings modules directly, so loading
a config never imports an HTTP SDK, nor even scans the installed packages; any other type is
looked up in the ``agentdash.providers`` entry-point group, which loads that plugin's class.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from agentdash.durations import parse_duration
from agentdash.errors import ConfigError

Duration = Annotated[float, BeforeValidator(parse_duration)]
"""Seconds, written in config as ``15s``, ``2m``, ``1h`` or a number."""


class StrictModel(BaseModel):
    """Unknown keys are errors, values are frozen once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=False)


class ProviderSettings(StrictModel):
    """Keys every provider type accepts."""

    type: str
    """Which provider implementation serves this entry."""
    requests_per_minute: int = Field(default=300, gt=0)
    """Request budget towards this provider; polls are paced to stay under it."""
    max_concurrency: int = Field(default=8, gt=0, le=256)
    """How many requests to this provider may be in flight at once."""
    timeout: Duration = 60.0
    """Overall deadline for one call, however slowly the answer drips in."""


class AnthropicSettings(ProviderSettings):
    """Claude Managed Agents sessions through the official ``anthropic`` SDK."""

    type: Literal["anthropic"] = "anthropic"
    api_key_env: str = "ANTHROPIC_API_KEY"
    """Name of the environment variable that holds the API key; the key never goes in config."""
    base_url: str | None = None
    """API base URL; leave unset for the public API, or point it at the bundled fake server."""


BUILTIN_SETTINGS: dict[str, str] = {
    "anthropic": "agentdash.providers.settings:AnthropicSettings",
    "http": "agentdash.providers.http_settings:HttpSettings",
    "command": "agentdash.providers.command_settings:CommandSettings",
}
"""Built-in ``type`` → its settings model, by name: the light path that config loading takes.
The entry points of the same names must name classes with these very models (a test checks)."""


def load_object(spec: str) -> Any:
    """The object a ``module:attribute`` spec names."""
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def provider_entry_points() -> dict[str, Any]:
    """Installed ``agentdash.providers`` entry points by name (the first of duplicates wins)."""
    from importlib.metadata import entry_points

    from agentdash.providers.base import ENTRY_POINT_GROUP

    found: dict[str, Any] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(point.name, point)
    return found


def load_plugin(type_name: str, point: Any) -> Any:
    """Load the class an entry point names, as a config error when the plugin is broken."""
    try:
        return point.load()
    except Exception as exc:  # a broken plugin must read as config trouble, not a traceback
        raise ConfigError(
            f"provider type {type_name!r} ({point.value}) could not be loaded: "
            f"{type(exc).__name__}: {exc}"
        ) from None


class _ProviderTypes(Mapping[str, type[ProviderSettings]]):
    """Provider ``type`` → settings model, resolved lazily (see the module docstring)."""

    def __getitem__(self, type_name: str) -> type[ProviderSettings]:
        if type_name in BUILTIN_SETTINGS:
            model: type[ProviderSettings] = load_object(BUILTIN_SETTINGS[type_name])
            return model
        point = provider_entry_points().get(type_name)
        if point is None:
            raise KeyError(type_name)
        found = getattr(load_plugin(type_name, point), "settings_model", None)
        if not (isinstance(found, type) and issubclass(found, ProviderSettings)):
            raise ConfigError(
                f"provider type {type_name!r} ({point.value}) has no settings_model "
                "that is a ProviderSettings subclass"
            )
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(sorted({*BUILTIN_SETTINGS, *provider_entry_points()}))

    def __len__(self) -> int:
        return len({*BUILTIN_SETTINGS, *provider_entry_points()})


PROVIDER_SETTINGS: Mapping[str, type[ProviderSettings]] = _ProviderTypes()
"""Provider ``type`` → the model its config entry is validated with."""
