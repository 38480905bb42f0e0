"""``mock_service.certs``: a throwaway CA whose server certificate passes real TLS on loopback."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from mock_service import create_app
from mock_service.certs import temporary_tls, throwaway_tls
from tests._live_server import LiveServer


def test_files_are_written_privately_and_removed_with_the_folder() -> None:
    with temporary_tls() as tls:
        folder = tls.key.parent
        assert {tls.ca_cert.parent, tls.cert.parent} == {folder}
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE(tls.key.stat().st_mode) == 0o600
        assert b"PRIVATE KEY" in tls.key.read_bytes()
        assert b"PRIVATE KEY" not in tls.cert.read_bytes() + tls.ca_cert.read_bytes()
    assert not folder.exists()


def test_existing_files_are_never_overwritten(tmp_path: Path) -> None:
    throwaway_tls(tmp_path)
    with pytest.raises(FileExistsError):
        throwaway_tls(tmp_path)


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost"])
def test_the_certificate_verifies_for_loopback_names(
    live_server: Callable[..., LiveServer], name: str
) -> None:
    with temporary_tls() as tls:
        server = live_server(create_app("fast"), ssl_certfile=tls.cert, ssl_keyfile=tls.key)
        url = f"https://127.0.0.1:{server.port}/health"
        with httpx.Client(verify=tls.client_context(), timeout=5) as client:
            # connect to 127.0.0.1, but present and verify `name` (SNI + hostname check)
            r = client.get(url, extensions={"sni_hostname": name})
            assert r.json()["status"] == "healthy"


def test_a_fresh_ca_does_not_trust_another_ones_certificate(
    live_server: Callable[..., LiveServer],
) -> None:
    with temporary_tls() as tls, temporary_tls() as other:
        server = live_server(create_app("fast"), ssl_certfile=tls.cert, ssl_keyfile=tls.key)
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"https://127.0.0.1:{server.port}/health", verify=other.client_context())
