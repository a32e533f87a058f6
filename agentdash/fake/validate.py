"""Request-body validation for the fake, with the limits the real API documents (§1.3, §1.4).

Being strict here is the point: a client bug such as metadata over 16 pairs or a
``user.tool_confirmation`` without ``result`` should fail against the fake, not in prod.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentdash.fake.sessions import FakeSession
from agentdash.fake.timeline import Event
from agentdash.fake.wire import IdFactory, bad_request

#: Event types a client may POST to ``/events`` (define_outcome is processed on receipt).
SENDABLE = frozenset(
    {
        "user.message",
        "user.interrupt",
        "user.tool_confirmation",
        "user.custom_tool_result",
        "user.define_outcome",
    }
)

DEFAULT_MODEL = "claude-sonnet-4-6"


def require_str(body: Mapping[str, Any], key: str) -> str:
    """A required non-empty string field."""
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise bad_request(f"{key}: required, expected a non-empty string")
    return value


def check_metadata(value: Any) -> dict[str, str]:
    """Metadata: string->string, at most 16 pairs, keys <= 64 and values <= 512 chars."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request("metadata: expected an object of strings")
    if len(value) > 16:
        raise bad_request("metadata: at most 16 key-value pairs")
    for key, item in value.items():
        if not isinstance(item, str) or len(key) > 64 or len(item) > 512:
            raise bad_request(f"metadata.{key}: values are strings (key <= 64, value <= 512)")
    return dict(value)


def agent_snapshot(value: Any) -> dict[str, Any]:
    """The resolved agent a session echoes, from a bare id or an ``agent``/overrides object."""
    overrides: Mapping[str, Any] = {}
    agent_id: Any
    version: Any
    if isinstance(value, str) and value:
        agent_id, version = value, 1
    elif isinstance(value, dict) and value.get("type") in ("agent", "agent_with_overrides"):
        agent_id = value.get("id")
        version = value.get("version", 1)
        if not isinstance(agent_id, str) or not agent_id:
            raise bad_request("agent.id: required")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise bad_request("agent.version: expected an integer >= 1")
        overrides = value
    else:
        raise bad_request("agent: expected an agent id or an {type: agent, id} object")
    model = overrides.get("model") or DEFAULT_MODEL
    return {
        "type": "agent",
        "id": agent_id,
        "version": version,
        "name": "Fake agent",
        "description": None,
        "system": overrides.get("system") or "You are a fake agent for tests.",
        "model": model if isinstance(model, dict) else {"id": model},
        "tools": list(overrides.get("tools") or []),
        "mcp_servers": list(overrides.get("mcp_servers") or []),
        "skills": list(overrides.get("skills") or []),
        "multiagent": None,
        "execution_identity": {"type": "service_account"},
    }


def _content(value: Any, where: str, *, required: bool) -> list[dict[str, Any]]:
    if value is None and not required:
        return []
    if not isinstance(value, list) or (required and not value):
        raise bad_request(f"{where}.content: expected a non-empty list of blocks")
    for index, block in enumerate(value):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise bad_request(f"{where}.content[{index}]: expected a block with a type")
        if block["type"] == "text" and not isinstance(block.get("text"), str):
            raise bad_request(f"{where}.content[{index}].text: expected a string")
    return list(value)


def validate_sent(raw: Any, where: str, ids: IdFactory) -> Event:
    """Check one client event and return its echo (server id, no ``processed_at`` yet)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise bad_request(f"{where}: expected an event object with a type")
    kind: str = raw["type"]
    event: Event = {"type": kind, "id": ids.new("sevt_")}
    if kind == "user.message":
        event["content"] = _content(raw.get("content"), where, required=True)
    elif kind == "user.interrupt":
        if raw.get("session_thread_id") is not None:
            event["session_thread_id"] = raw["session_thread_id"]
    elif kind == "user.tool_confirmation":
        event["tool_use_id"] = require_str(raw, "tool_use_id")
        if raw.get("result") not in ("allow", "deny"):
            raise bad_request(f"{where}.result: expected 'allow' or 'deny'")
        event["result"] = raw["result"]
        if raw.get("deny_message") is not None:
            if raw["result"] != "deny":
                raise bad_request(f"{where}.deny_message: only allowed when result is 'deny'")
            event["deny_message"] = raw["deny_message"]
    elif kind == "user.custom_tool_result":
        event["custom_tool_use_id"] = require_str(raw, "custom_tool_use_id")
        event["content"] = _content(raw.get("content"), where, required=False)
        if raw.get("is_error") is not None:
            event["is_error"] = bool(raw["is_error"])
    else:
        event.update({k: v for k, v in raw.items() if k not in ("type", "id", "processed_at")})
    return event


def prompt_text(event: Event) -> str:
    """The text blocks of a ``user.message``, joined: what the scripted reply quotes."""
    blocks = event.get("content") or []
    return "\n".join(b["text"] for b in blocks if b.get("type") == "text")


def check_answer(session: FakeSession, event: Event, where: str) -> None:
    """A tool result/confirmation must name a released tool use of the right kind, once."""
    kind = event["type"]
    if kind == "user.custom_tool_result":
        key, wanted = "custom_tool_use_id", "agent.custom_tool_use"
    elif kind == "user.tool_confirmation":
        key, wanted = "tool_use_id", "agent.tool_use"
    else:
        return
    tool_id = str(event.get(key))
    if session.tool_uses.get(tool_id) != wanted:
        raise bad_request(f"{where}.{key}: no {wanted} event with id {tool_id!r}")
    if tool_id in session.answers:
        raise bad_request(f"{where}.{key}: {tool_id} was already answered")
