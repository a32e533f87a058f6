"""``type: http``: any create-then-poll HTTP agent API, described in config.

Create sends the body template and reads the remote id; each poll reads the status, maps it
to ours, and reads the text (from the status answer or an output URL). Answers are decoded
by content type, so JSON framed as server-sent events works as well as plain JSON. The
request budget, ``retry-after``, back-off and deadlines are the engine's and the pacer's,
exactly as for the Managed Agents provider: this module makes one attempt per call.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx2

from agentdash.errors import (
    AmbiguousCreateError,
    ConfigError,
    RejectedError,
    TransientProviderError,
)
from agentdash.models import JobStatus, Usage
from agentdash.providers import http_values as values
from agentdash.providers.base import CreateRequest, PollResult, ProviderContext, RemoteSession
from agentdash.providers.decode import DecodeError, decode_body
from agentdash.providers.http_calls import (
    Answer,
    HttpCalls,
    create_failure,
    read_failure,
    transport_failure,
)
from agentdash.providers.http_settings import Call, HttpSettings
from agentdash.providers.registry import api_key
from agentdash.providers.settings import ProviderSettings

_CANCEL_DONE = frozenset({404, 409, 410})
"""Answers to a cancel that mean there is nothing left to stop."""


class HttpProvider:
    """A :class:`~agentdash.providers.base.Provider` for one ``type: http`` entry."""

    type_name: ClassVar[str] = "http"
    settings_model: ClassVar[type[ProviderSettings]] = HttpSettings

    @classmethod
    def from_settings(
        cls, name: str, settings: ProviderSettings, context: ProviderContext
    ) -> HttpProvider:
        if not isinstance(settings, HttpSettings):
            raise ConfigError(f"provider {name!r}: expected http settings")
        key = api_key(name, settings.api_key_env, context.env) if settings.api_key_env else None
        return cls(name, settings, HttpCalls(settings, context.http_client(), key))

    def __init__(self, name: str, settings: HttpSettings, calls: HttpCalls) -> None:
        self.name = name
        self.settings = settings
        self.can_list = settings.list is not None
        self._calls = calls

    def __repr__(self) -> str:
        return f"HttpProvider(name={self.name!r}, base_url={self.settings.base_url!r})"

    async def aclose(self) -> None:
        await self._calls.aclose()

    async def create(self, request: CreateRequest) -> str:
        call = self.settings.create
        filled = {
            "prompt": request.prompt,
            "intent_id": request.intent_id,
            "job": request.job_name,
            "title": request.title,
        }
        try:
            answer = await self._calls.send(call, filled, call.body)
        except (httpx2.ConnectError, httpx2.ConnectTimeout) as exc:  # never reached the API
            raise TransientProviderError(f"create: {transport_failure(exc)}") from None
        except httpx2.InvalidURL as exc:
            raise RejectedError(f"create: {transport_failure(exc)}") from None
        except (httpx2.HTTPError, DecodeError) as exc:
            raise AmbiguousCreateError(f"create: {transport_failure(exc)}") from None
        if not answer.ok:
            raise create_failure(answer)
        return _remote_id(call.id, answer)

    async def poll(
        self, remote_id: str, cursor: Mapping[str, Any], *, fetch_output: bool = False
    ) -> PollResult:
        document = await self._read("status", self.settings.status, {"remote_id": remote_id})
        remote, state = self._status_of(document)
        text = await self._text(document, remote_id, state, fetch_output)
        message, text_cursor = values.new_text(text, cursor)
        return PollResult(
            status=state,
            cursor={"remote_status": remote, **text_cursor},
            changed=remote != cursor.get("remote_status") or message is not None,
            new_messages=(message,) if message else (),
            error=self._error(document, state, remote),
            usage=self._usage(document),
            remote_status=remote,
            output=text if message is not None else None,  # unchanged text is stored already
        )

    async def cancel(self, remote_id: str) -> None:
        call = self.settings.cancel
        if call is None:
            raise RejectedError(
                f"providers.{self.name}.cancel is not configured; the remote job may keep running"
            )
        try:
            answer = await self._calls.send(call, {"remote_id": remote_id}, call.body)
        except (httpx2.HTTPError, httpx2.InvalidURL, DecodeError) as exc:
            raise TransientProviderError(f"cancel: {transport_failure(exc)}") from None
        if not answer.ok and answer.status not in _CANCEL_DONE:
            raise read_failure(answer)

    async def archive(self, remote_id: str) -> None:
        """Nothing to put away: an HTTP job has no archive in this model."""

    async def list_sessions(self, since: datetime) -> list[RemoteSession]:
        call = self.settings.list
        if call is None:
            return []
        moment = {
            "since": since.astimezone(UTC).isoformat(),
            "since_epoch": str(int(since.timestamp())),
        }
        items = values.search(call.items, await self._read("list", call, moment))
        if not isinstance(items, list):
            raise TransientProviderError(f"list: malformed answer: no list at {call.items!r}")
        found = []
        for item in items:
            remote_id = values.scalar(values.search(call.id, item))
            if remote_id:
                created = values.moment(values.search(call.created_at, item))
                intent = values.scalar(values.search(call.intent, item))
                found.append(RemoteSession(remote_id, created or since, intent))
        return found

    async def _read(self, key: str, call: Call, filled: Mapping[str, str]) -> Any:
        """One read call's decoded answer; every failure but a final one is transient."""
        try:
            answer = await self._calls.send(call, filled)
        except (httpx2.HTTPError, httpx2.InvalidURL) as exc:
            raise TransientProviderError(f"{key}: {transport_failure(exc)}") from None
        except DecodeError as exc:
            raise TransientProviderError(f"{key}: malformed answer: {exc}") from None
        if not answer.ok:
            failure = read_failure(answer)
            raise type(failure)(f"{key}: {failure}", retry_after=failure.retry_after)
        try:
            return decode_body(answer.content_type, answer.body)
        except DecodeError as exc:
            raise TransientProviderError(f"{key}: malformed answer: {exc}") from None

    def _status_of(self, document: Any) -> tuple[str, JobStatus]:
        """The remote status and ours; one the map does not know is worth another poll."""
        status = self.settings.status
        remote = values.scalar(values.search(status.value, document))
        if remote is None:
            raise TransientProviderError(f"status: malformed answer: no status at {status.value!r}")
        local = status.map.get(remote)
        if local is None:
            raise TransientProviderError(
                f"status: remote status {remote!r} is not in providers.{self.name}.status.map "
                f"(mapped: {', '.join(sorted(status.map))})"
            )
        return remote, JobStatus(local)

    async def _text(
        self, document: Any, remote_id: str, state: JobStatus, fetch_output: bool
    ) -> str | None:
        """The job's text so far; a separate output URL is only read when it is worth it."""
        output = self.settings.output
        if output is None:
            return None
        if output.url is not None:
            if not (state.is_terminal or fetch_output):
                return None
            document = await self._read("output", output, {"remote_id": remote_id})
        text = values.joined_text(values.search(output.text, document))
        return None if text is None else values.capped(text, self.settings.max_output)

    def _error(self, document: Any, state: JobStatus, remote: str) -> str | None:
        if state in (JobStatus.RUNNING, JobStatus.COMPLETED):
            return None
        path = self.settings.status.error
        reason = values.described(values.search(path, document)) if path else None
        return reason or f"the remote job is {remote!r}"

    def _usage(self, document: Any) -> Usage | None:
        paths = self.settings.usage
        if paths is None:
            return None
        tokens_in = _count(paths.input_tokens, document)
        tokens_out = _count(paths.output_tokens, document)
        if tokens_in is None and tokens_out is None:
            return None
        return Usage(input_tokens=tokens_in, output_tokens=tokens_out)


def _remote_id(path: str, answer: Answer) -> str:
    """The id in a successful create answer; without one the job may still exist."""
    try:
        remote_id = values.scalar(
            values.search(path, decode_body(answer.content_type, answer.body))
        )
    except DecodeError as exc:
        raise AmbiguousCreateError(f"create: malformed answer: {exc}") from None
    if not remote_id:
        raise AmbiguousCreateError(f"create: the answer has no id at {path!r}")
    return remote_id


def _count(path: str | None, document: Any) -> int | None:
    return values.as_int(values.search(path, document)) if path else None
