"""A local fake of the Claude Managed Agents sessions API, for tests and the demo.

Start it in-process with :func:`running_fake`, or blocking with :func:`serve`. Shape its
behaviour with a :class:`Scenario` (default script, turn length, faults, rate limit) and,
per session, with ``metadata["fake_script"]`` or a ``[fake:<script>]`` marker in the prompt
(see :mod:`agentdash.fake.scenario`). Read what clients did from :class:`FakeStats`.
"""

from agentdash.fake.runner import FakeServer, running_fake, serve
from agentdash.fake.scenario import SCRIPTS, Fault, FaultKind, RouteKind, Scenario, Script
from agentdash.fake.server import create_app
from agentdash.fake.state import FakeState
from agentdash.fake.stats import FakeStats

__all__ = [
    "SCRIPTS",
    "FakeServer",
    "FakeState",
    "FakeStats",
    "Fault",
    "FaultKind",
    "RouteKind",
    "Scenario",
    "Script",
    "create_app",
    "running_fake",
    "serve",
]
