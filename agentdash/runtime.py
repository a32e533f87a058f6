"""The composition root's helpers: config and database resolution, providers, the engine.

Every command builds what it needs through here, so the CLI, the daemon and the dashboard
resolve paths and construct providers the same way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from agentdash.config import Config, load_config
from agentdash.engine.pacing import Pacer
from agentdash.errors import ConfigError
from agentdash.paths import default_config_path, default_database_path
from agentdash.providers.base import Provider


@dataclass(frozen=True)
class Settings:
    """The resolved config and database location of one invocation."""

    config: Config
    config_path: Path | None
    database: Path


def resolve(config_path: Path | None, db_path: Path | None) -> Settings:
    """Load the config (``--config``, else the default file if present) and pick the database.

    Raises:
        ConfigError: an explicit ``--config`` that is missing, or any invalid config.
    """
    path = config_path
    if path is None and default_config_path().exists():
        path = default_config_path()
    config = load_config(path.expanduser()) if path is not None else Config()
    database = db_path or config.database or default_database_path()
    return Settings(config, path, Path(os.path.expanduser(database)))


@dataclass
class ProviderSet:
    """The providers built from config, and the ones that could not be built, with why."""

    providers: dict[str, Provider] = field(default_factory=dict)
    pacers: dict[str, Pacer] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    async def aclose(self) -> None:
        for provider in self.providers.values():
            await provider.aclose()


def build_providers(config: Config, env: Mapping[str, str] | None = None) -> ProviderSet:
    """Build every configured provider; one that fails is recorded, not fatal."""
    from agentdash.providers.registry import build_provider

    built = ProviderSet()
    for name, settings in config.providers.items():
        pacer = Pacer(settings.requests_per_minute, burst=settings.max_concurrency)
        try:
            built.providers[name] = build_provider(name, settings, pacer, env)
            built.pacers[name] = pacer
        except ConfigError as exc:
            built.errors[name] = str(exc)
    return built
