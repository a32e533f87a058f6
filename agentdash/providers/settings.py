"""Config models of the built-in provider types, kept apart from their (heavier) clients.

``config.py`` validates each ``providers:`` entry with the model registered here for its
``type``, so loading a config never imports an HTTP SDK.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from agentdash.durations import parse_duration

Duration = Annotated[float, BeforeValidator(parse_duration)]
"""Seconds, written in config as ``15s``, ``2m``, ``1h`` or a number."""


class StrictModel(BaseModel):
    """Unknown keys are errors, values are frozen once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


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


PROVIDER_SETTINGS: dict[str, type[ProviderSettings]] = {"anthropic": AnthropicSettings}
"""Provider ``type`` → the model its config entry is validated with."""
