"""Where agentdash keeps its files by default, following the platform's conventions.

On Linux that is XDG: ``$XDG_CONFIG_HOME/agentdash/config.yaml`` and
``$XDG_DATA_HOME/agentdash/agentdash.db``. ``--config`` and ``--db`` override both.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "agentdash"


def default_config_path() -> Path:
    """The config file read when ``--config`` is not given."""
    return platformdirs.user_config_path(APP) / "config.yaml"


def default_database_path() -> Path:
    """The database used when neither ``--db`` nor the config's ``database`` names one."""
    return platformdirs.user_data_path(APP) / "agentdash.db"


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` as 0700 when it does not exist; an existing directory is left alone.

    An existing directory may be shared (``--db /tmp/x.db``), so its mode is not ours to change.
    """
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir(mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask
