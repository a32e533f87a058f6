"""One exception tree for agentdash, so callers catch by meaning, not by library.

::

    AgentdashError                 everything agentdash raises on purpose
    ├── ConfigError                a config file that cannot be used (names file and key)
    ├── StoreError                 the database cannot be opened, migrated or written
    │   └── StaleOwnerError        a write fenced off: another process owns the engine now
    ├── ProviderError              a provider call failed
    │   ├── TransientProviderError worth retrying later (429, 5xx, timeouts, bad bodies on reads)
    │   ├── AmbiguousCreateError   the create call may or may not have created a session
    │   └── RejectedError          the provider refused the request for good (4xx)
    └── SinkError                  a delivery to a sink failed

Every message is already safe to show: it never carries an API key.
"""

from __future__ import annotations


class AgentdashError(Exception):
    """Base of every error agentdash raises on purpose; its message is meant for a person."""


class ConfigError(AgentdashError):
    """A config file that cannot be used; the message names the file, the key and the fix."""


class StoreError(AgentdashError):
    """The database cannot be opened, migrated or written."""


class StaleOwnerError(StoreError):
    """A fenced write was refused because another process took over the engine."""


class ProviderError(AgentdashError):
    """A call to an agent provider failed."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        """Seconds the provider asked us to wait before the next request, if it said."""


class TransientProviderError(ProviderError):
    """A failure worth retrying later: rate limits, overload, 5xx, timeouts, malformed bodies."""


class AmbiguousCreateError(ProviderError):
    """The create call failed in a way that leaves unknown whether a session exists."""


class RejectedError(ProviderError):
    """The provider refused the request for good; retrying the same call cannot help."""


class SinkError(AgentdashError):
    """A delivery to a result sink failed."""
