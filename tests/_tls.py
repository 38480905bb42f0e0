"""A throwaway PKI for TLS tests: one trustme CA, a server and a client certificate.

``tls_options(pki)`` are uvicorn options for :func:`tests._live_server.serve`
(or the ``live_server`` fixture): the app is then served over https on
127.0.0.1, and ``LiveServer.tls`` is the server's context (to watch SNI).
Close clients before their server stops: uvicorn waits (up to the test
server's 10 s) for an idle TLS connection to answer its goodbye, and a
client whose event loop is not running never does.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme

#: the names the server certificate is valid for: one host name, one address
SERVER_NAMES = ("account.test", "127.0.0.1")


@dataclass(frozen=True)
class TestPKI:
    """PEM file paths, as a client's settings and uvicorn's options take them."""

    __test__ = False  # not a test class, despite the name

    ca_cert: str
    server_cert: str
    server_key: str
    client_cert: str
    client_key: str
    client_cert_and_key: str  # both in one file, as curl's --cert accepts it

    @classmethod
    def create(cls, directory: Path) -> TestPKI:
        ca = trustme.CA()
        server = ca.issue_cert(*SERVER_NAMES)
        client = ca.issue_cert("load-test-client@example.com")
        files = {
            "ca_cert": ca.cert_pem,
            "server_cert": server.cert_chain_pems[0],
            "server_key": server.private_key_pem,
            "client_cert": client.cert_chain_pems[0],
            "client_key": client.private_key_pem,
            "client_cert_and_key": client.private_key_and_cert_chain_pem,
        }
        for name, blob in files.items():
            blob.write_to_path(str(directory / f"{name}.pem"))
        return cls(**{name: str(directory / f"{name}.pem") for name in files})


@pytest.fixture(scope="session", name="pki")
def session_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    """The ``pki`` fixture: one CA for the whole session.

    Import ``session_pki`` into a test module (or a conftest) to use ``pki``.
    """
    return TestPKI.create(tmp_path_factory.mktemp("pki"))


def tls_options(pki: TestPKI, *, require_client_cert: bool = False) -> dict[str, Any]:
    """uvicorn options to serve https with the PKI's server certificate (and ask for mTLS)."""
    options: dict[str, Any] = {"ssl_certfile": pki.server_cert, "ssl_keyfile": pki.server_key}
    if require_client_cert:
        options |= {"ssl_cert_reqs": ssl.CERT_REQUIRED, "ssl_ca_certs": pki.ca_cert}
    return options
