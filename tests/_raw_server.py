"""A raw TCP server on loopback that answers each request with scripted bytes.

For the wire cases a well-behaved ASGI server never produces: answers
ended by closing the connection, interim 1xx answers, a connection dropped
in the middle of an answer, a malformed head.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    data: bytes
    close: bool = False  # close the connection after sending ``data``


class RawServer:
    """``with RawServer(Answer(...), ...) as server:``, then ``server.url``.

    Requests take the answers in order; the last one repeats.
    """

    def __init__(self, *answers: Answer) -> None:
        self._answers = list(answers)
        self._lock = threading.Lock()
        self.requests = 0
        self.connections = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()

    def _next(self) -> Answer:
        with self._lock:
            answer = self._answers[min(self.requests, len(self._answers) - 1)]
            self.requests += 1
            return answer

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        buffer = b""
        with conn:
            while not self._stop.is_set():
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                buffer = buffer[length:]
                answer = self._next()
                conn.sendall(answer.data)
                if answer.close:
                    return
