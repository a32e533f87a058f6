"""Claude Managed Agents sessions through the official ``anthropic`` SDK.

One session per job: created with the job's agent, environment, title, the intent id in
``metadata``, and the prompt as the initial ``user.message``. The SDK's own retries are off
(``max_retries=0``): a retried create could start a second session, and the engine's poll
loop already retries reads with back-off inside the provider's request budget.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import anthropic
import httpx2

from agentdash.errors import (
    AmbiguousCreateError,
    ConfigError,
    ProviderError,
    RejectedError,
    TransientProviderError,
)
from agentdash.models import JobStatus, Usage
from agentdash.providers.anthropic_events import (
    EVENT_TYPES,
    TurnState,
    apply_events,
    on_terminated,
)
from agentdash.providers.base import CreateRequest, PollResult, ProviderContext, RemoteSession
from agentdash.providers.http_errors import excerpt, retry_after_seconds
from agentdash.providers.http_values import as_int
from agentdash.providers.settings import AnthropicSettings, ProviderSettings

INTENT_KEY = "agentdash_intent"
"""The session metadata key that carries a job's intent id."""
_RETRYABLE_STATUS = {408, 409, 429}
SESSION_CHECK_EVERY = 4
"""Quiet polls (no new event) in a row before a poll also reads the session object."""


class AnthropicProvider:
    """A :class:`~agentdash.providers.base.Provider` for Managed Agents sessions."""

    can_list = True
    type_name: ClassVar[str] = "anthropic"
    settings_model: ClassVar[type[ProviderSettings]] = AnthropicSettings

    @classmethod
    def from_settings(
        cls, name: str, settings: ProviderSettings, context: ProviderContext
    ) -> AnthropicProvider:
        """The provider for one ``providers:`` entry (the ``agentdash.providers`` entry point)."""
        from agentdash.providers.registry import api_key

        if not isinstance(settings, AnthropicSettings):
            raise ConfigError(f"provider {name!r}: expected anthropic settings")
        key = api_key(name, settings.api_key_env, context.env)
        return cls(name, settings, key, context.http_client())

    def __init__(
        self,
        name: str,
        settings: AnthropicSettings,
        api_key: str,
        http_client: httpx2.AsyncClient,
    ) -> None:
        self.name = name
        self.settings = settings
        self._http = http_client
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key,
            base_url=settings.base_url,
            max_retries=0,
            timeout=settings.timeout,
            http_client=self._http,
        )
        self._sessions = self._client.beta.sessions
        self._polled_here: set[str] = set()
        """Sessions this process has polled; see :meth:`_wants_session`."""

    def __repr__(self) -> str:
        return f"AnthropicProvider(name={self.name!r}, base_url={self.settings.base_url!r})"

    async def aclose(self) -> None:
        await self._client.close()

    async def create(self, request: CreateRequest) -> str:
        params = dict(request.params)
        agent, environment = params.get("agent"), params.get("environment")
        if not agent or not environment:
            raise RejectedError(f"job {request.job_name!r} needs 'agent' and 'environment' set")
        metadata = {str(k): str(v) for k, v in (params.get("metadata") or {}).items()}
        metadata[INTENT_KEY] = request.intent_id
        metadata.setdefault("agentdash_job", request.job_name)
        try:
            session = await self._sessions.create(
                agent=str(agent),
                environment_id=str(environment),
                title=request.title,
                metadata=metadata,
                initial_events=[
                    {"type": "user.message", "content": [{"type": "text", "text": request.prompt}]}
                ],
            )
        except anthropic.APIStatusError as exc:
            if exc.status_code in _RETRYABLE_STATUS:
                raise TransientProviderError(
                    _describe(exc), retry_after=_retry_after(exc)
                ) from None
            if exc.status_code < 500:
                raise RejectedError(_describe(exc)) from None
            raise AmbiguousCreateError(_describe(exc)) from None
        except (anthropic.APIError, ValueError) as exc:
            raise AmbiguousCreateError(_describe(exc)) from None
        session_id = getattr(session, "id", None)
        if not isinstance(session_id, str) or not session_id:
            raise AmbiguousCreateError("the create answer carried no session id")
        return session_id

    async def poll(
        self, remote_id: str, cursor: Mapping[str, Any], *, fetch_output: bool = False
    ) -> PollResult:
        """One request per poll in the common case: the event list tells status and text.

        The session object is read too (see :meth:`_wants_session`) only when the events
        cannot be the whole story.
        """
        state = TurnState.from_cursor(cursor)
        resumed = state.anchored and remote_id not in self._polled_here
        before = state.activity
        try:
            texts = apply_events(state, await self._events_since(remote_id, state.since))
        except anthropic.NotFoundError:
            raise RejectedError(f"session {remote_id} no longer exists") from None
        except (anthropic.APIError, ValueError) as exc:
            raise _read_error(exc) from None
        changed = state.activity != before
        state.quiet_polls = 0 if changed else state.quiet_polls + 1
        if self._wants_session(state, changed=changed, resumed=resumed):
            changed = await self._check_session(remote_id, state) or changed
        self._polled_here.add(remote_id)
        if state.status.is_terminal:
            self._polled_here.discard(remote_id)
        return PollResult(
            status=state.status,
            cursor=state.to_cursor(),
            changed=changed,
            new_messages=tuple(texts),
            error=state.error,
            usage=_usage(state.usage) if state.usage is not None else None,
            remote_status=state.remote_status,
        )

    @staticmethod
    def _wants_session(state: TurnState, *, changed: bool, resumed: bool) -> bool:
        """Whether this poll also reads the session object, and why.

        - ``resumed``: this process's first poll of a job polled before (by an earlier
          process): while agentdash was down the session may have ended in a way no event
          tells (and the scheduler's overlap rule waits for this poll to judge a run that a
          restart left looking active).
        - A turn that has just settled while the usage seen may miss its last tokens.
        - :data:`SESSION_CHECK_EVERY` quiet polls in a row, as a check.
        """
        settled_now = changed and state.status is not JobStatus.RUNNING
        return (
            resumed
            or (settled_now and state.usage_behind)
            or state.quiet_polls >= SESSION_CHECK_EVERY
        )

    async def _check_session(self, remote_id: str, state: TurnState) -> bool:
        """Fold the session object into ``state``; True if it ended the job.

        When the events have settled the turn already, the read is only for usage: a
        failure then costs the usage, never the known outcome.
        """
        state.quiet_polls = 0
        try:
            session = await self._json(self._sessions.with_raw_response.retrieve(remote_id))
            if not session.get("id"):
                raise ValueError("the session answer carried no id")
        except anthropic.NotFoundError:
            if state.status is not JobStatus.RUNNING:
                return False
            raise RejectedError(f"session {remote_id} no longer exists") from None
        except (anthropic.APIError, ValueError) as exc:
            if state.status is not JobStatus.RUNNING:
                return False
            raise _read_error(exc) from None
        state.remote_status = str(session.get("status") or "") or state.remote_status
        usage = _session_usage(session)
        if usage is not None:
            state.usage, state.usage_behind = usage, False
        if state.remote_status == "terminated" and not state.status.is_terminal:
            on_terminated(state)
            return True
        return False

    async def _events_since(self, remote_id: str, since: str | None) -> list[dict[str, Any]]:
        """Every new event, following ``next_page``; plain JSON, since a poll needs no models."""
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"order": "asc", "types": list(EVENT_TYPES), "limit": 100}
        if since:
            kwargs["created_at_gte"] = since
        while True:
            page = await self._json(
                self._sessions.events.with_raw_response.list(remote_id, **kwargs)
            )
            events += [e for e in page.get("data") or [] if isinstance(e, dict)]
            next_page = page.get("next_page")
            if not next_page:
                return events
            kwargs["page"] = next_page

    @staticmethod
    async def _json(call: Awaitable[Any]) -> dict[str, Any]:
        """The JSON object of a raw SDK response (polls skip building pydantic models)."""
        response = await call
        body = await response.json()
        if not isinstance(body, dict):
            raise ValueError(f"expected a JSON object, got {type(body).__name__}")
        return body

    async def cancel(self, remote_id: str) -> None:
        try:
            await self._sessions.events.send(remote_id, events=[{"type": "user.interrupt"}])
        except anthropic.ConflictError:
            pass  # archived already: nothing left to stop
        except (anthropic.APIError, ValueError) as exc:
            raise _read_error(exc) from None
        await self.archive(remote_id)

    async def archive(self, remote_id: str) -> None:
        try:
            await self._sessions.archive(remote_id)
        except (anthropic.ConflictError, anthropic.NotFoundError):
            pass
        except (anthropic.APIError, ValueError) as exc:
            raise _read_error(exc) from None

    async def list_sessions(self, since: datetime) -> list[RemoteSession]:
        found: list[RemoteSession] = []
        try:
            async for session in self._sessions.list(
                created_at_gte=since.astimezone(UTC).isoformat(),
                include_archived=True,
                order="asc",
                limit=100,
            ):
                metadata = getattr(session, "metadata", None) or {}
                created = getattr(session, "created_at", None)
                found.append(
                    RemoteSession(
                        remote_id=str(session.id),
                        created_at=created if isinstance(created, datetime) else since,
                        intent_id=metadata.get(INTENT_KEY),
                        archived=getattr(session, "archived_at", None) is not None,
                    )
                )
        except (anthropic.APIError, ValueError) as exc:
            raise _read_error(exc) from None
        return found


def _session_usage(session: Mapping[str, Any]) -> dict[str, Any] | None:
    """The session's ``usage`` with ``stats.active_seconds`` folded in (one snapshot)."""
    usage, stats = session.get("usage"), session.get("stats")
    if not isinstance(usage, dict) and not isinstance(stats, dict):
        return None
    merged = dict(usage) if isinstance(usage, dict) else {}
    if isinstance(stats, dict) and merged.get("active_seconds") is None:
        merged["active_seconds"] = stats.get("active_seconds")
    return merged


def _usage(usage: Mapping[str, Any]) -> Usage:
    active = usage.get("active_seconds")
    return Usage(
        input_tokens=as_int(usage.get("input_tokens")),
        output_tokens=as_int(usage.get("output_tokens")),
        cache_read_tokens=as_int(usage.get("cache_read_input_tokens")),
        active_seconds=float(active) if isinstance(active, int | float) else None,
        cost=_cost(usage.get("list_cost")),
    )


def _cost(cost: object) -> str | None:
    """``{"amount": "4200", "currency": "USD"}`` (minor units) as ``"42.00 USD"``."""
    if not isinstance(cost, dict):
        return None
    try:
        return f"{int(str(cost.get('amount'))) / 100:.2f} {cost.get('currency') or ''}".strip()
    except ValueError:
        return None


def _retry_after(exc: anthropic.APIStatusError) -> float | None:
    return retry_after_seconds(dict(exc.response.headers))


def _read_error(exc: Exception) -> ProviderError:
    """Failures of reads (polls, lists) are transient; only a bad request is final."""
    if isinstance(exc, anthropic.APIStatusError) and exc.status_code in {400, 422}:
        return RejectedError(_describe(exc))
    retry = _retry_after(exc) if isinstance(exc, anthropic.APIStatusError) else None
    return TransientProviderError(_describe(exc), retry_after=retry)


def _describe(exc: Exception) -> str:
    """A one-line, key-free description with the HTTP status and request id when known."""
    if isinstance(exc, anthropic.APIStatusError):
        request_id = exc.response.headers.get("request-id")
        detail = _error_message(exc.response)
        rid = f" [{request_id}]" if request_id else ""
        return f"HTTP {exc.status_code}: {detail}{rid}"
    if isinstance(exc, anthropic.APITimeoutError):
        return "the request timed out"
    if isinstance(exc, anthropic.APIConnectionError):
        return f"connection failed: {exc.__cause__ or exc}"
    if isinstance(exc, anthropic.APIResponseValidationError | ValueError):
        return f"malformed answer: {excerpt(str(exc))}"
    return excerpt(str(exc))


def _error_message(response: httpx2.Response) -> str:
    try:
        body = response.json()
    except (ValueError, httpx2.ResponseNotRead):
        ctype = response.headers.get("content-type", "")
        kind = "an HTML page" if "html" in ctype else "a non-JSON body"
        return f"{response.reason_phrase or 'error'} ({kind})"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error.get("type") or "error")
    return excerpt(json.dumps(body))
