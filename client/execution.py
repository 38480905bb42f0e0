"""One call from first attempt to final answer, shared by the async and sync clients.

The clients run the same three-step loop (begin an attempt, send it, ask
what next); everything else happens here: attempt timeouts under the
deadline, retry decisions and delays, error mapping, parsing and the
metrics record. Only the transport call and the sleep differ between them.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson

from client.calls import Call
from client.errors import (
    AccountProtocolError,
    AccountServiceError,
    AccountTimeoutError,
    AccountTLSError,
    error_class_for_status,
)
from client.metrics import Metrics, Phases, RequestRecord
from client.retry import RetryPolicy

T = TypeVar("T")


@dataclass(slots=True)
class RawResponse:
    """What a transport hands back: just what the client needs, nothing lazy."""

    status: int
    body: bytes
    retry_after: str | None
    phases: Phases
    bytes_sent: int = 0
    new_connection: bool | None = None


class Execution(Generic[T]):
    __slots__ = (
        "_deadline_ns",
        "_error",
        "_last",
        "_rng",
        "_start_ns",
        "_started_at",
        "attempts",
        "call",
        "metrics",
        "policy",
        "timeout",
    )

    def __init__(
        self,
        call: Call[T],
        policy: RetryPolicy,
        metrics: Metrics,
        timeout: float,
        rng: random.Random | None = None,
    ) -> None:
        self.call = call
        self.policy = policy
        self.metrics = metrics
        self.timeout = timeout
        self.attempts = 0
        self._rng = rng
        self._last: RawResponse | None = None
        self._error: AccountServiceError | None = None
        self._started_at = time.time()
        self._start_ns = time.perf_counter_ns()
        self._deadline_ns = (
            self._start_ns + int(policy.deadline * 1e9) if policy.deadline is not None else None
        )

    def begin_attempt(self) -> float:
        """Count an attempt; returns its overall deadline in seconds (never past the call's).

        The transport enforces it over the whole attempt (pool wait, connect,
        send, answer), with the pool's per-phase :class:`~client.settings.Timeouts` under it.
        """
        self.attempts += 1
        if self._deadline_ns is None:
            return self.timeout
        remaining = (self._deadline_ns - time.perf_counter_ns()) / 1e9
        return max(0.001, min(self.timeout, remaining))

    def answered(self, raw: RawResponse) -> float | None:
        """The attempt got an answer: the delay before a retry, or None when done."""
        self._last = raw
        self._error = None
        if raw.status in self.policy.retry_statuses:
            return self._retry_delay(raw.retry_after)
        return None

    def failed(self, error: AccountServiceError) -> float | None:
        """The attempt got no answer (timeout, connection): retry delay or None."""
        self._last = None
        self._error = error
        if isinstance(error, AccountTLSError):
            return None  # an untrusted certificate stays untrusted: retrying only delays the news
        return self._retry_delay(None)

    def _retry_delay(self, retry_after: str | None) -> float | None:
        if self.attempts >= self.policy.max_attempts:
            return None
        delay = self.policy.delay_for(self.attempts, retry_after, self._rng)
        past_deadline = (
            self._deadline_ns is not None
            and time.perf_counter_ns() + int(delay * 1e9) >= self._deadline_ns
        )
        return None if past_deadline else delay

    def finish(self) -> T:
        """Record the call, then return its value or raise its typed error."""
        raw = self._last
        error = self._error
        value: Any = None
        if raw is not None:
            value, error = self._interpret(raw)
        elif (
            error is not None
            and self._deadline_ns is not None
            and isinstance(error, AccountTimeoutError)
            and error.phase == "total"  # a phase's own limit (pool, read...) says more
        ):
            error = AccountTimeoutError(
                f"no answer within the call's deadline of {self.policy.deadline} s",
                status=None,
            )
        if error is not None:
            error = error.with_context(operation=self.call.operation, attempts=self.attempts)
        self.metrics.record(
            RequestRecord(
                operation=self.call.operation,
                started_at=self._started_at,
                latency_ns=time.perf_counter_ns() - self._start_ns,
                attempts=self.attempts,
                status=raw.status if raw is not None else None,
                error=type(error).__name__ if error is not None else None,
                bytes_sent=raw.bytes_sent if raw is not None else 0,
                bytes_received=len(raw.body) if raw is not None else 0,
                phases=raw.phases if raw is not None else Phases(),
                new_connection=raw.new_connection if raw is not None else None,
                start_ns=self._start_ns,
            )
        )
        if error is not None:
            raise error
        return value

    def _interpret(self, raw: RawResponse) -> tuple[Any, AccountServiceError | None]:
        status = raw.status
        if 200 <= status < 300:
            try:
                return self.call.parse(orjson.loads(raw.body)), None
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as e:
                return None, AccountProtocolError(
                    f"unexpected answer to {self.call.operation}: {e}", status=status
                )
        if status == 404 and not self.call.not_found_is_error:
            return self.call.on_not_found, None
        return None, error_class_for_status(status)(status=status, detail=_detail(raw.body))


def _detail(body: bytes) -> Any:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:200].decode("utf-8", "replace") or None
    if isinstance(payload, dict) and "detail" in payload:
        return payload["detail"]
    return payload
