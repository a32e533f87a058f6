"""``agentdash check-config``: validate the config and say what would not work."""

from __future__ import annotations

import os

from agentdash.errors import ConfigError
from agentdash.providers.settings import AnthropicSettings
from agentdash.runtime import Settings


def check_config_command(settings: Settings) -> int:
    """Loading already validated the file; here the environment it needs is checked too."""
    config = settings.config
    problems = [
        f"providers.{name}.api_key_env: environment variable {p.api_key_env} is not set"
        for name, p in config.providers.items()
        if isinstance(p, AnthropicSettings) and not os.environ.get(p.api_key_env)
    ]
    where = settings.config_path or "(no config file; built-in defaults)"
    if problems:
        raise ConfigError(f"{where}: " + "; ".join(problems))
    print(
        f"{where}: ok ({len(config.providers)} providers, {len(config.jobs)} jobs, "
        f"{len(config.schedules)} schedules); database {settings.database}"
    )
    return 0
