"""``type: command`` over real processes: slow output, failure, cancel, a reused pid, and a
job that outlives a ``kill -9`` of the daemon that started it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from agentdash.config import Config
from agentdash.control import Control
from agentdash.errors import ConfigError
from agentdash.models import Job, JobStatus
from agentdash.providers.command_output import read_new, utf8_boundary
from agentdash.providers.command_proc import ProcessId, group_alive, read_stat, running_stat
from agentdash.store import Store

from .processes import start_daemon, stop
from .provider_rig import FAST, config_of, engine_rig

SLOW = 'read p; echo "prompt: $p"; for i in 1 2 3 4; do echo "line $i"; sleep 0.25; done'


def command_config(tmp_path: Path, command: list[str], **extra: str) -> str:
    keys = "".join(f"    {k}: {v}\n" for k, v in extra.items())
    argv = json.dumps(command)  # JSON is YAML, and quotes every argument safely
    return (
        f"providers:\n  local:\n    type: command\n    command: {argv}\n"
        f"    logs_dir: {tmp_path / 'logs'}\n    timeout: 10s\n{keys}"
        "jobs:\n  run: {provider: local, prompt: do the thing}\n"
    )


def local(tmp_path: Path, command: list[str], **extra: str) -> Config:
    return config_of(command_config(tmp_path, command, **extra))


def ident_of(job: Job) -> ProcessId:
    assert job.remote_id is not None
    pid, start, _ = job.remote_id.split("-", 2)
    return ProcessId(int(pid), int(start))


async def test_output_grows_across_polls_and_the_job_completes(tmp_path: Path) -> None:
    async with engine_rig(tmp_path, local(tmp_path, ["sh", "-c", SLOW])) as rig:
        seen: list[Job] = []
        rig.engine.add_listener(seen.append)
        done = await rig.finish(await rig.dispatch("run"))
        assert done.status is JobStatus.COMPLETED, done
        partial = [j.transcript for j in seen if j.status is JobStatus.RUNNING and j.transcript]
        assert any("line 1" in t and "line 4" not in t for t in partial)  # followed live
        assert done.transcript is not None
        lines = [line for line in done.transcript.splitlines() if line]
        assert lines == ["prompt: do the thing", "line 1", "line 2", "line 3", "line 4"]
        assert done.output is not None
        assert [x for x in done.output.splitlines() if x] == lines  # all of stdout, not its tail
        assert done.poll_count >= 3 and done.remote_status == "exit 0"


async def test_the_prompt_can_be_an_argument(tmp_path: Path) -> None:
    config = local(tmp_path, ["sh", "-c", 'echo "arg: $1 ($AGENTDASH_JOB)"', "sh", "{prompt}"])
    async with engine_rig(tmp_path, config) as rig:
        done = await rig.finish(await rig.dispatch("run", "it's {quoted} $HOME"))
        assert done.output == "arg: it's {quoted} $HOME (run)"


async def test_a_failing_command_reports_the_tail_of_stderr(tmp_path: Path) -> None:
    script = "echo partial; seq 1 500 >&2; echo 'boom: the disk is full' >&2; exit 3"
    async with engine_rig(tmp_path, local(tmp_path, ["sh", "-c", script], stderr_tail="60")) as rig:
        done = await rig.finish(await rig.dispatch("run"))
        assert done.status is JobStatus.FAILED
        assert done.error is not None
        assert done.error.startswith("exit status 3; stderr: ")
        assert done.error.endswith("500\nboom: the disk is full")
        assert "\n1\n" not in done.error  # only the tail
        assert done.transcript == "partial"


@pytest.mark.parametrize(
    ("script", "grace"),
    [("sleep 30", "2s"), ("trap '' TERM; sleep 30 & sleep 30; wait", "300ms")],
    ids=["sigterm", "sigkill-after-grace"],
)
async def test_cancel_ends_the_whole_process_group(tmp_path: Path, script: str, grace: str) -> None:
    config = local(tmp_path, ["sh", "-c", f"echo started; {script}"], cancel_grace=grace)
    async with engine_rig(tmp_path, config) as rig:
        job = await rig.dispatch("run")
        running = await rig.until(job, lambda j: bool(j.transcript))
        stat = running_stat(ident_of(running))
        assert stat is not None and group_alive(stat.pgrp)
        await rig.control.cancel(job.id)
        done = await rig.finish(job)
        assert done.status is JobStatus.CANCELLED and done.last_error is None
        assert not group_alive(stat.pgrp)


async def test_a_reused_pid_is_never_taken_for_the_job(tmp_path: Path) -> None:
    async with engine_rig(tmp_path, local(tmp_path, ["sh", "-c", "sleep 30"])) as rig:
        job = await rig.until(await rig.dispatch("run"), lambda j: j.remote_id is not None)
        real = ident_of(job)
        provider = rig.providers.providers["local"]
        assert job.remote_id is not None
        stranger = job.remote_id.replace(
            f"{real.pid}-{real.start}-", f"{real.pid}-{real.start + 1}-"
        )
        result = await provider.poll(stranger, {})
        assert result.status is JobStatus.FAILED and result.error is not None
        assert "without recording an exit status" in result.error
        await provider.cancel(job.remote_id)
        assert running_stat(real) is None


def test_a_command_that_does_not_exist_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        local(tmp_path, ["no-such-agent-3f9c", "-p", "{prompt}"])
    assert "providers.local.command: 'no-such-agent-3f9c' is not on PATH" in str(info.value)


@pytest.mark.parametrize(
    ("command", "extra", "message"),
    [
        (["./missing.sh"], {}, "providers.local.command: './missing.sh' is not a path to"),
        (["sh", "-c", "{promt}"], {}, "unknown placeholder {promt} (did you mean {prompt}?)"),
        (["sh"], {"cancel_grace": "10s"}, "cancel_grace (10s) must be shorter than timeout (10s)"),
        (
            ["sh"],
            {"workdir": "/no/such/dir"},
            "providers.local.workdir: '/no/such/dir' is not a dir",
        ),
    ],
)
def test_bad_command_config_names_the_key(
    tmp_path: Path, command: list[str], extra: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        local(tmp_path, command, **extra)
    assert message in str(info.value)


def test_reads_hold_back_half_lines_and_never_split_characters(tmp_path: Path) -> None:
    out = tmp_path / "stdout"
    out.write_bytes(b"one\ntwo half")
    assert read_new(out, 0, ended=False) == (b"one\n", False)
    assert read_new(out, 4, ended=False) == (b"", False)
    assert read_new(out, 4, ended=True) == (b"two half", False)
    euro = "€".encode()
    assert utf8_boundary(b"ab" + euro[:2]) == 2
    assert utf8_boundary(b"ab" + euro) == 5


# A daemon killed with -9 while its command runs; the next daemon finishes the job.

DAEMON_JOB = "echo first; sleep 1; echo second; sleep 0.5; echo third"


async def test_a_job_outlives_kill_9_of_the_daemon(tmp_path: Path) -> None:
    config_file = tmp_path / "agentdash.yaml"
    config_file.write_text(FAST + command_config(tmp_path, ["sh", "-c", DAEMON_JOB]))
    db = tmp_path / "db" / "agentdash.db"
    base = ["--config", str(config_file), "--db", str(db)]
    first = start_daemon(base, tmp_path / "first.log")
    try:
        store = await open_store_when_ready(db)
        try:
            job = await Control(store, config_of(command_config(tmp_path, ["sh"]))).dispatch("run")
            running = await wait_for(store, job.id, lambda j: bool(j.transcript))
            first.send_signal(signal.SIGKILL)
            first.wait(5)
            ident = ident_of(running)
            assert running_stat(ident) is not None  # the command lives on without its daemon
            run_dir = next((tmp_path / "logs").iterdir())
            await until_exists(run_dir / "exit")  # and ends while no daemon is watching
            second = start_daemon(base, tmp_path / "second.log")
            try:
                done = await wait_for(store, job.id, lambda j: j.status.is_terminal)
            finally:
                stop(second)
            assert done.status is JobStatus.COMPLETED, (tmp_path / "second.log").read_text()
            assert done.transcript is not None
            assert [x for x in done.transcript.splitlines() if x] == ["first", "second", "third"]
            assert done.output is not None
            assert [x for x in done.output.splitlines() if x] == ["first", "second", "third"]
            assert done.remote_id == running.remote_id
        finally:
            await store.close()
    finally:
        stop(first)


async def open_store_when_ready(db: Path) -> Store:
    await until_exists(db)
    return await Store.open(db)


async def wait_for(store: Store, job_id: int, done: Callable[[Job], bool]) -> Job:
    async with asyncio.timeout(20):
        while True:
            job = await store.jobs.get(job_id)
            if job is not None and done(job):
                return job
            await asyncio.sleep(0.05)


async def until_exists(path: Path) -> None:
    async with asyncio.timeout(20):
        while True:
            if path.exists():
                return
            await asyncio.sleep(0.05)


def test_read_stat_of_this_process() -> None:
    stat = read_stat(os.getpid())
    assert stat is not None and stat.state in "RS" and stat.start > 0
    assert read_stat(2**22 + 1) is None
