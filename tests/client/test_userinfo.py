"""Credentials in the base URL: sent as ``Authorization: Basic``, never kept in the URL."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from client import AccountClient, PoolSettings, SyncAccountClient
from client.config import ClientConfig, split_userinfo
from tests.client.scripted_app import PROFILE, ScriptedApp, Step


def _resolve(base_url: str, **given: object) -> ClientConfig:
    args = {"token": None, "headers": None, **given}
    return ClientConfig.resolve(
        base_url, 10.0, 0, pool=None, limits=None, retry=None, hosts={}, **args
    )


def _basic(pair: str) -> str:
    return "Basic " + base64.b64encode(pair.encode()).decode()


def test_split_userinfo_keeps_host_port_and_path() -> None:
    assert split_userinfo("https://u:p@h:8443/base") == ("https://h:8443/base", "u:p")
    assert split_userinfo("http://u:p@[::1]:80") == ("http://[::1]:80", "u:p")
    assert split_userinfo("http://h:1/x?to=a@b") == ("http://h:1/x?to=a@b", None)


def test_userinfo_becomes_a_basic_header_and_leaves_the_url() -> None:
    config = _resolve("http://us%40er:p%3Ass@127.0.0.1:8202/")
    assert config.base_url == "http://127.0.0.1:8202"
    assert dict(config.headers)["Authorization"] == _basic("us@er:p:ss")
    assert dict(_resolve("http://tok@h:1").headers)["Authorization"] == _basic("tok:")


def test_token_wins_over_a_header_which_wins_over_userinfo() -> None:
    both = _resolve("http://u:pw@h:1", token="T", headers={"Authorization": "Custom x"})
    assert dict(both.headers)["Authorization"] == "Bearer T"
    header = _resolve("http://u:pw@h:1", headers={"authorization": "Custom x"})
    assert [v for k, v in header.headers if k.lower() == "authorization"] == ["Custom x"]
    assert "pw" not in header.base_url and "pw" not in both.base_url


def test_userinfo_survives_host_mapping_without_leaking_into_the_host_header() -> None:
    config = ClientConfig.resolve(
        "http://u:pw@svc:8202", 10.0, 0, pool=None, limits=None, retry=None, token=None,
        headers=None, hosts={"svc:8202": "127.0.0.1:9"},
    )  # fmt: skip
    headers = dict(config.headers)
    assert config.base_url == "http://127.0.0.1:9" and headers["Host"] == "svc:8202"
    assert headers["Authorization"] == _basic("u:pw")


@pytest.mark.parametrize("transport", ["lean", "aiohttp", "httpx"])
async def test_async_engines_send_basic_auth_from_the_url(
    scripted: Callable[..., tuple[ScriptedApp, str]], transport: str
) -> None:
    app, url = scripted(Step(body=PROFILE))
    with_userinfo = url.replace("://", "://reader:s%3Acret@", 1)
    pool = PoolSettings(transport=transport)
    async with AccountClient(with_userinfo, pool=pool, max_retries=0) as client:
        assert client.base_url == url
        await client.get_account_profile("u1")
    assert app.arrivals[-1].headers["authorization"] == _basic("reader:s:cret")


@pytest.mark.parametrize("transport", ["gevent", "httpx"])
def test_sync_engines_send_basic_auth_from_the_url(
    scripted: Callable[..., tuple[ScriptedApp, str]], transport: str
) -> None:
    app, url = scripted(Step(body=PROFILE))
    with_userinfo = url.replace("://", "://reader:s3cret@", 1)
    pool = PoolSettings(transport=transport)
    with SyncAccountClient(with_userinfo, pool=pool, max_retries=0) as client:
        client.get_account_profile("u1")
    assert app.arrivals[-1].headers["authorization"] == _basic("reader:s3cret")
