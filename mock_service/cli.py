"""``python -m mock_service``: serve the mock under uvicorn on one socket we bind ourselves.

Binding first lets ``--port 0`` report the real port; the ready line is
printed (and flushed) only once uvicorn is accepting on that socket. With
``--tls-cert``/``--tls-key`` the same socket serves https.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import ssl
import sys
from collections.abc import Sequence
from typing import Any

import uvicorn

from mock_service import lifeline
from mock_service.app import create_app
from mock_service.state import DEFAULT_PORT

TOKEN_ENV = "MOCK_REQUIRE_TOKEN"
"""The bearer token, for launchers: unlike argv, the environment is not shown by ``ps``."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mock_service", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--profile", default="fast", help="fast, seed, or a .toml path")
    parser.add_argument("--accounts", type=int, default=0, help="synthetic accounts to seed")
    parser.add_argument("--seed", type=int, default=42, help="seed for the synthetic accounts")
    parser.add_argument(
        "--require-token",
        default=None,
        help=f"bearer token for /api/ calls (default: ${TOKEN_ENV}, which keeps it out of ps)",
    )
    parser.add_argument("--tls-cert", default=None, help="PEM certificate chain: serve https")
    parser.add_argument("--tls-key", default=None, help="PEM private key for --tls-cert")
    child = parser.add_argument_group("for launchers (mock_service.launcher)")
    child.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="shut down when stdin closes: the launcher holds its write end until it dies",
    )
    child.add_argument(
        "--exit-with-parent",
        type=int,
        default=None,
        metavar="PID",
        help="Linux: also get SIGTERM when the thread of PID that started us ends",
    )
    args = parser.parse_args(argv)
    if args.require_token is None:
        args.require_token = os.environ.get(TOKEN_ENV) or None
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together: give both or neither")
    if args.tls_cert is not None:
        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
                args.tls_cert, args.tls_key
            )
        except (OSError, ssl.SSLError) as error:
            parser.error(f"cannot use --tls-cert/--tls-key: {error}")
    return args


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP: asyncio only sets TCP_NODELAY on sockets that say so (with proto 0
    # every keep-alive response waits ~40 ms for a delayed ACK); set it on the listener too.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class _AnnouncingServer(uvicorn.Server):
    """Prints the one ready line after uvicorn has started serving."""

    def __init__(self, config: uvicorn.Config, line: str) -> None:
        super().__init__(config)
        self._line = line

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            print(self._line, flush=True)


def _fastest(module: str, fast: str, fallback: str) -> str:
    return fast if importlib.util.find_spec(module) is not None else fallback


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.exit_with_parent is not None:
        lifeline.signal_at_parent_death(args.exit_with_parent)
    app = create_app(
        args.profile, accounts=args.accounts, seed=args.seed, require_token=args.require_token
    )
    sock = bind(args.host, args.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    profile_name = app.state.mock.profile.name
    config: dict[str, Any] = {
        "log_level": "warning",
        "access_log": False,
        "loop": _fastest("uvloop", "uvloop", "asyncio"),
        "http": _fastest("httptools", "httptools", "h11"),
        "lifespan": "off",
    }
    scheme = "http"
    if args.tls_cert is not None:
        scheme = "https"
        config.update(ssl_certfile=args.tls_cert, ssl_keyfile=args.tls_key)
    server = _AnnouncingServer(
        uvicorn.Config(app, **config),
        f"mock_service listening on {scheme}://{shown}:{port} "
        f"(profile={profile_name}, accounts={args.accounts})",
    )
    if args.exit_on_stdin_eof:

        def stop() -> None:
            server.should_exit = True

        lifeline.stop_at_stdin_eof(stop)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
