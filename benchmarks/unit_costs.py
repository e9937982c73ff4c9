"""Print what the pieces of one update cost in CPU: a Bot API call, a database session, an
ORM statement; and the same for the echo bot's one call. It explains e2e.py's ratio.

Runs the real stack as e2e.py does (SQLite file, the sandbox Bot API over HTTP loopback, the
demo region; gongbae's request budget lifted to 1000/s so no call waits), with the
Application started but idle, and times each piece N times in a row on the event loop:
- Bot API calls through gongbae's bot (AIORateLimiter, HTML defaults, its aiohttp client:
  handlers/http_client.py) and through a bare python-telegram-bot Bot (httpx), as the echo
  bot makes them: sendMessage, editMessageText (both counting the sandbox's side, which runs
  in this process as in e2e.py);
- sendMessage from 64 tasks at once (as 64 updates in flight make them) through a bare Bot
  with httpx and with gongbae's aiohttp client, whose pool holds TELEGRAM_CONNECTIONS
  (gongbae's default 16) or python-telegram-bot's default 256 connections (httpcore scans
  its pool on every request);
- a read session with one ORM select of a user (sessions.reads: no write lock), and each
  further select in it; a write transaction (BEGIN IMMEDIATE) with one update;
- whole service calls as gongbae's handlers make them, with the user's language read as
  translator_for does: a cart view (read session), a quantity change and a cart text
  ("콜라 하나 더" and "콜라 하나 빼줘" in turn: parser and cart edit) in a write transaction,
  with their SQL statements (each BEGIN sent counted, as e2e.py counts them: a read
  session sends none);
- whole updates, one at a time, injected into the sandbox and handled by the Application
  as in e2e.py (the sandbox's side and the replies included): /shops, a cart text, a press
  of ➕ or ➖ (on a cart with no option left to choose: one reply each), /orders. Against
  e2e.py's echo bot CPU per update, they show which kinds of update cost what.
CPU is process time per call (the same clock as e2e.py's "CPU per update"). e2e.py prints the
average calls and statements per update; multiplied by these, they account for most of it.
Run: .venv/bin/python benchmarks/unit_costs.py [--calls 400]
"""

import argparse
import asyncio
import itertools
import logging
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Connection, event, select, update
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.config import local_settings
from bot.runner import Stack
from bot.sandbox import Limits
from bot.services import ordering, text_orders, users
from handlers.http_client import AiohttpRequest
from models import db
from models.user import User

RESIDENT = "resident-jiyoung"
EVENING = datetime(2026, 11, 27, 19, 0, tzinfo=ZoneInfo("Asia/Seoul"))  # all demo shops open


STATEMENTS = [0]  # SQL statements run so far, each BEGIN sent counted (as e2e.py)


def counted(*_args: object) -> None:
    """Count a statement (the engine's before_cursor_execute event)."""
    STATEMENTS[0] += 1


def began(conn: Connection) -> None:
    """Count a transaction's BEGIN, when one is sent (a read session sends none)."""
    if not conn.get_execution_options().get(db.READS):
        STATEMENTS[0] += 1


async def cost(step: Callable[[], Awaitable[object]], calls: int) -> tuple[float, float]:
    """Return CPU ms and SQL statements per call of `step`, after a warm-up."""
    for _ in range(max(20, calls // 10)):
        await step()
    start, statements = time.process_time(), STATEMENTS[0]
    for _ in range(calls):
        await step()
    return (time.process_time() - start) / calls * 1000, (STATEMENTS[0] - statements) / calls


async def at_once(bot: Bot, chat_id: int, calls: int, tasks: int = 64) -> float:
    """CPU ms per sendMessage with `tasks` tasks sending at once."""

    async def sends(n: int) -> None:
        for _ in range(n):
            await bot.send_message(chat_id, "x")

    await asyncio.gather(*(sends(5) for _ in range(tasks)))  # opens the connections
    each = max(20, calls // tasks)
    start = time.process_time()
    await asyncio.gather(*(sends(each) for _ in range(tasks)))
    return (time.process_time() - start) / (each * tasks) * 1000


async def measure(calls: int) -> list[tuple[str, float, float | None]]:
    """Each piece's CPU ms and SQL statements per call."""
    with tempfile.TemporaryDirectory(prefix="gongbae-costs-") as folder:
        return await measure_in(Path(folder), calls)


async def measure_in(folder: Path, calls: int) -> list[tuple[str, float, float | None]]:
    """Each piece's CPU ms and SQL statements per call, on a database in `folder`."""
    settings = local_settings(folder / "costs.sqlite3", telegram_max_rate=1000)
    async with Stack(settings, sandbox_limits=Limits(enabled=False)) as stack:
        assert stack.sandbox is not None  # noqa: S101 (the sandbox stack has both)
        assert stack.application is not None  # noqa: S101
        chat_id = stack.sandbox.find_user(RESIDENT).id
        gongbae = stack.application.bot
        bare = Bot(gongbae.token, base_url=gongbae.base_url.removesuffix(gongbae.token))
        await bare.initialize()
        sent = await gongbae.send_message(chat_id, "costs")
        reads, sessions = stack.deps.reads, stack.deps.sessions
        flip = [False]

        async def edit(bot: Bot) -> None:
            flip[0] = not flip[0]  # an edit to the same text is refused
            await bot.edit_message_text(
                f"costs {flip[0]}", chat_id=chat_id, message_id=sent.message_id
            )

        async def read(selects: int) -> None:
            async with reads() as session:
                for _ in range(selects):
                    await session.scalar(select(User).where(User.telegram_id == chat_id))
                    session.expunge_all()  # a fresh object each time, as another select gets

        async def write() -> None:
            async with sessions.begin() as session:
                await session.execute(
                    update(User).where(User.telegram_id == chat_id).values(username="costs")
                )

        async def read_text(text: str) -> text_orders.Outcome:
            async with sessions.begin() as session:
                await users.locale_of(session, chat_id)
                return await text_orders.read(
                    session, telegram_id=chat_id, text=text, index=index, now=EVENING
                )

        async def view() -> None:
            async with reads() as session:
                await users.locale_of(session, chat_id)
                await ordering.view(session, telegram_id=chat_id, now=EVENING)

        index = stack.deps.menu_index
        assert index is not None  # noqa: S101 (the demo region is loaded)
        ordered = await read_text("한빛치킨 후라이드 한 마리랑 콜라 하나")
        assert ordered.cart is not None  # noqa: S101 (the demo shop is open at EVENING)
        line = ordered.cart.lines[-1]
        quantities = itertools.cycle((1, 2, 3))  # each change a change

        async def change() -> None:
            async with sessions.begin() as session:
                await users.locale_of(session, chat_id)
                await ordering.set_quantity(
                    session,
                    telegram_id=chat_id,
                    line_id=line.id,
                    quantity=next(quantities),
                    now=EVENING,
                )

        texts = itertools.cycle(("콜라 하나 더", "콜라 하나 빼줘"))  # the cart goes back and forth
        Step = Callable[[], Awaitable[object]]
        api: list[tuple[str, Step]] = [
            ("sendMessage, gongbae's bot", lambda: gongbae.send_message(chat_id, "<b>x</b>")),
            ("sendMessage, bare Bot (the echo bot's)", lambda: bare.send_message(chat_id, "x")),
            ("editMessageText, gongbae's bot", lambda: edit(gongbae)),
            ("editMessageText, bare Bot", lambda: edit(bare)),
        ]
        database: list[tuple[str, Step]] = [
            ("read session, 1 ORM select", lambda: read(1)),
            ("read session, 3 ORM selects", lambda: read(3)),
            ("write transaction, 1 update", write),
            ("cart view, read session", view),
            ("cart quantity change, write transaction", change),
            ("cart text, one more / one less coke in turn", lambda: read_text(next(texts))),
        ]
        results: list[tuple[str, float, float | None]] = [
            (label, (await cost(step, calls))[0], None) for label, step in api
        ]
        event.listen(stack.engine.sync_engine, "before_cursor_execute", counted)
        event.listen(stack.engine.sync_engine, "begin", began)
        results += [(label, *await cost(step, calls)) for label, step in database]
        stack.deps.clock = lambda: EVENING  # whole updates: every demo shop open, as above
        sandbox, processor = stack.sandbox, stack.processor

        async def handled(update: dict[str, Any]) -> None:
            await processor.wait_processed(update["update_id"])

        # a cart with nothing left to choose (the one above asks which cut): each reply is
        # the cart alone, with its ➕ and ➖
        await handled(sandbox.send_text(chat_id, "전부 취소"))
        await handled(sandbox.send_text(chat_id, "한빛치킨 양념치킨 하나랑 콜라 두 개"))
        signs = itertools.cycle(("➕", "➖"))
        updates: list[tuple[str, Step]] = [
            ("update: /shops (categories)", lambda: handled(sandbox.send_text(chat_id, "/shops"))),
            (
                "update: cart text (as above, no option open)",
                lambda: handled(sandbox.send_text(chat_id, next(texts))),
            ),
            (
                "update: cart button, ➕ and ➖ in turn",
                lambda: handled(sandbox.press_button(chat_id, next(signs))),
            ),
            ("update: /orders (MY배달)", lambda: handled(sandbox.send_text(chat_id, "/orders"))),
        ]
        results += [(label, *await cost(step, calls // 4)) for label, step in updates]
        await bare.shutdown()
        for size in (settings.telegram_connections, 256):
            for client, request in (
                ("httpx", HTTPXRequest(connection_pool_size=size)),
                ("aiohttp", AiohttpRequest(size)),
            ):
                pooled = Bot(
                    bare.token, base_url=bare.base_url.removesuffix(bare.token), request=request
                )
                await pooled.initialize()
                label = f"sendMessage, 64 at once, {client}, pool of {size}"
                results.append((label, await at_once(pooled, chat_id, calls * 2), None))
                await pooled.shutdown()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400, help="timed calls of each piece")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    results = {label: (cost, sql) for label, cost, sql in asyncio.run(measure(args.calls))}
    one = results["read session, 1 ORM select"][0]
    three = results["read session, 3 ORM selects"][0]
    for label, (cost, sql) in results.items():
        statements = f"  {sql:4.1f} SQL statements, BEGIN included" if sql is not None else ""
        print(f"{label:44} {cost:6.2f} ms CPU{statements}")
        if label == "read session, 3 ORM selects":
            print(f"{'each further select in a session':44} {(three - one) / 2:6.2f} ms CPU")


if __name__ == "__main__":
    main()
