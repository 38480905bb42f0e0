"""The client's error hierarchy, rooted in :class:`AccountServiceError`.

Callers branch on the class, never on the message. The message still reads
like the server's answer (``get_account_profile: HTTP 404: Account not found:
u1``), so the seed's ``"not found" in str(e).lower()`` keeps working.
"""

from __future__ import annotations

from typing import Any, Literal

TimeoutPhase = Literal["pool", "connect", "write", "read", "total"]


class AccountServiceError(Exception):
    """Base class: every failure of a client call.

    ``operation`` is the client method, ``status`` the last HTTP status (None
    when no answer came), ``detail`` the server's ``detail`` (string or the
    422 list), ``attempts`` how many HTTP attempts the call made.
    """

    def __init__(
        self,
        message: str = "",
        *,
        operation: str = "",
        status: int | None = None,
        detail: Any = None,
        attempts: int = 0,
    ) -> None:
        self.operation = operation
        self.status = status
        self.detail = detail
        self.attempts = attempts
        self.message = message
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [p for p in (self.operation, self.status and f"HTTP {self.status}") if p]
        text = self.message or _detail_text(self.detail) or type(self).__name__
        return ": ".join([*parts, text])

    def with_context(self, *, operation: str, attempts: int) -> AccountServiceError:
        """A copy that knows which call and how many attempts it took."""
        clone = type(self)(
            self.message,
            operation=operation,
            status=self.status,
            detail=self.detail,
            attempts=attempts,
        )
        clone.__cause__ = self.__cause__
        return clone


class AccountNotFoundError(AccountServiceError):
    """404: the account does not exist or is inactive."""


class AccountValidationError(AccountServiceError, ValueError):
    """400/422: the server rejected the input; ``detail`` says why."""


class AccountConflictError(AccountServiceError):
    """409: the email belongs to another account."""


class AccountAuthError(AccountServiceError):
    """401/403: missing or wrong bearer token."""


class AccountClientError(AccountServiceError):
    """Any other 4xx: a request the server will never accept as sent."""


class AccountProtocolError(AccountServiceError):
    """The answer did not follow the contract (not JSON, wrong shape)."""


class AccountServiceUnavailable(AccountServiceError):
    """Transient failures: the call may succeed later. Raised once retries are spent."""


class AccountServerError(AccountServiceUnavailable):
    """5xx from the service."""


class AccountRateLimitedError(AccountServiceUnavailable):
    """429 from the service or its gateway."""


class AccountTimeoutError(AccountServiceUnavailable):
    """No answer within the timeout (or the call's deadline passed).

    ``phase`` says which limit ran out, with the meanings of
    :class:`~client.settings.Timeouts`: ``"pool"`` (no connection free in
    time), ``"connect"``, ``"write"``, ``"read"`` (too long without a byte),
    or ``"total"`` (the attempt's overall deadline, the client's ``timeout=``,
    or the call's deadline).
    """

    def __init__(self, message: str = "", *, phase: TimeoutPhase = "total", **context: Any) -> None:
        self.phase: TimeoutPhase = phase
        super().__init__(message, **context)

    def with_context(self, *, operation: str, attempts: int) -> AccountServiceError:
        clone = super().with_context(operation=operation, attempts=attempts)
        assert isinstance(clone, AccountTimeoutError)
        clone.phase = self.phase
        return clone


class AccountTransportError(AccountServiceUnavailable):
    """The connection failed: refused, reset or closed without an answer."""


class AccountTLSError(AccountTransportError):
    """TLS failed: most often the server's certificate could not be verified.

    Its own class because the fix is on the caller's side (trust the CA that
    signed the certificate, or give a client certificate), not in waiting.
    """


_BY_STATUS: dict[int, type[AccountServiceError]] = {
    400: AccountValidationError,
    401: AccountAuthError,
    403: AccountAuthError,
    404: AccountNotFoundError,
    409: AccountConflictError,
    422: AccountValidationError,
    429: AccountRateLimitedError,
}


def error_class_for_status(status: int) -> type[AccountServiceError]:
    """The class an unsuccessful HTTP status maps to."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return AccountServerError
    if status >= 400:
        return AccountClientError
    return AccountProtocolError


def _detail_text(detail: Any) -> str:
    if detail is None:
        return ""
    if isinstance(detail, list):
        # FastAPI's 422 list: "field: problem; field: problem"
        items = []
        for problem in detail:
            if isinstance(problem, dict):
                loc = ".".join(str(p) for p in problem.get("loc", ()) if p != "body")
                items.append(f"{loc}: {problem.get('msg', '')}" if loc else str(problem.get("msg")))
            else:
                items.append(str(problem))
        return "; ".join(items)
    return str(detail)
