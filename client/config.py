"""What both clients are built from: resolved once, the same way for each."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from client.retry import RetryPolicy
from client.settings import PoolSettings

DEFAULT_BASE_URL = "http://localhost:8202"
USER_AGENT = "account-perf-harness/0.1"
HOSTS_ENV = "ACCOUNT_CLIENT_HOSTS"
#: the bearer token, for the harness's commands and the locustfile (never a flag: argv is public)
TOKEN_ENV = "ACCOUNT_SERVICE_TOKEN"


@dataclass(frozen=True, slots=True)
class ClientConfig:
    base_url: str = DEFAULT_BASE_URL
    timeout: float = 10.0
    pool: PoolSettings = field(default_factory=PoolSettings)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    headers: tuple[tuple[str, str], ...] = ()
    #: the name TLS sends (SNI) and checks the certificate against when ``hosts``
    #: sent ``base_url`` to another address: the original host, never the address
    server_name: str | None = None

    @classmethod
    def resolve(
        cls,
        base_url: str,
        timeout: float,
        max_retries: int,
        *,
        pool: PoolSettings | None,
        limits: httpx.Limits | None,
        retry: RetryPolicy | None,
        token: str | None,
        headers: dict[str, str] | None,
        hosts: dict[str, str] | None = None,
    ) -> ClientConfig:
        """Merge the seed's arguments (``max_retries``, ``limits``) with the typed ones.

        Credentials in the URL (``https://user:pw@host``) become an ``Authorization:
        Basic`` header and leave the URL, so no transport can echo them in an error.
        One ``Authorization`` is sent: ``token`` wins over an ``Authorization`` in
        ``headers``, which wins over the URL's userinfo (an explicit choice beats
        one that came along with an address).
        """
        if pool is not None and limits is not None:
            raise ValueError("give either pool= or limits=, not both")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        extra = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        if token:
            extra["Authorization"] = f"Bearer {token}"
        base_url, userinfo = split_userinfo(base_url.rstrip("/"))
        if userinfo is not None and not any(k.lower() == "authorization" for k in extra):
            extra["Authorization"] = _basic_auth(userinfo)
        mapped = _map_host(base_url, hosts if hosts is not None else hosts_from_env())
        if mapped != base_url:
            extra.setdefault("Host", urlsplit(base_url).netloc)
        return cls(
            base_url=mapped,
            timeout=float(timeout),
            pool=pool or (PoolSettings.from_httpx_limits(limits) if limits else PoolSettings()),
            retry=retry or RetryPolicy(max_retries=max_retries),
            headers=tuple(extra.items()),
            server_name=urlsplit(base_url).hostname if mapped != base_url else None,
        )


def split_userinfo(url: str) -> tuple[str, str | None]:
    """``http://user:pw@host/x`` -> ``("http://host/x", "user:pw")``; no userinfo: ``None``."""
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return url, None
    return urlunsplit(parts._replace(netloc=host)), userinfo


def _basic_auth(userinfo: str) -> str:
    user, _, password = userinfo.partition(":")
    pair = f"{unquote(user)}:{unquote(password)}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def hosts_from_env() -> dict[str, str]:
    """``ACCOUNT_CLIENT_HOSTS="account-service:8202=127.0.0.1:8202,..."`` as a mapping."""
    pairs = (item.partition("=") for item in os.environ.get(HOSTS_ENV, "").split(","))
    return {name.strip(): addr.strip() for name, sep, addr in pairs if sep and name.strip()}


def _map_host(base_url: str, hosts: dict[str, str]) -> str:
    """Send ``host:port`` to another address, like k6's ``hosts`` or curl's ``--resolve``.

    Load tests need it to aim unchanged code (and the ``Host`` it sends) at a
    test instance, bypassing DNS.
    """
    if not hosts:
        return base_url
    parts = urlsplit(base_url)
    default_port = 443 if parts.scheme == "https" else 80
    netloc = parts.netloc if parts.port else f"{parts.hostname}:{default_port}"
    target = hosts.get(netloc) or hosts.get(parts.hostname or "")
    if target is None:
        return base_url
    if ":" not in target and parts.port:
        target = f"{target}:{parts.port}"
    return urlunsplit(parts._replace(netloc=target))
