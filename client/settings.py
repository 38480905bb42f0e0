"""Connection-pool settings: one frozen value that every transport understands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args

import httpx

Transport = Literal["lean", "aiohttp", "httpx", "gevent"]
PoolMode = Literal["pooled", "no_keepalive", "client_per_request"]

TRANSPORTS: tuple[Transport, ...] = get_args(Transport)
#: the engines of the async client (AccountClient) and of the sync one (SyncAccountClient)
ASYNC_TRANSPORTS: tuple[str, ...] = ("lean", "aiohttp", "httpx")
SYNC_TRANSPORTS: tuple[str, ...] = ("gevent", "httpx")
POOL_MODES: tuple[PoolMode, ...] = get_args(PoolMode)


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Per-phase time limits, meaning what httpx's ``Timeout`` means, on every engine.

    ``pool``: waiting for a connection (or a slot to open one); ``connect``:
    TCP connect plus the TLS handshake; ``read``: the longest gap between two
    received bytes (the wait for the first one included), not the whole
    answer; ``write``: sending the request. None leaves a phase bounded only
    by the attempt's overall deadline, the client's ``timeout=`` (every
    phase is cut short by that deadline anyway).
    """

    connect: float | None = None
    read: float | None = None
    write: float | None = None
    pool: float | None = None

    def __post_init__(self) -> None:
        for name in TIMEOUT_PHASES:
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} timeout must be positive (or None), not {value!r}")

    def to_httpx(self, total: float | None = None) -> httpx.Timeout:
        """httpx's ``Timeout``; with ``total``, each phase is capped at it (None becomes it)."""
        limits = {name: getattr(self, name) for name in TIMEOUT_PHASES}
        if total is not None:
            limits = {k: total if v is None else min(v, total) for k, v in limits.items()}
        return httpx.Timeout(**limits)


#: the phases :class:`Timeouts` limits, in the order a request meets them
TIMEOUT_PHASES: tuple[str, ...] = ("pool", "connect", "write", "read")
#: the CLI keys for them (``PoolSettings.parse``): ``connect_timeout=2,read_timeout=5``
TIMEOUT_KEYS: dict[str, str] = {f"{phase}_timeout": phase for phase in TIMEOUT_PHASES}


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

    ``timeouts`` adds per-phase limits (:class:`Timeouts`) under the attempt's
    overall deadline (the client's ``timeout=``); None means that deadline only.
    A mapping is accepted in its place (what ``dataclasses.asdict`` makes of it).
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
    timeouts: Timeouts | None = None

    def __post_init__(self) -> None:
        if isinstance(self.timeouts, Mapping):
            object.__setattr__(self, "timeouts", Timeouts(**self.timeouts))
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
        """Parse ``max_keepalive=20,max_connections=100,transport=httpx`` (the CLI form).

        The timeouts go flat: ``connect_timeout=2,read_timeout=5,write_timeout=5,pool_timeout=1``
        (seconds; an empty value is None).
        """
        aliases = {"max_keepalive": "max_keepalive_connections"}
        kinds = {f.name: f.type for f in fields(cls) if f.name != "timeouts"}
        values: dict[str, Any] = {}
        limits: dict[str, float | None] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            key, sep, raw = item.partition("=")
            key = aliases.get(key.strip(), key.strip())
            if sep and key in TIMEOUT_KEYS:
                limits[TIMEOUT_KEYS[key]] = _coerce("float | None", raw.strip(), key)
                continue
            if not sep or key not in kinds:
                accepted = ", ".join(["max_keepalive", *kinds, *TIMEOUT_KEYS])
                raise ValueError(f"unknown pool setting {item!r}; accepted keys: {accepted}")
            values[key] = _coerce(kinds[key], raw.strip(), key)
        if limits:
            values["timeouts"] = Timeouts(**limits)
        if "max_keepalive_connections" not in values and "max_connections" in values:
            # a pool smaller than the default keep-alive count keeps all it has
            keepalive = min(cls().max_keepalive_connections, values["max_connections"])
            values["max_keepalive_connections"] = keepalive
        return cls(**values)

    def to_text(self) -> str:
        """The inverse of :meth:`parse`: every setting spelled out, ``parse(p.to_text()) == p``.

        Files go by absolute path; a path holding a comma cannot travel in this form.
        """
        items = [
            f"max_keepalive={self.max_keepalive_connections}",
            f"max_connections={self.max_connections}",
            f"keepalive_expiry={self.keepalive_expiry}",
            f"http2={str(self.http2).lower()}",
            f"mode={self.mode}",
            f"transport={self.transport}",
        ]
        for name in ("ca_cert", "client_cert", "client_key"):
            path = getattr(self, name)
            if path is None:
                continue
            if "," in path:
                raise ValueError(f"{name}: a path with a comma cannot be written as text: {path}")
            items.append(f"{name}={Path(path).resolve()}")
        if not self.verify:
            items.append("verify=false")
        for key, phase in TIMEOUT_KEYS.items():
            value = getattr(self.timeouts, phase) if self.timeouts is not None else None
            if value is not None:
                items.append(f"{key}={value}")
        return ",".join(items)

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
        if kind in ("float", "float | None"):
            return float(raw)
        if kind == "bool":
            if raw.lower() not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(raw)
            return raw.lower() in {"1", "true", "yes", "on"}
    except ValueError:
        raise ValueError(f"pool setting {key} takes a {kind}, not {raw!r}") from None
    return raw
