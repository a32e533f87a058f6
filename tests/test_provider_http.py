"""``type: http`` end to end: the real engine and provider against the background-responses
fake over loopback HTTP, plus the config errors a person would make."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from agentdash.config import load_config
from agentdash.errors import ConfigError
from agentdash.fake_responses import (
    Fault,
    ResponsesScenario,
    ResponsesServer,
    running_responses_fake,
)
from agentdash.models import JobStatus

from .provider_rig import EngineRig, config_of, engine_rig

KEY = "resp-SENTINEL-1234"
PROVIDER = """
providers:
  responses:
    type: http
    base_url: BASE_URL
    api_key_env: RESPONSES_KEY
    headers: {Authorization: "Bearer {api_key}"}
    timeout: 5s
    create:
      url: /responses
      body:
        model: fake
        background: true
        input: "{prompt}"
        metadata: {agentdash_intent: "{intent_id}", agentdash_job: "{job}"}
    status:
      url: /responses/{remote_id}
      map: {queued: running, in_progress: running, completed: completed, failed: failed,
            cancelled: cancelled}
      error: error.message
    output: {text: "output[].content[].text"}
    usage: {input_tokens: usage.input_tokens, output_tokens: usage.output_tokens}
    cancel: {url: "/responses/{remote_id}/cancel"}
    list:
      url: /responses?created_after={since_epoch}
      items: data
      intent: metadata.agentdash_intent
jobs:
  ask: {provider: responses, prompt: Summarise the incidents}
"""


@asynccontextmanager
async def http_rig(
    tmp_path: Path, scenario: ResponsesScenario | None = None, provider: str = PROVIDER
) -> AsyncIterator[tuple[ResponsesServer, EngineRig]]:
    scenario = scenario or ResponsesScenario(turn_seconds=0.3)
    scenario.api_key = KEY  # the fake refuses any other bearer token
    async with running_responses_fake(scenario) as fake:
        config = config_of(provider.replace("BASE_URL", fake.base_url))
        async with engine_rig(tmp_path, config, {"RESPONSES_KEY": KEY}) as rig:
            yield fake, rig


async def test_background_response_completes_with_text_and_usage(tmp_path: Path) -> None:
    async with http_rig(tmp_path) as (fake, rig):
        done = await rig.finish(await rig.dispatch("ask"))
        assert done.status is JobStatus.COMPLETED, done
        assert done.output == "Done: Summarise the incidents"
        assert done.transcript == done.output
        assert done.remote_id in fake.state.responses
        assert done.remote_status == "completed"
        assert (done.usage.input_tokens, done.usage.output_tokens) == (12, 34)
        assert dict(fake.state.by_intent) == {done.intent_id: 1}
    for stored in (tmp_path / "db").iterdir():  # the key went in a header, never to disk
        assert KEY.encode() not in stored.read_bytes()


async def test_failed_response_carries_the_remote_reason(tmp_path: Path) -> None:
    async with http_rig(tmp_path, ResponsesScenario(turn_seconds=0.3, outcome="failed")) as (
        _,
        rig,
    ):
        done = await rig.finish(await rig.dispatch("ask"))
        assert done.status is JobStatus.FAILED
        assert done.error == "The model run failed (fake)"


@pytest.mark.parametrize(("route", "count"), [("retrieve", 2), ("create", 1)])
async def test_rate_limits_are_waited_out_without_duplicates(
    tmp_path: Path, route: str, count: int
) -> None:
    async with http_rig(tmp_path) as (fake, rig):
        fault = Fault("rate_limit", route=route, count=count, retry_after=0.3)  # type: ignore[arg-type]
        fake.scenario.add_fault(fault)
        job = await rig.dispatch("ask")
        limited = await rig.until(job, lambda j: j.last_error is not None)
        assert limited.last_error is not None and "HTTP 429" in limited.last_error
        done = await rig.finish(job)
        assert done.status is JobStatus.COMPLETED
        assert fake.state.faults_served["rate_limit"] == count
        assert len(fake.state.responses) == 1
        assert rig.providers.pacers["responses"].overloads == count


@pytest.mark.parametrize("kind", ["malformed", "html_502"])
async def test_bad_poll_answers_are_shown_on_the_job_and_retried(tmp_path: Path, kind: str) -> None:
    async with http_rig(tmp_path) as (fake, rig):
        fake.scenario.add_fault(Fault(kind, route="retrieve", count=1000))  # type: ignore[arg-type]
        job = await rig.dispatch("ask")
        seen = await rig.until(job, lambda j: j.consecutive_errors >= 2)
        assert seen.status is JobStatus.RUNNING
        expected = "malformed answer: not valid JSON" if kind == "malformed" else "HTTP 502"
        assert seen.last_error is not None and expected in seen.last_error
        fake.scenario.clear_faults()
        done = await rig.finish(job)
        assert done.status is JobStatus.COMPLETED and done.consecutive_errors == 0


async def test_answers_framed_as_server_sent_events_are_read(tmp_path: Path) -> None:
    async with http_rig(tmp_path, ResponsesScenario(turn_seconds=0.3, sse=True)) as (fake, rig):
        done = await rig.finish(await rig.dispatch("ask"))
        assert done.status is JobStatus.COMPLETED
        assert done.output == "Done: Summarise the incidents"
        assert done.remote_id in fake.state.responses


async def test_cancel_stops_the_remote_response(tmp_path: Path) -> None:
    async with http_rig(tmp_path, ResponsesScenario(turn_seconds=30)) as (fake, rig):
        job = await rig.dispatch("ask")
        running = await rig.until(job, lambda j: j.remote_status == "queued")
        await rig.control.cancel(job.id)
        done = await rig.finish(job)
        assert done.status is JobStatus.CANCELLED and done.last_error is None
        assert running.remote_id is not None
        assert fake.state.responses[running.remote_id].status() == "cancelled"


async def test_a_lost_create_answer_is_found_by_listing(tmp_path: Path) -> None:
    async with http_rig(tmp_path) as (fake, rig):
        fake.scenario.add_fault(Fault("malformed", route="create"))
        job = await rig.dispatch("ask")
        unknown = await rig.until(job, lambda j: j.status is JobStatus.UNKNOWN)
        assert unknown.last_error is not None and "malformed answer" in unknown.last_error
        done = await rig.finish(job)
        assert done.status is JobStatus.COMPLETED
        assert dict(fake.state.by_intent) == {done.intent_id: 1}


async def test_an_unmapped_remote_status_is_a_poll_error_on_the_job(tmp_path: Path) -> None:
    scenario = ResponsesScenario(turn_seconds=0.2, outcome="incomplete")
    async with http_rig(tmp_path, scenario) as (_, rig):
        job = await rig.dispatch("ask")
        seen = await rig.until(job, lambda j: j.consecutive_errors >= 1)
        assert seen.status is JobStatus.RUNNING
        assert seen.last_error is not None
        assert "'incomplete' is not in providers.responses.status.map" in seen.last_error


async def test_the_example_config_provider_runs_against_the_fake(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parent.parent / "config.example.yaml"
    async with running_responses_fake(ResponsesScenario(turn_seconds=0.2)) as fake:
        config = load_config(example, env={"RESPONSES_BASE_URL": fake.base_url})
        config = config.model_copy(update={"poll": config_of("").poll})
        keys = {"RESPONSES_API_KEY": KEY, "ANTHROPIC_API_KEY": "unused", "FAKE_KEY": "unused"}
        async with engine_rig(tmp_path, config, keys) as rig:
            done = await rig.finish(await rig.dispatch("summarise", "Check the pager"))
        assert done.status is JobStatus.COMPLETED
        assert done.output == "Done: Check the pager"


BAD = [
    (
        "map: {queued: running, in_progress: running, completed: completed, failed: failed,\n"
        "            cancelled: cancelled}",
        "",
        "providers.responses.status.map: required key is missing",
    ),
    (
        "completed: completed",
        "completed: done",
        "providers.responses.status.map.completed: Input should be",
    ),
    (
        "completed: completed",
        "completed: running",
        "status.map: no remote status maps to 'completed'",
    ),
    (
        "output[].content[].text",
        "output[.content",
        "providers.responses.output.text: not a valid JMESPath",
    ),
    (
        "intent: metadata.agentdash_intent",
        "intent: 'metadata.'",
        "providers.responses.list.intent: not a valid",
    ),
    (
        'input: "{prompt}"',
        'input: "{promt}"',
        "create.body: unknown placeholder {promt} (did you mean {prompt}?)",
    ),
    (
        "url: /responses/{remote_id}\n",
        "url: /responses/{id}\n",
        "providers.responses.status.url: unknown placeholder {id}",
    ),
    (
        'cancel: {url: "/responses/{remote_id}/cancel"}',
        'cancel: {url: "/responses/{remote_id}/cancel", body: {id: "{remoteid}"}}',
        "cancel.body: unknown placeholder {remoteid} (did you mean {remote_id}?)",
    ),
    (
        "base_url: BASE_URL",
        "base_url: null",
        "create.url '/responses' is relative, so set base_url",
    ),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD)
def test_bad_http_config_is_an_error_naming_the_key(old: str, new: str, message: str) -> None:
    assert old in PROVIDER
    with pytest.raises(ConfigError) as info:
        config_of(PROVIDER.replace(old, new))
    assert message in str(info.value)
    assert str(info.value).startswith("test.yaml:")


def test_loading_http_and_command_providers_imports_no_http_stack() -> None:
    code = (
        "import sys\nfrom pathlib import Path\nfrom agentdash.config import load_config\n"
        "load_config(Path('config.example.yaml'), env={})\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    loaded = set(out.stdout.split())
    assert "jmespath" in loaded  # the expressions were checked
    assert not loaded & {"httpx2", "anthropic", "httpcore", "starlette", "uvicorn"}
