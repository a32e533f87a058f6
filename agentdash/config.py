"""Load and validate ``config.yaml``: pydantic models, ``${VAR}`` interpolation, clear errors.

A config error is one paragraph that names the file, the line, the key path and what was
expected, with a "did you mean" hint for misspelt keys. It is never a traceback.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from agentdash.errors import ConfigError
from agentdash.providers.settings import (
    PROVIDER_SETTINGS,
    Duration,
    ProviderSettings,
    StrictModel,
)
from agentdash.scheduler.cron import CronError, validate
from agentdash.sinks.settings import SINK_SETTINGS, SinkSettings
from agentdash.sinks.template import TemplateError, check
from agentdash.tasks.settings import TASK_SOURCE_SETTINGS, TaskSourceSettings


class PollConfig(StrictModel):
    """How often active jobs are polled."""

    interval: Duration = 15.0
    """First interval after a change; doubles while nothing changes."""
    max_interval: Duration = 120.0
    """The cap the interval doubles up to."""
    jitter: float = Field(default=0.2, ge=0, le=0.5)
    """Each interval is spread by ± this fraction so polls never bunch up."""
    max_backoff: Duration = 300.0
    """Cap of the back-off after failed polls."""

    @model_validator(mode="after")
    def _interval_below_cap(self) -> PollConfig:
        if self.max_interval < self.interval:
            raise ValueError("max_interval must be at least interval")
        return self


class EngineConfig(StrictModel):
    """The engine's ownership lease and reconciliation."""

    lease_ttl: Duration = 30.0
    """How long the owner's lease lasts without renewal before a follower may take over."""
    clock_skew: Duration = 60.0
    """Allowance for clock differences when matching remote sessions to dispatch intents."""
    max_dispatch_attempts: int = Field(default=3, ge=1)
    """Create attempts for one job (after reconciliation) before it is failed."""


class JobConfig(StrictModel):
    """A job template: which provider runs it, with which agent and prompt."""

    provider: str
    """Name of an entry under ``providers:``."""
    prompt: str = ""
    """The prompt sent as the first user message; ``--prompt`` overrides it."""
    agent: str | None = None
    """Managed Agents agent id (``agent_…``)."""
    environment: str | None = None
    """Managed Agents environment id (``env_…``)."""
    title: str | None = None
    """Title of the remote session; defaults to the job name and id."""
    metadata: dict[str, str] = Field(default_factory=dict)
    """Extra metadata pairs for the remote session."""
    sinks: list[str] = Field(default_factory=list)
    """Names of entries under ``sinks:`` that receive the job's result when it ends."""


class ScheduleConfig(StrictModel):
    """A cron schedule that dispatches a job template."""

    job: str
    """Name of an entry under ``jobs:``."""
    cron: str
    """Five-field cron expression, e.g. ``0 9 * * 1-5``."""
    timezone: str | None = None
    """IANA zone the cron expression is read in; default: the local zone."""
    misfire: Literal["skip", "latest", "all"] = "latest"
    """What to do with fires missed while agentdash was down."""
    catchup_window: Duration = 3600.0
    """How far back missed fires are still run."""
    max_catchup: int = Field(default=10, ge=1)
    """With ``misfire: all``, the most missed fires run at once."""
    overlap: Literal["skip", "queue", "allow", "cancel_previous"] = "skip"
    """What to do when a fire comes while the previous run is still active."""
    enabled: bool = True
    """A disabled schedule never fires and counts no missed runs."""
    prompt: str | None = None
    """Overrides the job's prompt; may use ``{date}``, ``{now}`` and ``{schedule}``."""

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        try:
            validate(value)
        except CronError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"unknown time zone {value!r}; use an IANA name like 'Europe/Berlin'"
                ) from None
        return value


class Config(StrictModel):
    """The whole config file."""

    database: Path | None = None
    """SQLite database path; default: the platform's data directory."""
    poll: PollConfig = PollConfig()
    engine: EngineConfig = EngineConfig()
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)
    jobs: dict[str, JobConfig] = Field(default_factory=dict)
    schedules: dict[str, ScheduleConfig] = Field(default_factory=dict)
    sinks: dict[str, SinkSettings] = Field(default_factory=dict)
    """Where job results go; jobs name them in their ``sinks`` list."""
    task_sources: dict[str, TaskSourceSettings] = Field(default_factory=dict)
    """Task queues whose pending tasks are claimed and run as jobs."""


_TYPED_SECTIONS: dict[str, Mapping[str, type[StrictModel]]] = {
    "providers": PROVIDER_SETTINGS,
    "sinks": SINK_SETTINGS,
    "task_sources": TASK_SOURCE_SETTINGS,
}
"""Sections whose entries are validated by the model registered for their ``type``."""
_ENTRY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
"""Sink and task source names: they end up in origins like ``task:SOURCE:ID``."""


def _check_references(config: Config) -> None:
    """Every name that points at another entry must find it."""
    for name, job in config.jobs.items():
        if job.provider not in config.providers:
            raise _RefError(("jobs", name, "provider"), job.provider, config.providers)
        for index, sink in enumerate(job.sinks):
            if sink not in config.sinks:
                raise _RefError(("jobs", name, "sinks", str(index)), sink, config.sinks)
    for name, sched in config.schedules.items():
        if sched.job not in config.jobs:
            raise _RefError(("schedules", name, "job"), sched.job, config.jobs)
    for name, source in config.task_sources.items():
        if source.job not in config.jobs:
            raise _RefError(("task_sources", name, "job"), source.job, config.jobs)
    for section in ("sinks", "task_sources"):
        for name in getattr(config, section):
            if not _ENTRY_NAME.fullmatch(name):
                raise _LocatedError((section, name), "use letters, digits, '_', '-' or '.'")


def _check_templates(config: Config) -> None:
    """Sink templates and the prompts of task jobs may only use placeholders that exist."""
    for name, sink in config.sinks.items():
        for loc, text in sink.templates():
            try:
                check(text)
            except TemplateError as exc:
                raise _LocatedError(("sinks", name, *loc), str(exc)) from None
    for source in config.task_sources.values():
        try:
            check(config.jobs[source.job].prompt, known=())
        except TemplateError as exc:
            raise _LocatedError(("jobs", source.job, "prompt"), str(exc)) from None


class _LocatedError(ValueError):
    """A problem found after model validation; carries its key path for the error message."""

    def __init__(self, loc: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


class _RefError(_LocatedError):
    """A name that points at no entry."""

    def __init__(self, loc: tuple[str, ...], name: str, known: Mapping[str, object]) -> None:
        hint = _did_you_mean(name, list(known))
        options = ", ".join(sorted(known)) or "none are defined"
        super().__init__(loc, f"{name!r} is not defined (known: {options}){hint}")


_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def interpolate(value: Any, env: Mapping[str, str], loc: tuple[str | int, ...] = ()) -> Any:
    """Replace ``${VAR}`` and ``${VAR:-default}`` in every string; ``$$`` is a literal ``$``."""
    if isinstance(value, dict):
        return {k: interpolate(v, env, (*loc, str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env, (*loc, i)) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise _InterpolationError(loc, name)

    return _VAR.sub(substitute, value)


class _InterpolationError(Exception):
    def __init__(self, loc: tuple[str | int, ...], name: str) -> None:
        super().__init__(name)
        self.loc = loc
        self.name = name


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read, interpolate and validate one config file.

    Raises:
        ConfigError: one paragraph naming the file, line, key path and the fix.
    """
    env = os.environ if env is None else env
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from None
    return parse_config(text, path, env)


def parse_config(text: str, path: Path, env: Mapping[str, str]) -> Config:
    """Validate config text; ``path`` is only used to name the file in errors."""
    try:
        raw = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}{where}: not valid YAML: {problem}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys, not {_kind(raw)}")
    try:
        raw = interpolate(raw, env)
    except _InterpolationError as exc:
        raise ConfigError(
            f"{_where(path, root, exc.loc)}: environment variable {exc.name} is not set "
            f"(set it, or write ${{{exc.name}:-default}} to give a default)"
        ) from None
    return _validate(raw, path, root)


def _validate(raw: dict[str, Any], path: Path, root: yaml.Node | None) -> Config:
    typed = {
        section: _validate_section(section, registry, raw.get(section), path, root)
        for section, registry in _TYPED_SECTIONS.items()
    }
    try:
        config = Config.model_validate({**raw, **typed})
        _check_references(config)
        _check_templates(config)
    except ValidationError as exc:
        raise _config_error(exc, path, root, Config, ()) from None
    except _LocatedError as exc:
        raise ConfigError(f"{_where(path, root, exc.loc)}: {exc}") from None
    return config


def _validate_section(
    section: str,
    registry: Mapping[str, type[StrictModel]],
    entries: Any,
    path: Path,
    root: yaml.Node | None,
) -> dict[str, StrictModel]:
    if entries is None:
        return {}
    if not isinstance(entries, dict):
        raise ConfigError(f"{_where(path, root, (section,))}: expected a mapping of names")
    return {
        str(name): _validate_typed(registry, (section, str(name)), entry, path, root)
        for name, entry in entries.items()
    }


def _validate_typed(
    registry: Mapping[str, type[StrictModel]],
    loc: tuple[str, str],
    entry: Any,
    path: Path,
    root: yaml.Node | None,
) -> StrictModel:
    if not isinstance(entry, dict):
        raise ConfigError(f"{_where(path, root, loc)}: expected a mapping with a 'type' key")
    kind = entry.get("type")
    model = registry.get(str(kind)) if kind is not None else None
    if model is None:
        known = sorted(registry)
        hint = _did_you_mean(str(kind), known) if kind is not None else ""
        got = "no type" if kind is None else f"type {kind!r}"
        raise ConfigError(
            f"{_where(path, root, (*loc, 'type'))}: {got}; expected one of: "
            f"{', '.join(known)}{hint}"
        )
    try:
        return model.model_validate(entry)
    except ValidationError as exc:
        raise _config_error(exc, path, root, model, loc) from None


def _config_error(
    exc: ValidationError,
    path: Path,
    root: yaml.Node | None,
    model: type[BaseModel],
    prefix: tuple[str, ...],
) -> ConfigError:
    lines = []
    for err in exc.errors()[:5]:
        loc = (*prefix, *(str(p) for p in err["loc"]))
        if err["type"] == "extra_forbidden":
            known = _fields_at(model, tuple(str(p) for p in err["loc"][:-1]))
            msg = f"unknown key{_did_you_mean(loc[-1], known)}"
        elif err["type"] == "missing":
            msg = "required key is missing"
        else:
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] not in {"value_error", "assertion_error"}:
                msg += f" (got {err['input']!r})"
        lines.append(f"{_where(path, root, loc)}: {msg}")
    more = len(exc.errors()) - len(lines)
    if more > 0:
        lines.append(f"... and {more} more")
    return ConfigError("\n".join(lines))


def _fields_at(model: type[BaseModel], loc: tuple[str, ...]) -> list[str]:
    """Names of the keys allowed at ``loc`` inside ``model``, for "did you mean" hints."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                return []
            current = field.annotation
        else:
            args = getattr(current, "__args__", ())
            current = args[-1] if args else None
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    args = getattr(current, "__args__", ())
    for arg in args:
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return list(arg.model_fields)
    return []


def _did_you_mean(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _where(path: Path, root: yaml.Node | None, loc: tuple[str | int, ...]) -> str:
    """``file:line: key.path`` for an error, the line taken from the YAML node at ``loc``."""
    keys = ".".join(str(p) for p in loc)
    line = _line_of(root, loc)
    return f"{path}:{line}: {keys}" if line else f"{path}: {keys}"


def _line_of(node: yaml.Node | None, loc: tuple[str | int, ...]) -> int | None:
    best = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((kv for kv in node.value if kv[0].value == str(part)), None)
            if match is None:
                break
            best = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int | str):
            index = int(part) if str(part).isdigit() else -1
            if not 0 <= index < len(node.value):
                break
            node = node.value[index]
            best = node.start_mark.line + 1
        else:
            break
    return best


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    return "a string" if isinstance(value, str) else type(value).__name__


def zone_of(schedule: ScheduleConfig) -> ZoneInfo:
    """The schedule's zone, or the machine's local zone when the config names none."""
    if schedule.timezone:
        return ZoneInfo(schedule.timezone)
    return local_zone()


def local_zone() -> ZoneInfo:
    """The machine's IANA zone from ``$TZ`` or ``/etc/localtime``, UTC when unknown."""
    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        try:
            target = os.readlink("/etc/localtime")
            name = target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""
        except OSError:
            name = ""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
