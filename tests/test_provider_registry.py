"""Provider types come from the ``agentdash.providers`` entry points, built-in ones included."""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import ClassVar, Literal

import pytest

from agentdash.config import parse_config
from agentdash.engine.pacing import Pacer
from agentdash.errors import ConfigError
from agentdash.providers import registry, settings
from agentdash.providers.base import ENTRY_POINT_GROUP, ProviderContext
from agentdash.providers.settings import BUILTIN_SETTINGS, ProviderSettings, load_object


def test_builtin_types_are_registered_as_entry_points() -> None:
    points = {p.name: p for p in entry_points(group=ENTRY_POINT_GROUP)}
    assert set(BUILTIN_SETTINGS) <= set(points)
    for name, spec in BUILTIN_SETTINGS.items():
        kind = points[name].load()
        assert kind.type_name == name
        assert kind.settings_model is load_object(spec)  # config's light path agrees
        assert registry.BUILTIN_TYPES[name] == points[name].value


def test_an_unknown_type_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config("providers:\n  x: {type: htp}\n", Path("c.yaml"), {})
    message = str(info.value)
    assert "c.yaml:2: providers.x.type: type 'htp'; expected one of: anthropic, command, http" in (
        message
    )
    assert "(did you mean 'http'?)" in message


class EchoSettings(ProviderSettings):
    type: Literal["echo"] = "echo"
    word: str


class EchoProvider:
    type_name: ClassVar[str] = "echo"
    settings_model: ClassVar[type[ProviderSettings]] = EchoSettings

    def __init__(self, name: str, word: str) -> None:
        self.name, self.word, self.can_list = name, word, False

    @classmethod
    def from_settings(
        cls, name: str, settings: ProviderSettings, context: ProviderContext
    ) -> EchoProvider:
        assert isinstance(settings, EchoSettings)
        return cls(name, settings.word)


def test_a_third_party_type_is_validated_and_built(monkeypatch: pytest.MonkeyPatch) -> None:
    point = EntryPoint("echo", f"{__name__}:EchoProvider", ENTRY_POINT_GROUP)
    found = {**settings.provider_entry_points(), "echo": point}
    monkeypatch.setattr(settings, "provider_entry_points", lambda: found)
    monkeypatch.setattr(registry, "provider_entry_points", lambda: found)
    config = parse_config("providers:\n  e: {type: echo, word: hi}\n", Path("c.yaml"), {})
    assert isinstance(config.providers["e"], EchoSettings)
    built = registry.build_provider("e", config.providers["e"], Pacer(60))
    assert isinstance(built, EchoProvider) and built.word == "hi"
    with pytest.raises(ConfigError, match=r"providers\.e\.word: required key is missing"):
        parse_config("providers:\n  e: {type: echo}\n", Path("c.yaml"), {})
