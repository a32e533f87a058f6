"""``python -m agentdash.fake_responses [--host H] [--port P] [--turn-seconds S] [--sse]``."""

from __future__ import annotations

import argparse

from agentdash.fake_responses.runner import serve
from agentdash.fake_responses.scenario import ResponsesScenario


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the background-responses fake API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--turn-seconds", type=float, default=5.0, help="how long each run takes")
    parser.add_argument(
        "--outcome", choices=["completed", "failed", "incomplete"], default="completed"
    )
    parser.add_argument("--sse", action="store_true", help="frame answers as text/event-stream")
    args = parser.parse_args()
    scenario = ResponsesScenario(turn_seconds=args.turn_seconds, outcome=args.outcome, sse=args.sse)
    serve(args.host, args.port, scenario)


if __name__ == "__main__":
    main()
