"""The demo (alive within seconds, no key needed, its own database), the dashboard's core
composition (the feed announces each transition once), and where the stylesheet is found."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from agentdash.dashboard import JobFeed, dashboard_factory
from agentdash.demo import KEY_ENV, demo_environment, demo_paths, demo_settings, seed
from agentdash.errors import AgentdashError
from agentdash.models import JobStatus
from agentdash.ui.app import AgentDashApp, stylesheet_paths
from agentdash.ui.widgets.schedules_table import SchedulesTable

from .helpers import rig
from .test_ui_support import wait_for


async def test_the_demo_comes_alive_with_every_state(tmp_path: Path) -> None:
    assert KEY_ENV not in os.environ
    async with demo_environment(tmp_path / "demo") as demo:
        assert demo.fresh and demo.fake is not None
        config_path, database = demo_paths(tmp_path / "demo")
        assert stat.S_IMODE(config_path.stat().st_mode) == 0o600
        assert demo.settings.database == database
        factory = dashboard_factory(demo.settings, env=demo.env, seed=seed, label="demo")
        app = AgentDashApp(factory)
        async with app.run_test(size=(120, 36)) as pilot:
            wanted = {
                JobStatus.RUNNING,
                JobStatus.COMPLETED,
                JobStatus.NEEDS_ACTION,
                JobStatus.FAILED,
            }

            def states() -> set[JobStatus]:
                main = app.screen_stack[0]
                return {job.status for job in main.index.jobs.values()}  # type: ignore[attr-defined]

            await wait_for(pilot, lambda: wanted <= states(), within=15)
            panel = app.screen_stack[0].query_one(SchedulesTable)
            assert {s.name for s in panel.items()} == {"pulse", "nightly"}
            assert all(s.next_fire is not None for s in panel.items())
        assert KEY_ENV not in os.environ, "the demo key never leaks into the environment"

    # Another demo while none runs starts afresh; `--demo COMMAND` finds the demo's files.
    assert demo_settings(tmp_path / "demo").database == database
    async with demo_environment(tmp_path / "demo") as again:
        assert again.fresh
        assert not database.exists(), "a fresh demo starts from an empty database"


def test_demo_commands_need_a_demo_first(tmp_path: Path) -> None:
    with pytest.raises(AgentdashError, match="agentdash --demo"):
        demo_settings(tmp_path / "nothing-here")


async def test_the_feed_announces_each_transition_once(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        feed = JobFeed(r.control)
        first = await feed.fetch()
        assert first is not None and first.initial and not first.arrived
        assert await feed.fetch() is None, "nothing changed: one cheap check, no query"

        done = await r.run("hello")
        feed.mark_dirty()
        update = await feed.fetch()
        assert update is not None and [j.id for j in update.arrived] == [done.id]
        await r.control.store.jobs.update(done.id, {"poll_count": 99})
        feed.mark_dirty()
        again = await feed.fetch()
        assert again is not None and [j.id for j in again.jobs] == [done.id]
        assert not again.arrived, "a change within the same state is not announced again"


def test_the_stylesheet_is_found_in_a_checkout_and_in_a_wheel(tmp_path: Path) -> None:
    here = stylesheet_paths()
    assert here and Path(here[0]).name == "agentdash.tcss" and Path(here[0]).is_file()

    wheel = tmp_path / "site-packages" / "agentdash"
    (wheel / "ui").mkdir(parents=True)
    (wheel / "agentdash.tcss").write_text("/* shipped */")
    assert stylesheet_paths(wheel) == [wheel / "agentdash.tcss"]
    checkout = tmp_path / "repo"
    (checkout / "agentdash" / "ui").mkdir(parents=True)
    (checkout / "agentdash.tcss").write_text("/* root */")
    assert stylesheet_paths(checkout / "agentdash") == [checkout / "agentdash.tcss"]
    assert stylesheet_paths(tmp_path / "nowhere") == []


def test_dashboard_logs_go_to_a_private_file_not_the_screen(tmp_path: Path) -> None:
    import logging

    from agentdash.dashboard import route_logs

    root = logging.getLogger()
    saved = list(root.handlers)
    try:
        log_file = tmp_path / "fresh" / "agentdash.db.log"
        route_logs(log_file)
        logging.getLogger("agentdash.test").warning("visible only in the file")
        for handler in root.handlers:
            handler.flush()
        assert "visible only in the file" in log_file.read_text()
        assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(log_file.parent.stat().st_mode) == 0o700
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved:
            root.addHandler(handler)
