"""Shared fixtures: every test runs with HOME and the XDG dirs inside its tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

SENTINEL_KEY = "sk-ant-SENTINEL-9f8e7d6c5b4a"
"""An API key no real system uses, so a test can grep for it anywhere."""


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    for var in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_LOG"):
        monkeypatch.delenv(var, raising=False)
    yield home


@pytest.fixture
def fake_server() -> Iterator[str]:
    """The fake Managed Agents server in its own process; its URL."""
    from .processes import fake_server_process  # it imports this module's key

    with fake_server_process() as url:
        yield url
