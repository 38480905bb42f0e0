"""A TCP front on loopback that accepts new connections slowly, one at a time.

Like a service whose accept loop is starved (a busy single thread, a full
backlog): each new connection waits its turn, then ``accept_s`` more, before
its bytes reach the upstream server. Connections already accepted are piped
without delay, so kept-alive connections stay fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from types import TracebackType


class SlowAcceptProxy:
    """``with SlowAcceptProxy(upstream_port, accept_s=0.05) as proxy:``, then ``proxy.url``."""

    def __init__(self, upstream_port: int, *, accept_s: float) -> None:
        self._upstream = upstream_port
        self._accept_s = accept_s
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._stop: asyncio.Event | None = None
        self.port = 0
        self.accepted = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> SlowAcceptProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the slow-accept proxy did not start")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _serve(self) -> None:
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        gate = asyncio.Lock()
        handlers: set[asyncio.Task[None]] = set()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            if task is not None:
                handlers.add(task)
                task.add_done_callback(handlers.discard)
            async with gate:  # one accept at a time, each slow
                await asyncio.sleep(self._accept_s)
                self.accepted += 1
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._upstream)
            except OSError:
                writer.close()
                return
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()
            for task in list(handlers):  # connections still open when the test ends
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(ConnectionError, OSError):
            writer.close()
