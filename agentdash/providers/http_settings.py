"""Config of ``type: http``: any create-then-poll HTTP agent API, declared instead of coded.

Each remote call is a small section (``create``, ``status``, ``output``, ``cancel``, ``list``)
with a method, a URL template and, where an answer is read, JMESPath expressions saying
where the values are. Everything that can be wrong in config is caught when the file loads,
naming the key: an expression that does not parse, a placeholder that does not exist, a
status map entry that is not one of ours, a map without a way to complete.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, JsonValue, field_validator, model_validator

from agentdash.providers.settings import ProviderSettings, StrictModel
from agentdash.sinks.template import TemplateError, check, strings_in

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
LocalStatus = Literal["running", "completed", "failed", "cancelled", "needs_action"]
"""The job states a remote status may map to."""


def _compiles(expression: str) -> str:
    """Reject what JMESPath cannot parse, with the parser's own one-line reason."""
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        jmespath.compile(expression)
    except JMESPathError as exc:
        reason = str(exc).split(", for expression")[0].replace("\n", " ")
        raise ValueError(f"not a valid JMESPath expression {expression!r}: {reason}") from None
    return expression


JmesPath = Annotated[str, AfterValidator(_compiles)]
"""A JMESPath expression into a JSON answer, checked when the config loads."""


def _check_placeholders(value: Any, known: tuple[str, ...]) -> None:
    for loc, text in strings_in(value):
        try:
            check(text, known, task=False)
        except TemplateError as exc:
            where = f" (at {'.'.join(loc)})" if loc else ""
            raise ValueError(f"{exc}{where}") from None


class Call(StrictModel):
    """One HTTP request: method and URL template (relative ones join onto ``base_url``)."""

    PLACEHOLDERS: ClassVar[tuple[str, ...]] = ("remote_id",)
    method: Method = "GET"
    url: str
    """URL template; placeholder values are percent-encoded."""

    @field_validator("url", "body", check_fields=False)
    @classmethod
    def _placeholders(cls, value: Any) -> Any:
        """URL and body templates (the calls that have a body) name known placeholders."""
        _check_placeholders(value, cls.PLACEHOLDERS)
        return value


class CreateCall(Call):
    """Starts the job; the answer carries the remote id."""

    PLACEHOLDERS: ClassVar[tuple[str, ...]] = ("prompt", "intent_id", "job", "title")
    method: Method = "POST"
    body: JsonValue = None
    """JSON body template; ``{prompt}``, ``{intent_id}``, ``{job}``, ``{title}`` in strings."""
    id: JmesPath = "id"
    """Where the remote id is in the answer."""


class StatusCall(Call):
    """Reads the job's state; ``{remote_id}`` in the URL."""

    value: JmesPath = "status"
    """Where the remote status is in the answer."""
    map: dict[str, LocalStatus]
    """Remote status value → ours; an unmapped value seen at runtime is a poll error."""
    error: JmesPath | None = None
    """Where the reason is when the job failed or waits (optional)."""

    @field_validator("map")
    @classmethod
    def _can_complete(cls, value: dict[str, str]) -> dict[str, str]:
        if "completed" not in value.values():
            raise ValueError("no remote status maps to 'completed', so no job could ever finish")
        return value


class OutputCall(Call):
    """Where the job's text is: in the status answer, or behind a URL of its own."""

    url: str | None = None  # type: ignore[assignment]
    """Where to fetch the output from; unset: read it from the status answer."""
    text: JmesPath
    """Where the text is; a list of strings is joined with blank lines."""


class CancelCall(Call):
    """Stops the job."""

    method: Method = "POST"
    body: JsonValue = None
    """Optional JSON body; ``{remote_id}`` in strings."""


class ListCall(Call):
    """Lists recent jobs, so a create whose answer was lost is found by its intent id."""

    PLACEHOLDERS: ClassVar[tuple[str, ...]] = ("since", "since_epoch")
    items: JmesPath
    """Where the list of jobs is in the answer."""
    id: JmesPath = "id"
    """The remote id, inside one item."""
    created_at: JmesPath = "created_at"
    """Creation time inside one item: ISO 8601 or epoch seconds."""
    intent: JmesPath
    """The intent id inside one item (send it in ``create.body`` with ``{intent_id}``)."""


class UsagePaths(StrictModel):
    """Where token counts are in the status answer."""

    input_tokens: JmesPath | None = None
    output_tokens: JmesPath | None = None


class HttpSettings(ProviderSettings):
    """Any async HTTP agent API: create, then poll a status URL until it reports an end."""

    type: Literal["http"] = "http"
    base_url: str | None = None
    """Joined with relative call URLs; absolute call URLs ignore it."""
    api_key_env: str | None = None
    """Environment variable whose value replaces ``{api_key}`` in ``headers``."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Sent with every call; use ``{api_key}`` (with ``api_key_env``) or ``${VAR}``."""
    max_output: int = Field(default=1_000_000, gt=0)
    """Most characters of output kept per job; the rest is cut with a note."""
    create: CreateCall
    status: StatusCall
    output: OutputCall | None = None
    """Where the text is; unset: jobs end without output text."""
    usage: UsagePaths | None = None
    cancel: CancelCall | None = None
    """Unset: a cancel only stops watching the job, and says so."""
    list: ListCall | None = None
    """Unset: a create whose outcome is unknown waits for a person to check."""

    @field_validator("headers")
    @classmethod
    def _header_placeholders(cls, value: dict[str, str]) -> dict[str, str]:
        _check_placeholders(value, ("api_key",))
        return value

    @model_validator(mode="after")
    def _references(self) -> HttpSettings:
        uses_key = any("{api_key}" in v for v in self.headers.values())
        if uses_key and not self.api_key_env:
            raise ValueError("headers use {api_key}, so api_key_env must name its variable")
        for key, call in self.calls().items():
            relative = call.url is not None and not call.url.startswith(("http://", "https://"))
            if relative and not self.base_url:
                raise ValueError(f"{key}.url {call.url!r} is relative, so set base_url")
        return self

    def calls(self) -> dict[str, Call]:
        """The configured calls by their key."""
        found: dict[str, Call | None] = {"create": self.create, "status": self.status}
        found |= {"output": self.output, "cancel": self.cancel, "list": self.list}
        return {key: call for key, call in found.items() if call is not None}
