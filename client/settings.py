"""Connection-pool settings: one frozen value that every transport understands."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

import httpx

Transport = Literal["lean", "aiohttp", "httpx", "gevent"]
PoolMode = Literal["pooled", "no_keepalive", "client_per_request"]

TRANSPORTS: tuple[str, ...] = ("lean", "aiohttp", "httpx", "gevent")
POOL_MODES: tuple[str, ...] = ("pooled", "no_keepalive", "client_per_request")


@dataclass(frozen=True, slots=True)
class PoolSettings:
    """How the client holds its connections.

    The defaults are the seed's (20 keep-alive, 100 max, 60 s expiry). ``mode``
    selects the two anti-patterns the seed warns about, so that they can be
    measured side by side with pooling: ``no_keepalive`` opens a new TCP
    connection for every request, ``client_per_request`` builds (and tears
    down) a whole new HTTP client for every request, as naive callers do.
    ``transport`` picks the engine under the client's API: ``lean`` (the
    default for the async client: HTTP/1.1 on asyncio, parsed by httptools),
    ``aiohttp``, ``httpx`` (stock httpx/httpcore), or ``gevent`` (the lean
    dialect on gevent sockets, for the sync client under Locust).

    The TLS fields apply to ``https://`` targets: ``ca_cert`` a PEM bundle of
    extra CAs to trust (on top of the system's, ``SSL_CERT_FILE`` and
    ``SSL_CERT_DIR``), ``client_cert`` and ``client_key`` a certificate for
    mutual TLS (the key may sit in the certificate file), ``verify=False``
    skips certificate checks (curl's ``--insecure``). They do not change the
    pool's :meth:`label`: TLS is a property of the target, not of the pool.
    """

    max_keepalive_connections: int = 20
    max_connections: int = 100
    keepalive_expiry: float = 60.0
    http2: bool = False
    mode: PoolMode = "pooled"
    transport: Transport = "lean"
    ca_cert: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    verify: bool = True

    def __post_init__(self) -> None:
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        if not 0 <= self.max_keepalive_connections <= self.max_connections:
            raise ValueError("max_keepalive_connections must be between 0 and max_connections")
        if self.keepalive_expiry < 0:
            raise ValueError("keepalive_expiry must not be negative")
        if self.mode not in POOL_MODES:
            raise ValueError(f"mode must be one of {', '.join(POOL_MODES)}, not {self.mode!r}")
        if self.transport not in TRANSPORTS:
            raise ValueError(
                f"transport must be one of {', '.join(TRANSPORTS)}, not {self.transport!r}"
            )
        if self.http2 and self.transport != "httpx":
            raise ValueError("http2 needs transport='httpx'")
        if self.client_key and not self.client_cert:
            raise ValueError("client_key needs client_cert (the certificate it belongs to)")
        for name in ("ca_cert", "client_cert", "client_key"):
            path = getattr(self, name)
            if path is not None and not Path(path).is_file():
                raise ValueError(f"{name}: no such file: {path}")

    @property
    def keepalive(self) -> bool:
        return self.mode != "no_keepalive" and self.max_keepalive_connections > 0

    def to_httpx_limits(self) -> httpx.Limits:
        return httpx.Limits(
            max_keepalive_connections=self.max_keepalive_connections if self.keepalive else 0,
            max_connections=self.max_connections,
            keepalive_expiry=self.keepalive_expiry,
        )

    @classmethod
    def from_httpx_limits(cls, limits: httpx.Limits, **changes: Any) -> PoolSettings:
        """Accept the ``httpx.Limits`` the seed configured its client with."""
        base = cls()
        return replace(
            base,
            max_keepalive_connections=(
                base.max_keepalive_connections
                if limits.max_keepalive_connections is None
                else limits.max_keepalive_connections
            ),
            max_connections=(
                base.max_connections if limits.max_connections is None else limits.max_connections
            ),
            keepalive_expiry=(
                base.keepalive_expiry
                if limits.keepalive_expiry is None
                else float(limits.keepalive_expiry)
            ),
            **changes,
        )

    @classmethod
    def parse(cls, text: str) -> PoolSettings:
        """Parse ``max_keepalive=20,max_connections=100,transport=httpx`` (the CLI form)."""
        aliases = {"max_keepalive": "max_keepalive_connections"}
        kinds = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            key, sep, raw = item.partition("=")
            key = aliases.get(key.strip(), key.strip())
            if not sep or key not in kinds:
                accepted = ", ".join(["max_keepalive", *kinds])
                raise ValueError(f"unknown pool setting {item!r}; accepted keys: {accepted}")
            values[key] = _coerce(kinds[key], raw.strip(), key)
        if "max_keepalive_connections" not in values and "max_connections" in values:
            # a pool smaller than the default keep-alive count keeps all it has
            keepalive = min(cls().max_keepalive_connections, values["max_connections"])
            values["max_keepalive_connections"] = keepalive
        return cls(**values)

    def label(self) -> str:
        """A short, stable name for reports: ``aiohttp/pooled/k20/c100``."""
        return (
            f"{self.transport}/{self.mode}/k{self.max_keepalive_connections}"
            f"/c{self.max_connections}" + ("/h2" if self.http2 else "")
        )


def _coerce(kind: Any, raw: str, key: str) -> Any:
    kind = str(kind)
    if kind.endswith("| None") and raw == "":
        return None
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            if raw.lower() not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(raw)
            return raw.lower() in {"1", "true", "yes", "on"}
    except ValueError:
        raise ValueError(f"pool setting {key} takes a {kind}, not {raw!r}") from None
    return raw
