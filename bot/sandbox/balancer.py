"""A round-robin HTTP balancer: a local stand-in for the load balancer in front of several
gongbae instances (the webhook tests and benchmarks/scale.py put it between the sandbox's
webhook delivery and the instances).

Each request goes to the next instance in turn; an instance that refuses the connection is
skipped for that request, as a balancer's health check would. `redeliver` posts that share
of the requests to a second instance as well, as Telegram does when a webhook answered late.

It speaks just enough HTTP/1.1 for that (bodies with Content-Length, keep-alive on both
sides) on plain asyncio streams: a balancer written with a web framework and an HTTP client
cost about 2 ms of CPU per request, which the benchmark would have charged to the instances
sharing the machine.
"""

import asyncio
import random
from collections import Counter
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class BadMessage(Exception):
    """Not an HTTP/1.1 message this balancer can relay."""


async def read_message(reader: asyncio.StreamReader) -> tuple[bytes, bytes] | None:
    """One request or response: (head with its blank line, body); None at end of stream."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as err:
        if err.partial:
            raise BadMessage("truncated head") from err
        return None
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding":
            raise BadMessage("chunked bodies are not relayed")
    body = await reader.readexactly(length) if length else b""
    return head, body


class RoundRobin:
    """Listen on a loopback port; relay each request to the backends (base URLs) in turn."""

    def __init__(
        self, backends: list[str] | None = None, *, redeliver: float = 0.0, seed: int = 1
    ) -> None:
        self.backends = list(backends or [])
        self.redeliver = redeliver
        self.forwarded: Counter[str] = Counter()  # backend -> requests it answered
        self.redelivered = 0
        self.url = ""
        self._next = 0
        self._rng = random.Random(seed)  # noqa: S311 (which requests to repeat)
        self._idle: dict[str, list[Connection]] = {}
        self._server: asyncio.Server | None = None
        self._clients: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._clients.values()):
            writer.close()  # the client's next read ends its loop
        if self._clients:
            await asyncio.wait(list(self._clients))
        for connections in self._idle.values():
            for _reader, writer in connections:
                writer.close()
        self._idle.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None  # noqa: S101 (a server callback runs in a task)
        self._clients[task] = writer
        try:
            while (request := await read_message(reader)) is not None:
                writer.write(await self._relay(*request))
                await writer.drain()
        except (BadMessage, ConnectionError, ValueError, asyncio.IncompleteReadError):
            pass  # a client that went away or sent what this balancer does not relay
        finally:
            del self._clients[task]
            writer.close()

    async def _relay(self, head: bytes, body: bytes) -> bytes:
        """The answer of the next live backend, as bytes to send back."""
        first = self._next
        self._next = (self._next + 1) % max(len(self.backends), 1)
        for step in range(len(self.backends)):
            backend = self.backends[(first + step) % len(self.backends)]
            answer = await self._exchange(backend, head, body)
            if answer is None:
                continue  # that instance is down: the next one
            self.forwarded[backend] += 1
            if len(self.backends) > 1 and self._rng.random() < self.redeliver:
                other = self._rng.choice([b for b in self.backends if b != backend])
                if await self._exchange(other, head, body) is not None:
                    self.redelivered += 1
            return answer
        return b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n"

    async def _exchange(self, backend: str, head: bytes, body: bytes) -> bytes | None:
        """Send a request to a backend over a kept-alive connection; None when it is down."""
        pool = self._idle.setdefault(backend, [])
        while True:
            fresh = not pool  # a kept-alive connection the backend closed: try the next
            try:
                if fresh:
                    address = urlsplit(backend)
                    reader, writer = await asyncio.open_connection(address.hostname, address.port)
                else:
                    reader, writer = pool.pop()
            except OSError:
                return None
            try:
                writer.write(head + body)
                await writer.drain()
                answer = await read_message(reader)
            except (OSError, BadMessage, asyncio.IncompleteReadError):
                answer = None
            if answer is not None:
                pool.append((reader, writer))
                return answer[0] + answer[1]
            writer.close()
            if fresh:
                return None
