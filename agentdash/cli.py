"""The command line: parse arguments, build what the command needs, report errors plainly.

This is the composition root. Commands that do not show the dashboard never import
Textual, so they start fast; every expected failure is one clear line on stderr and a
non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from agentdash import __version__

if TYPE_CHECKING:
    from agentdash.dashboard import Seed
    from agentdash.runtime import Settings

EXIT_ERROR = 1
EXIT_CONFIG = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agentdash",
        description="Dispatch long-running AI agent jobs, poll them, and read their output.",
    )
    parser.add_argument("--version", action="version", version=f"agentdash {__version__}")
    parser.add_argument("--config", type=Path, help="config file (default: platform config dir)")
    parser.add_argument("--db", type=Path, help="database file (default: platform data dir)")
    parser.add_argument("--demo", action="store_true", help="the dashboard on the bundled fake")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("dispatch", help="send a job to its provider")
    p.add_argument("job", help="job template name from the config")
    p.add_argument("--prompt", help="prompt text (default: the template's prompt)")
    p.add_argument("--wait", action="store_true", help="return when the job ends or needs you")
    p.add_argument("--json", action="store_true", help="print the job as JSON")

    p = sub.add_parser("cancel", help="cancel a job")
    p.add_argument("job_id", type=int)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("jobs", help="list jobs")
    p.add_argument("--status", help="only these statuses (comma-separated)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("show", help="one job in detail, with its output")
    p.add_argument("job_id", type=int)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("schedules", help="schedules with their next fire; pause, resume, run")
    p.add_argument("--json", action="store_true")
    ssub = p.add_subparsers(dest="schedules_command", metavar="ACTION")
    pp = ssub.add_parser("preview", help="the next fire times of a cron expression")
    pp.add_argument("cron", help='five-field expression, e.g. "0 9 * * 1-5"')
    pp.add_argument("--tz", help="IANA time zone (default: local)")
    pp.add_argument("--from", dest="start", help="ISO time to start from (default: now)")
    pp.add_argument("--count", type=int, default=5)
    pp.add_argument("--json", action="store_true")
    for action, text in (("pause", "stop firing"), ("resume", "fire again"), ("run", "run now")):
        ssub.add_parser(action, help=text).add_argument("name")

    p = sub.add_parser("status", help="who runs the engine, and job counts")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("backup", help="a consistent copy of the database (VACUUM INTO)")
    p.add_argument("path", type=Path)

    p = sub.add_parser("deliveries", help="where job results went (sinks and task write-backs)")
    p.add_argument("--job", type=int, help="only this job's deliveries")
    p.add_argument("--status", help="only these statuses (pending, delivered, dead)")
    p.add_argument("--redeliver", type=int, metavar="JOB_ID", help="send a job's failed ones again")
    p.add_argument("--json", action="store_true")

    sub.add_parser("daemon", help="run the engine with no UI")
    sub.add_parser("check-config", help="validate the config file")

    p = sub.add_parser("fake-server", help="serve the fake Managed Agents API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--turn-seconds", type=float, default=3.0, help="how long each turn takes")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose or args.command in ("daemon", "fake-server"))
    from agentdash.errors import AgentdashError, ConfigError

    try:
        if args.command == "fake-server":
            return _fake_server(args)
        return asyncio.run(_run(args))
    except ConfigError as exc:
        print(f"agentdash: config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except AgentdashError as exc:
        print(f"agentdash: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


async def _run(args: argparse.Namespace) -> int:
    if args.demo and args.command is None:
        return await _demo_dashboard()
    from agentdash.runtime import resolve

    if args.command == "schedules" and args.schedules_command == "preview":
        from agentdash.commands.schedules import preview_command

        return preview_command(args.cron, args.tz, args.start, args.count, args.json)
    settings = _demo_settings() if args.demo else resolve(args.config, args.db)
    if args.command == "schedules":
        from agentdash.commands import schedules

        if args.schedules_command is None:
            return await schedules.list_command(settings, args.json)
        return await schedules.action_command(settings, args.schedules_command, args.name)
    if args.command == "dispatch":
        from agentdash.commands.jobs import DispatchArgs, dispatch_command

        return await dispatch_command(
            settings, DispatchArgs(args.job, args.prompt, args.wait, args.json)
        )
    if args.command == "cancel":
        from agentdash.commands.jobs import cancel_command

        return await cancel_command(settings, args.job_id, args.json)
    if args.command == "jobs":
        from agentdash.commands.jobs import jobs_command

        return await jobs_command(settings, args.status, args.json)
    if args.command == "show":
        from agentdash.commands.jobs import show_command

        return await show_command(settings, args.job_id, args.json)
    if args.command in ("status", "backup"):
        from agentdash.commands import status

        if args.command == "backup":
            return await status.backup_command(settings, args.path)
        return await status.status_command(settings, args.json)
    if args.command == "deliveries":
        from agentdash.commands import deliveries

        if args.redeliver is not None:
            return await deliveries.redeliver_command(settings, args.redeliver, args.json)
        return await deliveries.deliveries_command(settings, args.job, args.status, args.json)
    if args.command == "daemon":
        from agentdash.commands.daemon import daemon_command

        return await daemon_command(settings)
    if args.command == "check-config":
        from agentdash.commands.check import check_config_command

        return await check_config_command(settings)
    return await _dashboard(settings)


def _demo_settings() -> Settings:
    """``--demo COMMAND``: the command acts on the demo's config and database."""
    from agentdash.demo import demo_settings

    return demo_settings()


async def _dashboard(
    settings: Settings,
    *,
    env: Mapping[str, str] | None = None,
    seed: Seed | None = None,
    label: str | None = None,
) -> int:
    """The dashboard on ``settings``' database (Textual is imported only here)."""
    from agentdash.dashboard import dashboard_factory, route_logs
    from agentdash.ui.app import AgentDashApp

    route_logs(settings.database.with_name(settings.database.name + ".log"))
    factory = dashboard_factory(settings, env=env, seed=seed, label=label)
    await AgentDashApp(factory).run_async()
    return 0


async def _demo_dashboard() -> int:
    """The dashboard on the bundled fake, started on this event loop with its own database."""
    from agentdash.demo import demo_environment, seed

    async with demo_environment() as demo:
        first = seed if demo.fresh else None
        return await _dashboard(demo.settings, env=demo.env, seed=first, label="demo")


def _fake_server(args: argparse.Namespace) -> int:
    from agentdash.fake import Scenario, serve

    serve(host=args.host, port=args.port, scenario=Scenario(turn_seconds=args.turn_seconds))
    return 0


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpx2", "httpcore", "anthropic", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
