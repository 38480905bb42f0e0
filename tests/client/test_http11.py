"""The HTTP/1.1 dialect shared by the lean and gevent engines: pure logic, no sockets."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from client.errors import AccountTransportError
from client.transports.http11 import RequestWriter, ResponseReader


def _head(request: bytes) -> list[bytes]:
    head, _, _ = request.partition(b"\r\n\r\n")
    return head.split(b"\r\n")


def test_request_line_prefix_and_fixed_headers() -> None:
    writer = RequestWriter(urlsplit("http://svc.local:8202/base/"), {"X-Trace": "1"}, True)
    lines = _head(writer.request("GET", "/api/v1/health", None))
    assert lines[0] == b"GET /base/api/v1/health HTTP/1.1"
    assert b"Host: svc.local:8202" in lines and b"X-Trace: 1" in lines
    assert b"Connection: close" not in lines
    assert not any(line.startswith(b"Content-Length") for line in lines)  # RFC 9110 8.6


def test_an_empty_put_still_says_its_length() -> None:
    writer = RequestWriter(urlsplit("http://h"), {}, True)
    assert b"Content-Length: 0" in _head(writer.request("PUT", "/x", None))


def test_body_gets_its_length_and_type() -> None:
    writer = RequestWriter(urlsplit("http://h"), {}, True)
    request = writer.request("POST", "/x", b'{"a":1}')
    assert b"Content-Length: 7" in _head(request)
    assert b"Content-Type: application/json" in _head(request)
    assert request.endswith(b'\r\n\r\n{"a":1}')


def test_callers_host_wins_and_no_keepalive_says_close() -> None:
    writer = RequestWriter(urlsplit("http://127.0.0.1:9"), {"host": "accounts.internal"}, False)
    lines = _head(writer.request("GET", "/", None))
    assert [line for line in lines if line.lower().startswith(b"host:")] == [
        b"Host: accounts.internal"
    ]
    assert b"Connection: close" in lines


def test_header_injection_is_refused() -> None:
    with pytest.raises(ValueError, match="line break"):
        RequestWriter(urlsplit("http://h"), {"X-Evil": "a\r\nX-Other: b"}, True)


ANSWER = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\ncontent-type: application/json\r\n"
    b'Transfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n3\r\n 1}\r\n0\r\n\r\n'
)


def test_reader_follows_an_answer_fed_byte_by_byte() -> None:
    reader = ResponseReader()
    done = [reader.feed(ANSWER[i : i + 1]) for i in range(len(ANSWER))]
    assert done[-1] is True and not any(done[:-1])
    assert (reader.status, reader.body, reader.retry_after) == (503, b'{"a": 1}', "2")
    assert reader.keep_alive is True


def test_reader_reads_the_next_answer_on_the_same_connection() -> None:
    reader = ResponseReader()
    assert reader.feed(ANSWER)
    reader.start()
    assert reader.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
    assert (reader.status, reader.body, reader.retry_after) == (200, b"{}", None)
    assert reader.keep_alive is False


def test_malformed_answer_is_a_transport_error() -> None:
    with pytest.raises(AccountTransportError, match="malformed"):
        ResponseReader().feed(b"HTTP/1.1 2OO OK\r\n\r\n")
