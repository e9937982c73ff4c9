"""handlers/http_client.py against real sockets: what python-telegram-bot expects of a request.

Calls through the sandbox (form fields, photos and documents in multipart, file downloads)
are covered by the e2e tests, which all go through this client; here, what goes wrong."""

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from handlers.http_client import AiohttpRequest

Reply = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def server(reply: Reply) -> AsyncIterator[str]:
    """A raw HTTP server on loopback answering each connection with `reply`."""
    srv = await asyncio.start_server(reply, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/botTOKEN/getMe"
    finally:
        srv.close()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + await reader.readexactly(length)


RECEIVED: list[bytes] = []


async def answers_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        try:
            RECEIVED.append(await read_request(reader))
        except asyncio.IncompleteReadError:
            break
        body = b'{"ok":true,"result":true}'
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
    writer.close()


async def never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    await asyncio.sleep(30)


async def hangs_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.close()


def form(**fields: str) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in fields.items()])


@pytest.fixture
async def client() -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest(1, pool_timeout=0.2)
    await request.initialize()
    yield request
    await request.shutdown()


async def test_sends_json_and_returns_status_and_body(client: AiohttpRequest) -> None:
    RECEIVED.clear()
    async with server(answers_ok) as url:
        status, body = await client.do_request(url, "POST", form(chat_id="7", text="안녕 <b>"))
    assert (status, body) == (200, b'{"ok":true,"result":true}')
    head, sent = RECEIVED[0].split(b"\r\n\r\n", 1)
    assert b"content-type: application/json" in head.lower()
    assert b"user-agent: python-telegram-bot" in head.lower()
    assert json.loads(sent) == {"chat_id": "7", "text": "안녕 <b>"}


async def test_a_reply_that_never_comes_is_timed_out(client: AiohttpRequest) -> None:
    async with server(never_answers) as url:
        with pytest.raises(TimedOut):
            await client.do_request(url, "POST", form(a="1"), read_timeout=0.2)


async def test_waiting_too_long_for_a_pooled_connection_is_timed_out(
    client: AiohttpRequest,
) -> None:
    async with server(never_answers) as url:
        first = asyncio.create_task(client.do_request(url, "POST", form(a="1"), read_timeout=None))
        await asyncio.sleep(0.1)  # holds the pool's one connection
        with pytest.raises(TimedOut):  # the pool's 0.2 s plus connecting's 0.1 s
            await client.do_request(url, "POST", form(a="2"), connect_timeout=0.1)
        assert not first.done()
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await first


async def test_a_closed_connection_is_a_network_error(client: AiohttpRequest) -> None:
    async with server(hangs_up) as url:
        with pytest.raises(NetworkError, match="aiohttp"):
            await client.do_request(url, "POST", form(a="1"))


async def test_nobody_listening_is_a_network_error(client: AiohttpRequest) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # free once closed
    with pytest.raises(NetworkError):
        await client.do_request(f"http://127.0.0.1:{port}/botTOKEN/getMe", "POST", None)


async def test_not_initialized_or_shut_down_refuses() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/", "POST")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/", "POST")
