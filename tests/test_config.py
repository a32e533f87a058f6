"""Config loading: one YAML document per failure mode, and the messages people will read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agentdash.config import Config, load_config, parse_config
from agentdash.errors import ConfigError

GOOD = """
poll:
  interval: 10s
  max_interval: 2m
providers:
  anthropic:
    type: anthropic
    api_key_env: MY_KEY
    base_url: ${BASE_URL:-https://api.anthropic.com}
jobs:
  reviewer:
    provider: anthropic
    agent: agent_1
    environment: env_1
    prompt: Review ${REPO}
schedules:
  daily:
    job: reviewer
    cron: "0 9 * * *"
    timezone: Europe/Berlin
"""


def parse(text: str, **env: str) -> Config:
    return parse_config(text, Path("cfg.yaml"), env)


def error_of(text: str, **env: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse(text, **env)
    return str(info.value)


def test_good_config_loads_with_durations_and_interpolation() -> None:
    config = parse_config(GOOD, Path("cfg.yaml"), {"REPO": "agentdash"})
    assert config.poll.interval == 10.0
    assert config.poll.max_interval == 120.0
    assert config.jobs["reviewer"].prompt == "Review agentdash"
    assert config.providers["anthropic"].type == "anthropic"
    assert config.providers["anthropic"].base_url == "https://api.anthropic.com"
    assert config.schedules["daily"].misfire == "latest"
    assert config.schedules["daily"].catchup_window == 3600.0


def test_example_config_is_valid() -> None:
    root = Path(__file__).resolve().parent.parent
    config = load_config(root / "config.example.yaml", env={})
    assert config.jobs and config.providers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "providers:\n  a:\n    type: anthropic\n    bse_url: x\n",
            ["cfg.yaml:4: providers.a.bse_url", "unknown key", "did you mean 'base_url'"],
            id="unknown-key-did-you-mean",
        ),
        pytest.param(
            "poll:\n  intervall: 5s\n",
            ["poll.intervall", "did you mean 'interval'"],
            id="unknown-nested-key",
        ),
        pytest.param(
            "pol:\n  interval: 5s\n",
            ["cfg.yaml:1: pol", "did you mean 'poll'"],
            id="unknown-top-key",
        ),
        pytest.param(
            "providers:\n  a:\n    type: openia\n",
            ["providers.a.type", "type 'openia'", "expected one of: anthropic"],
            id="bad-provider-type",
        ),
        pytest.param(
            "poll:\n  interval: 5 parsecs\n",
            ["cfg.yaml:2: poll.interval", "expected a duration like '15s'"],
            id="bad-duration",
        ),
        pytest.param(
            "providers:\n  a:\n    type: anthropic\n    base_url: ${NOPE}\n",
            ["cfg.yaml:4: providers.a.base_url", "NOPE is not set"],
            id="missing-env-var",
        ),
        pytest.param(
            "providers:\n  a: {type: anthropic}\njobs:\n  j: {provider: b}\n",
            ["jobs.j.provider", "'b' is not defined", "known: a"],
            id="job-names-missing-provider",
        ),
        pytest.param(
            "jobs:\n  j: {prompt: hi}\n",
            ["jobs.j.provider", "required key is missing"],
            id="missing-required",
        ),
        pytest.param("poll: [1, 2\n", ["cfg.yaml", "not valid YAML"], id="bad-yaml"),
        pytest.param("- a\n- b\n", ["top level must be a mapping", "a list"], id="top-list"),
        pytest.param(
            "poll:\n  interval: 5m\n  max_interval: 1m\n",
            ["max_interval must be at least interval"],
            id="cap-below-interval",
        ),
    ],
)
def test_bad_config_names_file_key_and_fix(text: str, expected: list[str]) -> None:
    message = error_of(text)
    for part in expected:
        assert part in message, message
    assert "Traceback" not in message


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.yaml")


def test_dollar_dollar_is_a_literal_dollar() -> None:
    config = parse_config(
        "providers:\n  a: {type: anthropic}\njobs:\n  j: {provider: a, prompt: 'cost $$5'}\n",
        Path("c.yaml"),
        {},
    )
    assert config.jobs["j"].prompt == "cost $5"


def test_check_config_cli_reports_bad_key_in_one_paragraph(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("providers:\n  a:\n    type: anthropic\n    timout: 5s\n")
    proc = subprocess.run(
        [sys.executable, "-m", "agentdash", "--config", str(cfg), "check-config"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "providers.a.timout" in proc.stderr and "did you mean 'timeout'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") <= 2
