"""``agentdash check-config``: validate the config and say what would not work.

Loading the file already checks every key; this also builds every provider, so a missing
API key variable or an unusable command is reported now rather than at the first dispatch.
"""

from __future__ import annotations

from agentdash.errors import ConfigError
from agentdash.runtime import Settings, build_providers


async def check_config_command(settings: Settings) -> int:
    config = settings.config
    providers = build_providers(config)
    await providers.aclose()
    where = settings.config_path or "(no config file; built-in defaults)"
    if providers.errors:
        raise ConfigError(f"{where}: " + "; ".join(providers.errors.values()))
    print(
        f"{where}: ok ({len(config.providers)} providers, {len(config.jobs)} jobs, "
        f"{len(config.schedules)} schedules, {len(config.sinks)} sinks, "
        f"{len(config.task_sources)} task sources); database {settings.database}"
    )
    return 0
