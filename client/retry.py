"""Retry policy: which failures are worth another attempt, and how long to wait."""

from __future__ import annotations

import random
from dataclasses import dataclass

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with optional jitter, a cap and an overall deadline.

    With the defaults a call makes up to 4 attempts, waiting 0.2, 0.4 and
    0.8 s between them, as in the seed. Connection errors, timeouts and the
    statuses in ``retry_statuses`` are retried; every other 4xx is final.
    A ``Retry-After`` header replaces the backoff delay, capped at
    ``retry_after_max``. ``deadline`` bounds the whole call, waits included.
    """

    max_retries: int = 3
    backoff_base: float = 0.2
    backoff_factor: float = 2.0
    backoff_max: float = 5.0
    jitter: float = 0.0
    retry_after_max: float = 10.0
    deadline: float | None = None
    retry_statuses: frozenset[int] = RETRYABLE_STATUSES

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must not be negative")
        if self.backoff_base < 0 or self.backoff_max < 0 or self.retry_after_max < 0:
            raise ValueError("backoff delays must not be negative")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter is a fraction between 0 and 1")
        if self.deadline is not None and self.deadline <= 0:
            raise ValueError("deadline must be positive")

    @property
    def max_attempts(self) -> int:
        return self.max_retries + 1

    def backoff(self, retry_number: int, rng: random.Random | None = None) -> float:
        """Delay before retry ``retry_number`` (1-based): 0.2, 0.4, 0.8 ... capped."""
        delay = min(self.backoff_max, self.backoff_base * self.backoff_factor ** (retry_number - 1))
        if self.jitter:
            spread = delay * self.jitter
            delay += (rng or random).uniform(-spread, spread)
        return max(0.0, delay)

    def delay_for(
        self, retry_number: int, retry_after: str | None, rng: random.Random | None = None
    ) -> float:
        """The wait before the next attempt, honouring a server's ``Retry-After``."""
        hinted = parse_retry_after(retry_after)
        if hinted is not None:
            return min(hinted, self.retry_after_max)
        return self.backoff(retry_number, rng)

    @classmethod
    def none(cls) -> RetryPolicy:
        return cls(max_retries=0)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header; HTTP dates are read too."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
