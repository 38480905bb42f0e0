"""results.redaction: URL userinfo, secret flags, the registry, and the writers that scrub."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from results.meta import base_meta
from results.redaction import (
    MASK,
    clear_secrets,
    redact_argv,
    redact_url,
    register_secret,
    register_url,
    register_userinfo,
    scrub,
)
from results.run_folder import RunFolder, write_text


@pytest.fixture(autouse=True)
def empty_registry() -> Iterator[None]:
    clear_secrets()
    yield
    clear_secrets()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pass@host", "https://***@host"),
        ("http://u:p@127.0.0.1:8202/api/v1?x=1#f", "http://***@127.0.0.1:8202/api/v1?x=1#f"),
        ("http://tok3n@[::1]:80/", "http://***@[::1]:80/"),
        ("http://a%40b:p%3Aw@host", "http://***@host"),
        ("http://host:8202/path?email=a@b.example", "http://host:8202/path?email=a@b.example"),
        ("http://host", "http://host"),
    ],
)
def test_redact_url_masks_userinfo_and_keeps_the_rest(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_url_works_inside_text_and_leaves_compact_json_alone() -> None:
    text = "ConnectError: --target http://u:pw@h:1 does not answer"
    assert redact_url(text) == "ConnectError: --target http://***@h:1 does not answer"
    compact = '{"target":"http://host","email":"x@y.example"}'
    assert redact_url(compact) == compact


def test_redact_argv_masks_secret_flags_in_every_spelling() -> None:
    argv = [
        "run",
        "--token",
        "T1",
        "--token=T2",
        "--tok",
        "T3",
        "--client-key",
        "/keys/me.pem",
        "--client-key=/keys/other.pem",
        "--pool",
        "max_connections=5,client_key=/keys/third.pem,transport=httpx",
        "--target",
        "http://user:pw@host:1",
        "--label",
        "T-label",
    ]
    out = redact_argv(argv)
    assert out == [
        "run",
        "--token",
        MASK,
        f"--token={MASK}",
        "--tok",
        MASK,
        "--client-key",
        MASK,
        f"--client-key={MASK}",
        "--pool",
        f"max_connections=5,client_key={MASK},transport=httpx",
        "--target",
        "http://***@host:1",
        "--label",
        "T-label",
    ]
    assert redact_argv(["--token"]) == ["--token"]  # a dangling flag hides nothing, breaks nothing


def test_scrub_masks_every_registered_value_in_every_spelling() -> None:
    assert scrub("nothing registered: s3cret") == "nothing registered: s3cret"
    register_secret('s3cr"et/é')
    register_secret(None)
    register_secret("")
    as_json = json.dumps({"t": 'Bearer s3cr"et/é'})  # escaped quote, \u00e9
    assert "s3cr" not in scrub(as_json) and json.loads(scrub(as_json)) == {"t": f"Bearer {MASK}"}
    assert scrub('raw s3cr"et/é and quoted s3cr%22et%2F%C3%A9') == f"raw {MASK} and quoted {MASK}"


def test_register_url_and_userinfo_take_the_password_as_written_and_decoded() -> None:
    register_url("http://user:p%40ss@host:1")
    assert scrub("a p%40ss b p@ss c") == f"a {MASK} b {MASK} c"
    assert scrub("user stays") == "user stays"  # a user name is not a secret
    register_userinfo("admin:hunter2")
    register_url("not a url [::1")  # no userinfo, no crash
    assert scrub("hunter2") == MASK


def test_base_meta_redacts_command_target_and_key_path(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["bench.py", "run", "--token", "Tq9", "--target", "http://u:pw9@h:1"]
    monkeypatch.setattr(sys, "argv", argv)
    meta = base_meta(
        "run",
        token="Tq9",
        target="http://u:pw9@h:1",
        pool={"label": "lean", "client_key": "/k.pem"},
    )
    assert meta["command"] == f"bench.py run --token {MASK} --target http://***@h:1"
    assert meta["target"] == "http://***@h:1"
    assert meta["pool"] == {"label": "lean", "client_key": MASK}
    assert meta["auth"] == f"bearer token {MASK}"
    assert "Tq9" not in json.dumps(meta) and "pw9" not in json.dumps(meta)
    # the token and password are now registered: any later write is scrubbed of them too
    assert scrub("Tq9 pw9") == f"{MASK} {MASK}"


def test_base_meta_says_basic_auth_and_nothing_without_credentials() -> None:
    assert base_meta("run", target="http://u:pw@h:1")["auth"].startswith("basic")
    assert base_meta("run", target="http://h:1")["auth"] is None


def test_run_folder_writes_no_registered_secret(tmp_path: Path) -> None:
    register_secret("tok-XYZ")
    folder = RunFolder(tmp_path)
    folder.write_json("summary.json", {"note": "sent tok-XYZ", "path": Path("/a/tok-XYZ")})
    folder.write_text("notes.txt", "tok-XYZ and http://u:p@h")
    write_text(tmp_path / "table.csv", "a,b\ntok-XYZ,1\n")
    for path in tmp_path.iterdir():
        assert b"tok-XYZ" not in path.read_bytes(), path.name
    assert json.loads((tmp_path / "summary.json").read_text()) == {
        "note": f"sent {MASK}",
        "path": f"/a/{MASK}",
    }
    assert (tmp_path / "notes.txt").read_text() == f"{MASK} and http://***@h"
