"""A throwaway certificate authority and a server certificate, for serving the mock on https.

``bench.py run --tls`` and the TLS tests need real TLS on loopback without
touching the system trust store: a fresh CA (trustme) signs a certificate for
127.0.0.1, ::1 and localhost, and the client is told to trust that CA only.
Nothing here is a secret worth keeping, but the key is still written 0600
into a private temporary folder that the caller deletes.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import trustme

SERVER_NAMES = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class TlsFiles:
    """PEM files: ``ca_cert`` for clients to trust, ``cert`` (chain) and ``key`` for the server."""

    ca_cert: Path
    cert: Path
    key: Path

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this CA and nothing else."""
        return ssl.create_default_context(cafile=str(self.ca_cert))


def throwaway_tls(folder: Path) -> TlsFiles:
    """Make a new CA and a server certificate for loopback, written into ``folder``.

    ``folder`` should be private (``tempfile.mkdtemp`` makes it 0700); the
    files must not exist yet, so nothing is overwritten or followed.
    """
    ca = trustme.CA(organization_name="account-perf-harness throwaway CA")
    server = ca.issue_cert(*SERVER_NAMES)
    files = TlsFiles(ca_cert=folder / "ca.pem", cert=folder / "server.pem", key=folder / "key.pem")
    _write(files.ca_cert, ca.cert_pem.bytes(), 0o644)
    _write(files.cert, b"".join(blob.bytes() for blob in server.cert_chain_pems), 0o644)
    _write(files.key, server.private_key_pem.bytes(), 0o600)
    return files


@contextmanager
def temporary_tls() -> Iterator[TlsFiles]:
    """``throwaway_tls`` in a fresh private temporary folder, deleted when the block ends."""
    with tempfile.TemporaryDirectory(prefix="mock-tls-") as folder:
        yield throwaway_tls(Path(folder))


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with open(fd, "wb") as file:
        file.write(data)
