"""A local fake of a background-responses API (create, poll, cancel), for tests and demos.

A response is created with ``POST /v1/responses`` and ``background: true``, then polled
with ``GET /v1/responses/{id}`` until it is ``completed``, ``failed``, ``cancelled`` or
``incomplete``; its text is under ``output[].content[].text``. This is the shape the
``http`` provider in ``config.example.yaml`` speaks. Start it in-process with
:func:`running_responses_fake`, or with ``python -m agentdash.fake_responses``.
"""

from agentdash.fake_responses.runner import ResponsesServer, running_responses_fake, serve
from agentdash.fake_responses.scenario import Fault, FaultKind, Outcome, ResponsesScenario
from agentdash.fake_responses.server import create_app
from agentdash.fake_responses.state import ResponsesState, StoredResponse

__all__ = [
    "Fault",
    "FaultKind",
    "Outcome",
    "ResponsesScenario",
    "ResponsesServer",
    "ResponsesState",
    "StoredResponse",
    "create_app",
    "running_responses_fake",
    "serve",
]
