"""agentdash: dispatch long-running AI agent jobs, poll them, and read their output.

This module holds the version only and imports nothing, so ``agentdash --version``
and the CLI's non-UI commands start fast.
"""

__version__ = "0.1.0"
