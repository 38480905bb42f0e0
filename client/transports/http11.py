"""HTTP/1.1 on the wire, shared by the lean (asyncio) and gevent engines.

Both engines speak the same small dialect: one request head built from
pre-encoded fixed headers, one answer parsed by httptools (llhttp, in C)
with Python called back only for what the client needs (the status, the
body, ``Retry-After``, keep-alive). Only how bytes move differs: asyncio
protocol callbacks in one, blocking gevent sockets in the other.
"""

from __future__ import annotations

from urllib.parse import SplitResult

import httptools

from client.errors import AccountTransportError

_CONTENT_METHODS = frozenset({"POST", "PUT", "PATCH"})
#: RFC 9110 9.2.2: sending one of these twice has the effect of sending it once
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})


def may_resend(method: str, *, unprocessed: bool) -> bool:
    """The one re-send rule: may a request that met a dead keep-alive connection go again?

    A server may close an idle keep-alive connection just as we reuse it; the
    request then gets no answer, and whether the server acted on it is
    unknown. It is re-sent (once, on a fresh connection, inside the same
    attempt) only when the server cannot have processed any of it:
    ``unprocessed`` is true only when the connection was known closed before
    the request was written, or its very first write was refused (reset or
    broken pipe) so that no byte left. Otherwise only an idempotent method is
    re-sent: a POST (``ensure``) that may have been processed is not, and the
    caller gets :class:`~client.errors.AccountTransportError` (the client's
    retry policy decides what happens next, as for any dropped connection).
    """
    return unprocessed or method in IDEMPOTENT_METHODS


def not_resent(method: str, *, new: bool) -> AccountTransportError:
    """The error for a request whose connection closed before any answer and that stays unsent:
    a fresh connection died under it, or :func:`may_resend` said no."""
    reason = "" if new else f" (a {method} is not re-sent)"
    return AccountTransportError("connection closed before any answer" + reason)


class RequestWriter:
    """Request bytes for one origin: the varying line and body around a fixed head."""

    __slots__ = ("_fixed", "_prefix")

    def __init__(self, url: SplitResult, headers: dict[str, str], keepalive: bool) -> None:
        self._prefix = url.path.rstrip("/")
        fixed = {"Host": url.netloc}
        fixed.update(headers)  # a caller's Host wins
        for name in [k for k in fixed if k.lower() == "host" and k != "Host"]:
            fixed["Host"] = fixed.pop(name)
        if not keepalive:
            fixed["Connection"] = "close"
        for name, value in fixed.items():
            if any(c in f"{name}{value}" for c in "\r\n"):
                raise ValueError(f"header {name!r} contains a line break")
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in fixed.items()).encode("latin-1")

    def request(self, method: str, target: str, body: bytes | None) -> bytes:
        line = f"{method} {self._prefix}{target} HTTP/1.1\r\n".encode("latin-1")
        if body is None:
            # RFC 9110 8.6: a length only where the method expects content
            empty = b"Content-Length: 0\r\n" if method in _CONTENT_METHODS else b""
            return line + self._fixed + empty + b"\r\n"
        return (
            line
            + self._fixed
            + b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
            + body
        )


class ResponseReader:
    """One connection's answers, fed as bytes arrive; :meth:`start` before each request.

    Interim (1xx) answers are skipped; an answer with neither a length nor
    chunks ends when the server closes the connection (:meth:`close`).
    """

    __slots__ = (
        "_delimited",
        "_parser",
        "_parts",
        "done",
        "headers_done",
        "keep_alive",
        "retry_after",
        "status",
    )

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self.start()

    def start(self) -> None:
        self._parts: list[bytes] = []
        self.status = 0
        self.retry_after: str | None = None
        self.keep_alive = True
        self.headers_done = False
        self._delimited = False  # Content-Length or Transfer-Encoding seen
        self.done = False

    def feed(self, data: bytes) -> bool:
        """Parse what arrived; True once the answer is complete."""
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            raise AccountTransportError(f"malformed HTTP answer: {error}") from None
        return self.done

    def close(self) -> bool:
        """The server closed the connection: True if that completes the answer."""
        if self.headers_done and not self.done and not self._delimited:
            self.done, self.keep_alive = True, False
        return self.done

    @property
    def body(self) -> bytes:
        parts = self._parts
        return parts[0] if len(parts) == 1 else b"".join(parts)

    # -- httptools callbacks ----------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        n = len(name)
        if n == 11 and name.lower() == b"retry-after":
            self.retry_after = value.decode("latin-1")
        elif (n == 14 and name.lower() == b"content-length") or (
            n == 17 and name.lower() == b"transfer-encoding"
        ):
            self._delimited = True

    def on_headers_complete(self) -> None:
        self.status = self._parser.get_status_code()
        self.keep_alive = self._parser.should_keep_alive()
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self._parts.append(body)

    def on_message_complete(self) -> None:
        if 100 <= self.status < 200 and self.status != 101:
            self.start()  # an interim answer (100 Continue, 103 Early Hints): the real one follows
            return
        self.done = True
