"""The async reference client: the seed's ``AccountClient``, same methods and shapes."""

from __future__ import annotations

import asyncio
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
from client.transports import AsyncTransport, open_async

T = TypeVar("T")


class AccountClient:
    """Pooled async client for the account service.

    ``async with AccountClient("http://account-service:8202") as client:``
    keeps one pool of connections for the client's life. ``pool`` picks the
    pool settings and engine, ``retry`` the retry policy (``max_retries`` is
    the seed's shorthand for it), ``token`` adds a bearer token to every call,
    ``hosts`` (or ``$ACCOUNT_CLIENT_HOSTS``) aims a host name at another address.
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
        self._transport: AsyncTransport | None = None

    @property
    def base_url(self) -> str:
        return self.config.base_url

    async def __aenter__(self) -> AccountClient:
        self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _open(self) -> AsyncTransport:
        if self._transport is None:
            cfg = self.config
            self._transport = open_async(
                cfg.base_url, cfg.pool, dict(cfg.headers), server_name=cfg.server_name
            )
        return self._transport

    async def aclose(self) -> None:
        if self._transport is not None:
            transport, self._transport = self._transport, None
            await transport.aclose()

    async def execute(self, call: Call[T]) -> T:
        """Send one :class:`~client.calls.Call` with retries; every operation goes here."""
        transport = self._transport or self._open()
        run = Execution(call, self.config.retry, self.metrics, self.config.timeout)
        while True:
            try:
                raw = await transport.send(call.method, call.target, call.body, run.begin_attempt())
            except AccountServiceError as error:
                delay = run.failed(error)
            else:
                delay = run.answered(raw)
            if delay is None:
                return run.finish()
            await asyncio.sleep(delay)

    # -- the seed's operations -------------------------------------------------

    async def ensure_account(
        self, auth0_id: str, email: str, name: str, subscription_plan: str = "free"
    ) -> AccountProfile:
        return await self.execute(calls.ensure_account(auth0_id, email, name, subscription_plan))

    async def get_account_profile(self, user_id: str) -> AccountProfile:
        return await self.execute(calls.get_account_profile(user_id))

    async def get_account_by_email(self, email: str) -> AccountProfile | None:
        return await self.execute(calls.get_account_by_email(email))

    async def update_account_profile(
        self,
        user_id: str,
        name: str | None = None,
        email: str | None = None,
        preferences: dict[str, Any] | None = None,
    ) -> AccountProfile:
        return await self.execute(calls.update_account_profile(user_id, name, email, preferences))

    async def update_account_preferences(
        self,
        user_id: str,
        timezone: str | None = None,
        language: str | None = None,
        theme: str | None = None,
        notification_email: bool | None = None,
        notification_push: bool | None = None,
    ) -> bool:
        return await self.execute(
            calls.update_account_preferences(
                user_id,
                timezone=timezone,
                language=language,
                theme=theme,
                notification_email=notification_email,
                notification_push=notification_push,
            )
        )

    async def list_accounts(
        self,
        page: int = 1,
        page_size: int = 50,
        is_active: bool | None = None,
        subscription_status: str | None = None,
        search: str | None = None,
    ) -> dict[str, Any]:
        return await self.execute(
            calls.list_accounts(page, page_size, is_active, subscription_status, search)
        )

    async def search_accounts(
        self, query: str, limit: int = 50, include_inactive: bool = False
    ) -> list[AccountSummary]:
        return await self.execute(calls.search_accounts(query, limit, include_inactive))

    async def change_account_status(
        self, user_id: str, is_active: bool, reason: str | None = None
    ) -> bool:
        return await self.execute(calls.change_account_status(user_id, is_active, reason))

    async def delete_account(self, user_id: str, reason: str | None = None) -> bool:
        return await self.execute(calls.delete_account(user_id, reason))

    async def get_service_stats(self) -> dict[str, Any]:
        return await self.execute(calls.get_service_stats())

    async def health_check(self) -> dict[str, Any]:
        return await self.execute(calls.health_check())

    def get_metrics(self) -> dict[str, Any]:
        """The seed's ``total_requests``, ``total_errors``, ``error_rate``, per operation too."""
        return self.metrics.snapshot()
