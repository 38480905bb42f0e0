"""The sync twin of :class:`~client.AccountClient`, for Locust and other threaded callers."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any, TypeVar

import httpx

from client import calls
from client.calls import Call
from client.config import DEFAULT_BASE_URL, ClientConfig
from client.errors import AccountServiceError
from client.execution import Execution
from client.metrics import Metrics
from client.models import AccountProfile, AccountSummary
from client.retry import RetryPolicy
from client.settings import PoolSettings
from client.transports import SyncTransport, open_sync

T = TypeVar("T")


class SyncAccountClient:
    """Pooled blocking client: the same methods, arguments and results, without ``await``.

    It runs on ``httpx.Client`` (gevent-friendly once Locust has patched the
    standard library) and shares everything but the send and the sleep with
    the async client.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        max_retries: int = 3,
        *,
        pool: PoolSettings | None = None,
        limits: httpx.Limits | None = None,
        retry: RetryPolicy | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        metrics: Metrics | None = None,
        hosts: dict[str, str] | None = None,
    ) -> None:
        self.config = ClientConfig.resolve(
            base_url,
            timeout,
            max_retries,
            pool=pool,
            limits=limits,
            retry=retry,
            token=token,
            headers=headers,
            hosts=hosts,
        )
        self.metrics = metrics or Metrics()
        self._transport: SyncTransport | None = None
        self._opening = threading.Lock()  # threads share one pool: open it once

    @property
    def base_url(self) -> str:
        return self.config.base_url

    def __enter__(self) -> SyncAccountClient:
        self._open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _open(self) -> SyncTransport:
        with self._opening:
            if self._transport is None:
                cfg = self.config
                self._transport = open_sync(
                    cfg.base_url, cfg.pool, dict(cfg.headers), server_name=cfg.server_name
                )
            return self._transport

    def close(self) -> None:
        if self._transport is not None:
            transport, self._transport = self._transport, None
            transport.close()

    def execute(self, call: Call[T]) -> T:
        """Send one :class:`~client.calls.Call` with retries; every operation goes here."""
        transport = self._transport or self._open()
        run = Execution(call, self.config.retry, self.metrics, self.config.timeout)
        while True:
            try:
                raw = transport.send(call.method, call.target, call.body, run.begin_attempt())
            except AccountServiceError as error:
                delay = run.failed(error)
            else:
                delay = run.answered(raw)
            if delay is None:
                return run.finish()
            time.sleep(delay)

    # -- the seed's operations -------------------------------------------------

    def ensure_account(
        self, auth0_id: str, email: str, name: str, subscription_plan: str = "free"
    ) -> AccountProfile:
        return self.execute(calls.ensure_account(auth0_id, email, name, subscription_plan))

    def get_account_profile(self, user_id: str) -> AccountProfile:
        return self.execute(calls.get_account_profile(user_id))

    def get_account_by_email(self, email: str) -> AccountProfile | None:
        return self.execute(calls.get_account_by_email(email))

    def update_account_profile(
        self,
        user_id: str,
        name: str | None = None,
        email: str | None = None,
        preferences: dict[str, Any] | None = None,
    ) -> AccountProfile:
        return self.execute(calls.update_account_profile(user_id, name, email, preferences))

    def update_account_preferences(
        self,
        user_id: str,
        timezone: str | None = None,
        language: str | None = None,
        theme: str | None = None,
        notification_email: bool | None = None,
        notification_push: bool | None = None,
    ) -> bool:
        return self.execute(
            calls.update_account_preferences(
                user_id,
                timezone=timezone,
                language=language,
                theme=theme,
                notification_email=notification_email,
                notification_push=notification_push,
            )
        )

    def list_accounts(
        self,
        page: int = 1,
        page_size: int = 50,
        is_active: bool | None = None,
        subscription_status: str | None = None,
        search: str | None = None,
    ) -> dict[str, Any]:
        return self.execute(
            calls.list_accounts(page, page_size, is_active, subscription_status, search)
        )

    def search_accounts(
        self, query: str, limit: int = 50, include_inactive: bool = False
    ) -> list[AccountSummary]:
        return self.execute(calls.search_accounts(query, limit, include_inactive))

    def change_account_status(
        self, user_id: str, is_active: bool, reason: str | None = None
    ) -> bool:
        return self.execute(calls.change_account_status(user_id, is_active, reason))

    def delete_account(self, user_id: str, reason: str | None = None) -> bool:
        return self.execute(calls.delete_account(user_id, reason))

    def get_service_stats(self) -> dict[str, Any]:
        return self.execute(calls.get_service_stats())

    def health_check(self) -> dict[str, Any]:
        return self.execute(calls.health_check())

    def get_metrics(self) -> dict[str, Any]:
        """The seed's ``total_requests``, ``total_errors``, ``error_rate``, per operation too."""
        return self.metrics.snapshot()
