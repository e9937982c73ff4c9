"""handlers/http_client.py against a raw HTTP server on loopback: bodies as the Bot API takes
them, timeouts and network errors as python-telegram-bot expects them, and no token in any
error. Every e2e test also goes through this client, against the sandbox."""

import asyncio
import contextlib
import json
import socket
import traceback
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Self

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest

from handlers.http_client import AiohttpRequest, redact

TOKEN = "123456:SECRET-token_value"
ME = {"id": 123456, "is_bot": True, "first_name": "gongbae", "username": "gongbae_bot"}
MESSAGE = {"message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"}}


class Server:
    """A raw HTTP/1.1 server: answers Bot API calls ("answer"), reads a request and never
    answers ("stall"), or reads it and closes the connection ("hang up")."""

    def __init__(self, mode: str = "answer") -> None:
        self.mode = mode
        self.requests: list[tuple[bytes, bytes]] = []  # (head, body)
        self.connections = 0
        self.arrived = asyncio.Event()
        self._release = asyncio.Event()
        self._writers: list[asyncio.StreamWriter] = []
        self.base = ""

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.base = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self._release.set()
        for writer in self._writers:
            writer.close()
        self._server.close()

    def url(self, method: str) -> str:
        return f"{self.base}/bot{TOKEN}/{method}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                self.requests.append((head, await reader.readexactly(length)))
                self.arrived.set()
                if self.mode == "stall":
                    await self._release.wait()
                    return
                if self.mode == "hang up":
                    writer.close()
                    return
                result = ME if b"/getMe " in head else MESSAGE
                body = json.dumps({"ok": True, "result": result}).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()


@pytest.fixture
async def client() -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest(1, pool_timeout=0.2)
    await request.initialize()
    yield request
    await request.shutdown()


def no_token(error: BaseException) -> None:
    shown = "".join(traceback.format_exception(error))
    assert TOKEN not in shown
    assert "SECRET" not in shown


async def test_parameters_go_as_json() -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("담기 ➕", callback_data="x")]])
    async with Server() as server:
        bot = Bot(TOKEN, base_url=f"{server.base}/bot", request=AiohttpRequest(1))
        async with bot:
            await bot.send_message(7, "안녕 <b>", reply_markup=keyboard)
    head, body = server.requests[-1]
    assert b"content-type: application/json" in head.lower()
    assert b"user-agent: python-telegram-bot" in head.lower()
    sent = json.loads(body)
    assert (sent["chat_id"], sent["text"]) == ("7", "안녕 <b>")  # as a form would carry them
    assert json.loads(sent["reply_markup"]) == keyboard.to_dict()


async def test_files_go_as_multipart_with_a_readable_name() -> None:
    async with Server() as server:
        bot = Bot(TOKEN, base_url=f"{server.base}/bot", request=AiohttpRequest(1))
        async with bot:
            await bot.send_document(7, b"menu,price\n", filename="메뉴 판.csv", caption="표")
    head, body = server.requests[-1]
    assert b"content-type: multipart/form-data" in head.lower()
    assert 'filename="메뉴 판.csv"'.encode() in body
    assert b"menu,price\n" in body
    assert b'name="caption"' in body
    assert "표".encode() in body


async def test_an_answer_that_never_comes_is_timed_out(client: AiohttpRequest) -> None:
    async with Server("stall") as server:
        with pytest.raises(TimedOut) as caught:
            await client.do_request(server.url("getMe"), "POST", read_timeout=0.2)
    no_token(caught.value)


async def test_waiting_too_long_for_a_pooled_connection_is_timed_out(
    client: AiohttpRequest,
) -> None:
    async with Server("stall") as server:
        first = asyncio.create_task(client.do_request(server.url("a"), "POST", read_timeout=None))
        await server.arrived.wait()  # the pool's one connection is taken
        async with asyncio.timeout(2):  # the pool's 0.2 s plus connecting's 0.1 s, not forever
            with pytest.raises(TimedOut, match=r"not\* sent") as caught:
                await client.do_request(
                    server.url("b"), "POST", read_timeout=None, connect_timeout=0.1
                )
        assert not first.done()
        assert (server.connections, len(server.requests)) == (1, 1)
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await first
    no_token(caught.value)


async def test_a_closed_connection_is_a_network_error_without_the_token(
    client: AiohttpRequest,
) -> None:
    async with Server("hang up") as server:
        with pytest.raises(NetworkError, match="aiohttp") as caught:
            await client.do_request(server.url("getMe"), "POST")
    no_token(caught.value)


async def test_nobody_listening_is_a_network_error_without_the_token(
    client: AiohttpRequest,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # free once closed
    with pytest.raises(NetworkError) as caught:
        await client.do_request(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe", "POST")
    no_token(caught.value)


async def test_the_environments_proxy_is_used_unless_no_proxy_names_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with Server() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base)
        monkeypatch.setenv("NO_PROXY", "direct.invalid")
        request = AiohttpRequest(1)
        await request.initialize()
        try:
            status, _ = await request.do_request(f"http://api.invalid/bot{TOKEN}/getMe", "POST")
            with pytest.raises(NetworkError):  # not through the proxy: no such host
                await request.do_request(f"http://direct.invalid/bot{TOKEN}/getMe", "POST")
        finally:
            await request.shutdown()
    assert status == 200
    [(head, _body)] = proxy.requests
    assert head.startswith(f"POST http://api.invalid/bot{TOKEN}/getMe HTTP/1.1".encode())


D = BaseRequest.DEFAULT_NONE
TIMEOUTS = [
    # (read, write, connect, pool, files) -> (total, connect, sock_connect, sock_read)
    ((D, D, D, D, False), (5 + 5 + 5 + 1, 1 + 5, 5, 5)),  # the client's own
    ((D, D, D, D, True), (5 + 20 + 5 + 1, 1 + 5, 5, 5)),  # an upload writes longer
    ((40, D, D, D, False), (40 + 5 + 5 + 1, 1 + 5, 5, 40)),  # getUpdates' long poll
    ((None, D, D, D, False), (None, 1 + 5, 5, None)),  # no read timeout: no total either
    ((1, 2, 3, 4, True), (10, 7, 3, 1)),
    ((D, D, None, D, False), (None, None, None, 5)),
]


@pytest.mark.parametrize(("given", "expected"), TIMEOUTS)
def test_timeouts(given: tuple[Any, ...], expected: tuple[float | None, ...]) -> None:
    read, write, connect, pool, files = given
    timeout = AiohttpRequest().timeout(
        read=read, write=write, connect=connect, pool=pool, files=files
    )
    assert (timeout.total, timeout.connect, timeout.sock_connect, timeout.sock_read) == expected


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"Cannot connect to host http://h:1/bot{TOKEN}/getMe", "http://h:1/bot<token>/getMe"),
        (f"url='http://h/file/bot{TOKEN}/photos/a.jpg'", "url='http://h/file/bot<token>/photos"),
        ("Server disconnected", "Server disconnected"),
    ],
)
def test_redact(text: str, shown: str) -> None:
    assert shown in redact(text)
    assert "SECRET" not in redact(text)


async def test_not_initialized_or_shut_down_refuses() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/", "POST")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/", "POST")
