"""``python -m agentdash``: the same entry point as the console script."""

from agentdash.cli import main

raise SystemExit(main())
