"""With a token and TELEGRAM_API_BASE_URL, gongbae long-polls any Bot API server over HTTP."""

import asyncio
import logging
import socket
from pathlib import Path

import pytest
import uvicorn

from bot.runner import Stack
from bot.sandbox import Sandbox, create_sandbox_app
from bot.services import demo
from tests.e2e.conftest import e2e_settings
from tests.e2e.harness import ChatClient

TOKEN = "987654321:AAExternalServerToken_abcdefghijkl"


async def test_bot_runs_against_a_separate_bot_api_server(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server_api = Sandbox(token=TOKEN)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_sandbox_app(server_api), log_level="warning", lifespan="on")
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 (uvicorn only offers a flag)
        await asyncio.sleep(0.01)

    settings = e2e_settings(
        tmp_path,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=f"http://127.0.0.1:{port}",
        log_level="INFO",
    )
    stack = Stack(settings)
    # Outside the sandbox the region comes from `import-menu`; personas are only for the demo.
    await stack.start_web()
    async with stack.deps.sessions.begin() as session:
        personas = await demo.seed(session, settings.demo_pack, settings.demo_personas)
    for persona in personas:
        server_api.add_persona(persona)
    caplog.set_level(logging.INFO)
    try:
        assert stack.sandbox is None
        await stack.start_bot()
        stack.sandbox = server_api  # only for the test client to reach the users
        chat = ChatClient(stack)
        [prompt] = await chat.send("resident-alex", "/start")
        assert "Please choose your language." in (prompt.text or "")
        greeting, *_ = await chat.press("resident-alex", "English")
        assert "Hello, Alex!" in (greeting.text or "")
    finally:
        stack.sandbox = None
        await stack.close()
        server.should_exit = True
        server_api.close()
        await serving
        sock.close()
    assert server_api.api_calls["getUpdates"] >= 1
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Update 1 from chat" in logged
    assert TOKEN not in logged
    assert TOKEN.split(":")[1] not in logged
