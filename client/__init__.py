"""Reference pooled client for the account service.

``from client import AccountClient`` replaces the seed's
``from account_client_example import AccountClient``; everything else the
seed's callers wrote keeps working.
"""

from client.async_client import AccountClient
from client.errors import (
    AccountAuthError,
    AccountClientError,
    AccountConflictError,
    AccountNotFoundError,
    AccountProtocolError,
    AccountRateLimitedError,
    AccountServerError,
    AccountServiceError,
    AccountServiceUnavailable,
    AccountTimeoutError,
    AccountTLSError,
    AccountTransportError,
    AccountValidationError,
)
from client.histogram import LatencyHistogram
from client.metrics import Metrics, Phases, RequestRecord
from client.models import AccountProfile, AccountSummary
from client.retry import RetryPolicy
from client.settings import PoolSettings, Timeouts
from client.sync_client import SyncAccountClient

__all__ = [
    "AccountAuthError",
    "AccountClient",
    "AccountClientError",
    "AccountConflictError",
    "AccountNotFoundError",
    "AccountProfile",
    "AccountProtocolError",
    "AccountRateLimitedError",
    "AccountServerError",
    "AccountServiceError",
    "AccountServiceUnavailable",
    "AccountSummary",
    "AccountTLSError",
    "AccountTimeoutError",
    "AccountTransportError",
    "AccountValidationError",
    "LatencyHistogram",
    "Metrics",
    "Phases",
    "PoolSettings",
    "RequestRecord",
    "RetryPolicy",
    "SyncAccountClient",
    "Timeouts",
]
