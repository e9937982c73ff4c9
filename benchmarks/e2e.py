"""Print end-to-end updates/s and update-to-reply latency, against a python-telegram-bot echo bot.

The whole stack runs in this process, as `python main.py run` does without a token: SQLite
file, the sandbox Bot API, and the real Application polling it over HTTP loopback, with the
demo region at 19:00 (every shop open). N simulated residents (80% Korean, 20% English) go
round a realistic script: /start, browse (🍽 button, a category, a shop), a free-text order
("한빛치킨 후라이드 한 마리랑 콜라 하나"), answering the option question, cart edits by text
("콜라 하나 더", "후라이드 빼줘") and by button (➕, ➖), /orders, and emptying the cart.
Each resident starts at a random point of its script, so the mix is steady from the start.

Warm-up (not measured): every resident sends /start, picks its language, answers the ads
question and orders once, through the bot, so they are known users with a cart, as after a
first conversation (this also warms the database, the menu index and the HTTP connections).

Measured, one after the other:
1. gongbae, closed loop: every resident sends its next update as soon as the previous one
   is fully handled; updates/s over --seconds.
2. gongbae, open loop: --rate updates/s on a fixed schedule, each from an idle resident;
   p50/p99/max from injecting the update into the sandbox to the bot's reply in that chat:
   the first message sent or edited (for a press answered only by a toast, that answer), and
   to the update being fully handled; the same by kind of update. Several rates may be given.
3. echo bot: a minimal python-telegram-bot Application on a sandbox of its own (the same
   code, served by uvicorn): a MessageHandler echoing the text with one inline button and a
   CallbackQueryHandler answering it, driven closed loop by the same residents sending the
   same texts and pressing in the same share as above. Its updates/s is the baseline. It
   handles updates one at a time (PTB's default), which is faster here than 64 at once.
4. cart bot: the same, but replying as gongbae does, with none of gongbae's work in between
   (no database, parser, rate limiter or update processor): for a text, a cart (text and
   buttons made by gongbae's own rendering code from carts residents held at the end of
   phase 2) sent through gongbae's HTTP client; for a press of ➕, an answer and an edit to
   another cart. Its CPU per update is the floor under gongbae's for replies like gongbae's;
   the rest of gongbae's is that work.

The sandbox's flood limits (30/s per bot, about 1/s per chat) are off for every bot: with
them, N residents would be throttled to Telegram's limits rather than measure the bot.
gongbae's own AIORateLimiter caps requests carrying a chat_id (sends and edits) at
TELEGRAM_MAX_RATE; it is lifted to --max-rate (1000, the setting's maximum) to measure the
bot itself; --max-rate 30 runs it as configured by default (Telegram's 30 messages/s).
Everything shares one event loop and one CPU (the bot, the sandbox, the residents), for
gongbae and the echo bot alike; CPU ms per update is process time over the same window.
Also printed: CPU per update, Bot API calls and SQL statements per update, the wait for
SQLite's write lock, event loop lag and full garbage collections; --profile adds where the
time goes by package (cProfile; it slows everything down).
Run: .venv/bin/python benchmarks/e2e.py [--residents 200] [--seconds 20] [--rate 50 [30 ...]]
     [--max-rate 1000] [--echo-concurrency 1] [--profile [--profile-out FILE]]
"""

import argparse
import asyncio
import contextlib
import cProfile
import gc
import logging
import math
import pstats
import random
import re
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Connection, event  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update  # noqa: E402
from telegram.constants import ParseMode  # noqa: E402
from telegram.ext import (  # noqa: E402
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.config import local_settings  # noqa: E402
from bot.i18n import I18n  # noqa: E402
from bot.runner import Stack  # noqa: E402
from bot.sandbox import (  # noqa: E402
    Limits,
    MessageRecord,
    Sandbox,
    SandboxError,
    create_sandbox_routes,
)
from bot.sandbox.records import ChatRecord  # noqa: E402
from bot.sandbox.serving import serve_routes  # noqa: E402
from bot.services import ordering  # noqa: E402
from bot.services.ordering import CartView  # noqa: E402
from handlers.callbacks import Signer  # noqa: E402
from handlers.cart_render import cart_keyboard, cart_text  # noqa: E402
from handlers.http_client import AiohttpRequest  # noqa: E402
from handlers.render import Keyboard  # noqa: E402
from models import db, sqlite_driver  # noqa: E402

BASE = 800000  # residents' telegram ids: BASE .. BASE + N - 1
EVENING = datetime(2026, 11, 27, 19, 0, tzinfo=ZoneInfo("Asia/Seoul"))  # all demo shops open
TIMEOUT = 30.0  # an update not answered by then counts as lost
CARTS = 10  # residents whose carts the cart bot shows
KINDS = ("command", "browse button", "order text", "cart text", "cart button")

# (order, one more, remove): free-text orders that name their shop, and edits that fit them
KO_ORDERS = [
    ("한빛치킨 후라이드 한 마리랑 콜라 하나", "콜라 하나 더", "후라이드 빼줘"),
    ("청라반점 짜장면 두 개랑 탕수육 하나", "짜장면 하나 더", "탕수육 빼줘"),
    ("엄마손분식 떡볶이 1인분이랑 김밥 두 줄", "김밥 한 줄 더", "떡볶이 빼줘"),
    ("피자마을 페퍼로니 라지 하나랑 콜라", "콜라 하나 더", "콜라 빼줘"),
    ("서구밥상 불고기 하나랑 공기밥 2개", "공기밥 하나 더", "불고기 빼줘"),
]
EN_ORDERS = [
    ("one fried chicken and a coke from hanbit chicken", "one more coke", "remove the coke"),
    ("from seogu bapsang: bulgogi and 2 rice", "one more rice", "remove bulgogi"),
    ("two pepperoni pizzas large", "add a coke", "remove the coke"),
]
WORDS = {
    "ko": {
        "language": "한국어",
        "ads": ("네, 받을게요", "받지 않을래요"),
        "browse": "🍽 가게 둘러보기",
        "empty": "🗑 비우기",
        "clear": "전부 취소",
    },
    "en": {
        "language": "English",
        "ads": ("Yes, send me offers", "No, thanks"),
        "browse": "🍽 Browse shops",
        "empty": "🗑 Empty cart",
        "clear": "clear the cart",
    },
}
QUESTIONS = ("골라 주세요", "please choose", "어느 가게에서", "Which shop")
NAVIGATION = ("⬅", "◀", "▶", "다음", "이전", "Next", "Prev")


# -- what a resident does --------------------------------------------------------------------


@dataclass
class Action:
    """One update to send: a text, or a press of the button `label` on message `message_id`."""

    kind: str
    text: str | None = None
    label: str | None = None
    message_id: int | None = None


def labels(record: MessageRecord | None) -> list[str]:
    """The inline button labels of a message."""
    if record is None:
        return []
    return [button["text"] for row in record.buttons() for button in row]


def newest(sandbox: Sandbox, chat_id: int) -> MessageRecord | None:
    """The bot message that changed last in the chat (sent or edited), as ChatClient.last."""
    messages = sandbox.bot_messages(chat_id)
    return max(messages, key=lambda m: (m.version, m.message_id)) if messages else None


def cart_message(sandbox: Sandbox, chat_id: int) -> MessageRecord | None:
    """The newest cart message (its text starts with 🛒)."""
    for record in reversed(sandbox.bot_messages(chat_id)):
        if (record.text or "").startswith("🛒"):
            return record
    return None


@dataclass
class Resident:
    """A simulated resident: a language, a place in the script, and the order they chose."""

    user_id: int
    lang: str
    rng: random.Random
    step: int = 0
    order: tuple[str, str, str] = ("", "", "")
    fallbacks: int = 0

    @property
    def words(self) -> dict[str, Any]:
        return WORDS[self.lang]

    def choose_order(self) -> str:
        self.order = self.rng.choice(KO_ORDERS if self.lang == "ko" else EN_ORDERS)
        return self.order[0]

    def plan(self, sandbox: Sandbox) -> Action:
        """The next update of the script, or /start when the chat is not where it expects."""
        action = self._planned(sandbox)
        if action is None:
            self.fallbacks += 1
            self.step = 1
            return Action("command", text="/start")
        self.step = (self.step + 1) % 12
        return action

    def _press_one_of(
        self, record: MessageRecord | None, kind: str, choices: list[str]
    ) -> Action | None:
        if record is None or not choices:
            return None
        return Action(kind, label=self.rng.choice(choices), message_id=record.message_id)

    def _planned(self, sandbox: Sandbox) -> Action | None:
        chat_id, step = self.user_id, self.step
        last = newest(sandbox, chat_id)
        shown = labels(last)
        plain = [b for b in shown if not b.startswith(NAVIGATION)]
        if step == 0:
            return Action("command", text="/start")
        if step == 1:  # the greeting's browse button
            browse = self.words["browse"]
            return self._press_one_of(last, "browse button", [b for b in shown if b == browse])
        if step in (2, 3):  # a category, then a shop: browse screens have a ⬅ button
            if not any(b.startswith("⬅") for b in shown):
                return None
            return self._press_one_of(last, "browse button", plain)
        if step == 4:
            return Action("order text", text=self.choose_order())
        if step == 5:  # an option (부위, 맵기...) or shop question: answer it; else one more
            text = (last.text or "") if last is not None else ""
            if any(question in text for question in QUESTIONS):
                return self._press_one_of(last, "cart button", plain)
            return Action("cart text", text=self.order[1] or self.choose_order())
        if step == 6:
            return Action("cart text", text=self.order[1] or self.choose_order())
        if step in (7, 9):  # ➕ then ➖ on a line of the cart
            cart = cart_message(sandbox, chat_id)
            sign = "➕" if step == 7 else "➖"
            return self._press_one_of(cart, "cart button", [b for b in labels(cart) if b == sign])
        if step == 8:
            return Action("cart text", text=self.order[2] or self.choose_order())
        if step == 10:
            return Action("command", text="/orders")
        cart = cart_message(sandbox, chat_id)  # step 11: empty the cart, by button or text
        if self.rng.random() < 0.5 and self.words["empty"] in labels(cart):
            return self._press_one_of(cart, "cart button", [self.words["empty"]])
        return Action("cart text", text=self.words["clear"])


# -- measuring -------------------------------------------------------------------------------

HINTS = ("드시고 싶은 메뉴를 적어 주세요", "Tell me what you would like")  # not understood
FAILURES = ("저희 쪽에 문제가 생겼어요", "something went wrong on our side")


@dataclass
class Probe:
    """One update in flight: when it was injected, and every change the bot made to the chat."""

    sent: float
    touches: list[tuple[int, float]] = field(default_factory=list)  # (version, when)
    event: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Sample:
    kind: str
    sent: float
    reply: float | None  # first message sent, edited or deleted; else the callback answer
    answered: float | None  # the callback answer (a press: the button stops spinning)
    done: float | None  # fully handled (gongbae) or the reply (echo); None: timed out


class Watch:
    """Time the bot's replies in each chat by wrapping Sandbox.touch on the instance.

    Every change to a chat goes through touch(chat): the user's own message or press (made
    here, before the probe is armed) and the bot's sends, edits, deletes and callback answers
    (gongbae sends no chat actions). A resident has one update in flight at a time, so the
    chat's touches after the probe is armed are the bot's answers to that update. Messages
    the bot sends are also sorted: carts, "not understood" hints, error apologies.
    """

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.pending: dict[int, Probe] = {}
        self.sent: Counter[str] = Counter()
        touch, add_bot_message = sandbox.touch, sandbox.add_bot_message

        def touched(chat: ChatRecord | None = None) -> int:
            version = touch(chat)
            if chat is not None:
                probe = self.pending.get(chat.id)
                if probe is not None:
                    probe.touches.append((version, time.perf_counter()))
                    probe.event.set()
            return version

        def added(chat: ChatRecord, **fields: Any) -> MessageRecord:
            text = fields.get("text") or ""
            self.sent["messages"] += 1
            self.sent["cart"] += text.startswith("🛒")
            self.sent["not understood"] += any(hint in text for hint in HINTS)
            self.sent["error"] += any(failure in text for failure in FAILURES)
            return add_bot_message(chat, **fields)

        sandbox.touch = touched  # type: ignore[method-assign]
        sandbox.add_bot_message = added  # type: ignore[method-assign]

    def inject(self, user_id: int, action: Action) -> tuple[dict[str, Any], Probe]:
        """Send the action into the sandbox; return the update and its armed probe."""
        sent = time.perf_counter()
        if action.text is not None:
            update = self.sandbox.send_text(user_id, action.text)
        else:
            assert action.label is not None  # noqa: S101 (a press has a label)
            update = self.sandbox.press_button(user_id, action.label, action.message_id)
        probe = Probe(sent)
        self.pending[user_id] = probe
        return update, probe

    def sample(
        self, user_id: int, kind: str, update: dict[str, Any], probe: Probe, done: float | None
    ) -> Sample:
        """Disarm the probe; split its touches into the callback answer and the reply."""
        self.pending.pop(user_id, None)
        answer = None
        if "callback_query" in update:
            query = self.sandbox.callback_queries.get(update["callback_query"]["id"])
            if query is not None and query.answered:
                answer = query.version
        answered = next((t for v, t in probe.touches if v == answer), None)
        reply = next((t for v, t in probe.touches if v != answer), answered)
        return Sample(kind, probe.sent, reply, answered, done)


Done = Callable[[dict[str, Any], Probe], Awaitable[None]]


async def act(watch: Watch, resident: Resident, action: Action, done: Done) -> Sample:
    """Send one update and wait until it is handled (or TIMEOUT)."""
    try:
        update, probe = watch.inject(resident.user_id, action)
    except SandboxError:  # the button went away meanwhile: start over
        resident.fallbacks += 1
        resident.step = 1
        action = Action("command", text="/start")
        update, probe = watch.inject(resident.user_id, action)
    finished: float | None = None
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(TIMEOUT):
            await done(update, probe)
        finished = time.perf_counter()
    return watch.sample(resident.user_id, action.kind, update, probe, finished)


class Sql:
    """Count SQL statements, each BEGIN sent included, and time BEGIN IMMEDIATE (it waits for
    SQLite's write lock). The BEGIN goes to SQLite on aiosqlite's thread with the
    transaction's first statement (models/sqlite_driver.py): it is timed there. Read sessions
    send none (models/db.py)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.statements = 0
        self.begins: list[float] = []
        begin_on_thread = sqlite_driver._begin

        def timed_begin(conn: object, statement: str) -> None:
            started = time.perf_counter()
            try:
                begin_on_thread(conn, statement)  # type: ignore[arg-type]
            finally:
                if statement == "BEGIN IMMEDIATE":  # a writer (readers send none)
                    self.begins.append(time.perf_counter() - started)

        sqlite_driver._begin = timed_begin  # looked up by _run on each call

        @event.listens_for(engine.sync_engine, "begin")
        def begin(conn: Connection) -> None:
            if not conn.get_execution_options().get(db.READS):
                self.statements += 1

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def before(conn: Connection, *_args: object) -> None:
            conn.info["e2e_started"] = True

        @event.listens_for(engine.sync_engine, "after_cursor_execute")
        def after(conn: Connection, *_args: object) -> None:
            if conn.info.pop("e2e_started", None):  # None: begun before we listened
                self.statements += 1

    def take(self) -> tuple[int, list[float]]:
        """The figures since the last take, and start again."""
        taken = self.statements, self.begins
        self.statements, self.begins = 0, []
        return taken


class LoopLag:
    """How late a 10 ms sleep wakes up: the event loop's stalls (long callbacks, GC); and
    how long the full (generation 2) garbage collections took."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.collections: list[float] = []
        self.task = asyncio.create_task(self._tick())
        self._collecting = 0.0
        gc.callbacks.append(self._gc)

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._collecting = time.perf_counter()
        else:
            self.collections.append(time.perf_counter() - self._collecting)

    async def _tick(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            self.lags.append(time.perf_counter() - before - 0.01)

    def take(self) -> tuple[list[float], list[float]]:
        """The lags and full collections since the last take, and start again."""
        taken = self.lags, self.collections
        self.lags, self.collections = [], []
        return taken

    def stop(self) -> None:
        self.task.cancel()
        gc.callbacks.remove(self._gc)


@dataclass
class Run:
    """One measured phase: samples, its window, process time, and what the bot did."""

    samples: list[Sample]
    started: float
    seconds: float
    cpu: float
    skipped: int = 0  # open loop: ticks with no idle resident
    calls: Counter[str] = field(default_factory=Counter)
    statements: int = 0
    begins: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    collections: list[float] = field(default_factory=list)

    def completed(self) -> list[Sample]:
        """The updates fully handled within the window."""
        end = self.started + self.seconds
        return [s for s in self.samples if s.done is not None and self.started <= s.done <= end]

    @property
    def rate(self) -> float:
        return len(self.completed()) / self.seconds

    @property
    def cpu_per_update(self) -> float:
        return self.cpu / max(len(self.completed()), 1)

    @property
    def lost(self) -> int:
        return sum(1 for s in self.samples if s.done is None)

    @property
    def silent(self) -> int:
        return sum(1 for s in self.samples if s.done is not None and s.reply is None)


def ms(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of durations in seconds, in ms."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def replies(samples: list[Sample]) -> list[float]:
    return [s.reply - s.sent for s in samples if s.reply is not None]


def answers(samples: list[Sample]) -> list[float]:
    return [s.answered - s.sent for s in samples if s.answered is not None]


def handled(samples: list[Sample]) -> list[float]:
    return [s.done - s.sent for s in samples if s.done is not None]


async def closed_loop(
    watch: Watch,
    residents: list[Resident],
    seconds: float,
    plan: Callable[[Resident], Action],
    done: Done,
) -> Run:
    """Every resident sends its next update as soon as the last one is handled."""
    samples: list[Sample] = []
    stop = False

    async def loop(resident: Resident) -> None:
        while not stop:
            samples.append(await act(watch, resident, plan(resident), done))

    cpu = time.process_time()
    started = time.perf_counter()
    tasks = [asyncio.create_task(loop(r)) for r in residents]
    await asyncio.sleep(seconds)
    cpu = time.process_time() - cpu
    stop = True
    await asyncio.gather(*tasks)
    return Run(samples, started, seconds, cpu)


async def open_loop(
    watch: Watch,
    residents: list[Resident],
    seconds: float,
    rate: float,
    plan: Callable[[Resident], Action],
    done: Done,
) -> Run:
    """`rate` updates/s on a fixed schedule, each from a resident with nothing in flight."""
    samples: list[Sample] = []
    idle = deque(residents)
    tasks: set[asyncio.Task[None]] = set()
    skipped = 0

    async def one(resident: Resident) -> None:
        samples.append(await act(watch, resident, plan(resident), done))
        idle.append(resident)

    cpu = time.process_time()
    started = time.perf_counter()
    for tick in range(int(seconds * rate)):
        delay = started + tick / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if not idle:
            skipped += 1
            continue
        task = asyncio.create_task(one(idle.popleft()))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.sleep(max(0.0, started + seconds - time.perf_counter()))
    if tasks:
        await asyncio.gather(*tasks)
    cpu = time.process_time() - cpu
    run = Run(samples, started, seconds, cpu, skipped)
    # every update sent counts: they were all sent within the window, some finish after it
    run.seconds = max(seconds, max((s.done or 0.0) for s in samples) - started)
    return run


class Errors(logging.Handler):
    """Count warnings and errors (the bot's error handler logs each failed update)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        message = re.sub(r"\d+", "N", record.getMessage()[:100])
        cause = f" ({type(error).__name__}: {str(error)[:100]})" if error is not None else ""
        self.counts[f"{record.name}: {message}{cause}"] += 1


PACKAGES = {
    "sqlalchemy": "SQLAlchemy",
    "aiosqlite": "SQLAlchemy",
    "greenlet": "SQLAlchemy",
    "telegram": "python-telegram-bot",
    "httpx": "HTTP client (httpx, httpcore, h11, anyio)",
    "httpcore": "HTTP client (httpx, httpcore, h11, anyio)",
    "h11": "HTTP client (httpx, httpcore, h11, anyio)",
    "anyio": "HTTP client (httpx, httpcore, h11, anyio)",
    "uvicorn": "web server (uvicorn, starlette)",
    "starlette": "web server (uvicorn, starlette)",
}


def package_of(path: str, name: str) -> str | None:
    """The group a profiled function belongs to; None for the stdlib and builtins."""
    found = re.search(r"site-packages/([A-Za-z0-9_]+)", path)
    if found:
        return PACKAGES.get(found[1], "other libraries")
    if path.startswith(str(ROOT)):
        inside = path[len(str(ROOT)) + 1 :]
        if inside.startswith("bot/sandbox"):
            return "sandbox (bot/sandbox)"
        if inside.startswith("benchmarks"):
            return "residents and measuring (this benchmark)"
        return "gongbae (bot, handlers, models)"
    if "importlib" in path:
        return "imports at run time (importlib)"
    if "asyncio" in path or "selector" in path or name.startswith("<method 'run' of"):
        return "asyncio event loop"
    return None


def profile_shares(profile: cProfile.Profile) -> list[tuple[str, float]]:
    """Own time by package; stdlib and builtins count for the package calling them (one
    level up); waiting in epoll (idle) is left out."""
    shares: Counter[str] = Counter()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    for (path, _line, name), (_cc, _nc, own, _cum, callers) in stats.items():
        if "epoll" in name:
            continue
        group = package_of(path, name)
        if group is not None:
            shares[group] += own
            continue
        for (caller_path, _, caller_name), caller_row in callers.items():
            caller = package_of(caller_path, caller_name) or "Python stdlib and builtins"
            shares[caller] += caller_row[2]
    total = sum(shares.values()) or 1.0
    return [(name, own / total) for name, own in shares.most_common()]


# -- gongbae ---------------------------------------------------------------------------------


def make_residents(args: argparse.Namespace) -> list[Resident]:
    """N residents, one in five English, each with its own seeded random choices."""
    rng = random.Random(args.seed)
    return [
        Resident(BASE + n, "en" if n % 5 == 4 else "ko", random.Random(rng.random()))
        for n in range(args.residents)
    ]


async def warm_up(watch: Watch, residents: list[Resident], processed: Done) -> float:
    """/start, language, ads question and one order per resident, through the bot."""

    async def first_conversation(resident: Resident) -> None:
        words = resident.words
        name = f"주민{resident.user_id - BASE}"
        watch.sandbox.add_user(resident.user_id, name, language_code=resident.lang)
        await act(watch, resident, Action("command", text="/start"), processed)
        await act(watch, resident, Action("button", label=words["language"]), processed)
        ads = resident.rng.choice(words["ads"])
        await act(watch, resident, Action("button", label=ads), processed)
        await act(watch, resident, Action("order text", text=resident.choose_order()), processed)
        # somewhere in the script, but not in the middle of browsing (steps 1-3 press the
        # buttons of a browse screen, which an order's reply is not: a restart, not a resident)
        resident.step = resident.rng.choice([0, *range(4, 12)])

    started = time.perf_counter()
    await asyncio.gather(*(first_conversation(r) for r in residents))
    return time.perf_counter() - started


@dataclass
class Gongbae:
    warm: float
    closed: Run
    opened: list[tuple[float, Run]]
    sent: Counter[str]
    fallbacks: int
    errors: int
    profile: list[tuple[str, float]]
    carts: list[CartView]  # carts residents held at the end (the cart bot's replies)
    connections: int  # gongbae's TELEGRAM_CONNECTIONS


async def measure_gongbae(args: argparse.Namespace, errors: Errors) -> Gongbae:
    """Warm up, then the closed loop and the open loop(s) against the real stack."""
    with tempfile.TemporaryDirectory(prefix="gongbae-e2e-") as folder:
        settings = local_settings(
            Path(folder) / "e2e.sqlite3",
            telegram_max_rate=args.max_rate,
            broadcast_rate=min(25.0, args.max_rate),
        )
        async with Stack(settings, sandbox_limits=Limits(enabled=False)) as stack:
            assert stack.sandbox is not None  # noqa: S101 (sandbox settings)
            stack.deps.clock = lambda: EVENING
            sandbox = stack.sandbox
            watch = Watch(sandbox)
            residents = make_residents(args)

            async def processed(update: dict[str, Any], _probe: Probe) -> None:
                await stack.processor.wait_processed(update["update_id"])

            warm = await warm_up(watch, residents, processed)
            watch.sent.clear()
            errors_before = sum(errors.counts.values())

            def plan(resident: Resident) -> Action:
                return resident.plan(sandbox)

            sql, lag = Sql(stack.engine), LoopLag()

            async def measured(rate: float | None) -> Run:
                calls = Counter(sandbox.api_calls)
                sql.take()
                lag.take()
                if rate is None:
                    run = await closed_loop(watch, residents, args.seconds, plan, processed)
                else:
                    run = await open_loop(watch, residents, args.seconds, rate, plan, processed)
                run.calls = Counter(sandbox.api_calls) - calls
                run.statements, run.begins = sql.take()
                run.lags, run.collections = lag.take()
                return run

            closed = await measured(None)
            profile = cProfile.Profile() if args.profile else None
            if profile is not None:
                profile.enable()
            opened = [(rate, await measured(rate)) for rate in args.rate]
            if profile is not None:
                profile.disable()
                if args.profile_out:
                    profile.dump_stats(args.profile_out)
            lag.stop()
            held = []
            for resident in residents[:CARTS]:  # a session each, as the handlers do
                async with stack.deps.reads() as session:
                    cart = await ordering.view(session, telegram_id=resident.user_id, now=EVENING)
                held.append(cart)
            return Gongbae(
                warm=warm,
                closed=closed,
                opened=opened,
                sent=watch.sent,
                fallbacks=sum(r.fallbacks for r in residents),
                errors=sum(errors.counts.values()) - errors_before,
                profile=profile_shares(profile) if profile is not None else [],
                carts=[cart for cart in held if cart is not None],
                connections=settings.telegram_connections,
            )


# -- the echo bot ----------------------------------------------------------------------------

AGAIN = InlineKeyboardMarkup([[InlineKeyboardButton("🔁", callback_data="again")]])


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo the text, with one button."""
    assert update.message is not None  # noqa: S101 (filters.TEXT)
    await update.message.reply_text(update.message.text or "", reply_markup=AGAIN)


async def answer(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the button."""
    assert update.callback_query is not None  # noqa: S101 (CallbackQueryHandler)
    await update.callback_query.answer("🔁")


@contextlib.asynccontextmanager
async def serve(sandbox: Sandbox) -> AsyncIterator[str]:
    """Serve the sandbox on an ephemeral loopback port."""
    async with serve_routes(create_sandbox_routes(sandbox)) as base:
        try:
            yield base
        finally:
            await sandbox.aclose()  # releases the long poll, so shutdown does not wait for it


@dataclass(frozen=True)
class Baseline:
    """A bot to measure gongbae against: its handlers, and the button residents press."""

    text: Callable[[Update, Any], Awaitable[None]]
    pressed: Callable[[Update, Any], Awaitable[None]]
    press: str
    touches_per_press: int = 1  # chat changes a press makes: handled after the last
    connections: int | None = None  # gongbae's HTTP client with these; None: PTB's (httpx)


ECHO = Baseline(echo, answer, press="🔁")


async def measure_baseline(
    args: argparse.Namespace, texts: list[str], press_share: float, bot: Baseline
) -> Run:
    """Run a baseline bot on its own sandbox, closed loop, same texts and share of presses."""
    sandbox = Sandbox(limits=Limits(enabled=False))
    watch = Watch(sandbox)
    residents = make_residents(args)
    for resident in residents:
        name = f"주민{resident.user_id - BASE}"
        sandbox.add_user(resident.user_id, name, language_code=resident.lang)

    def plan(resident: Resident) -> Action:
        shown = sandbox.last_bot_message(resident.user_id)
        if shown is not None and resident.rng.random() < press_share:
            return Action("press", label=bot.press, message_id=shown.message_id)
        return Action("text", text=resident.rng.choice(texts))

    async def replied(update: dict[str, Any], probe: Probe) -> None:
        touches = bot.touches_per_press if "callback_query" in update else 1
        while len(probe.touches) < touches:
            probe.event.clear()
            await probe.event.wait()

    async with serve(sandbox) as base:
        builder = ApplicationBuilder().token(sandbox.token).base_url(f"{base}/bot")
        if bot.connections is not None:
            builder = builder.request(AiohttpRequest(bot.connections))
            builder = builder.get_updates_request(AiohttpRequest(1))
        application: Application[Any, Any, Any, Any, Any, Any] = (
            builder.base_file_url(f"{base}/file/bot")
            .concurrent_updates(args.echo_concurrency)
            .build()
        )
        application.add_handler(MessageHandler(filters.TEXT, bot.text))
        application.add_handler(CallbackQueryHandler(bot.pressed))
        await application.initialize()
        await application.start()
        assert application.updater is not None  # noqa: S101 (built with one)
        await application.updater.start_polling(poll_interval=0.0, timeout=10)
        try:
            # warm-up: one exchange per resident, so every chat has a message to press on
            hello = Action("text", text="안녕하세요")
            await asyncio.gather(*(act(watch, r, hello, replied) for r in residents))
            calls = Counter(sandbox.api_calls)
            run = await closed_loop(watch, residents, args.seconds, plan, replied)
            run.calls = Counter(sandbox.api_calls) - calls
            return run
        finally:
            await application.updater.stop()
            await application.stop()
            await application.shutdown()


def more_of_each(cart: CartView, more: int) -> CartView:
    """Return the cart with `more` of each line."""
    lines = tuple(replace(line, quantity=line.quantity + more) for line in cart.lines)
    return replace(cart, lines=lines, subtotal=sum(line.total for line in lines))


class CartReplies:
    """Reply with gongbae's carts, rendered by its own code, with none of its work between."""

    # the carts residents held at the end of gongbae's run, rendered by handlers/cart_render.py
    # (signed buttons, money, both languages) and sent through gongbae's HTTP client in HTML:
    # a cart for a text; for a press, an answer and an edit to the next cart, as gongbae does

    def __init__(self, carts: list[CartView]) -> None:
        self.i18n = I18n()
        self.signer = Signer(b"e2e")
        # k more of each line in the k-th cart (its quantities show in the text and buttons):
        # with two carts or more, each edit changes the message, as Telegram requires
        self.carts = [more_of_each(cart, k) for k, cart in enumerate(carts)]
        self.shown: dict[int, int] = {}

    def next_cart(self, chat_id: int, language: str | None) -> tuple[str, Any]:
        """Render the chat's next cart: its text and buttons."""
        shown = self.shown[chat_id] = (self.shown.get(chat_id, -1) + 1) % len(self.carts)
        cart, tr = self.carts[shown], self.i18n.translator(None, language)
        keyboard = cart_keyboard(cart, tr, Keyboard(self.signer, chat_id))
        return cart_text(cart, tr), keyboard.markup()

    async def text(self, update: Update, _context: Any) -> None:
        """Reply to a text with a cart."""
        message = update.message
        assert message is not None  # noqa: S101 (filters.TEXT)
        assert message.from_user is not None  # noqa: S101 (a resident wrote it)
        text, markup = self.next_cart(message.chat_id, message.from_user.language_code)
        await message.reply_text(text, reply_markup=markup, parse_mode=ParseMode.HTML)

    async def pressed(self, update: Update, _context: Any) -> None:
        """Answer the press, then show the next cart in the message."""
        query = update.callback_query
        assert query is not None  # noqa: S101 (CallbackQueryHandler)
        assert isinstance(query.message, Message)  # noqa: S101 (a cart the bot sent)
        await query.answer()
        text, markup = self.next_cart(query.message.chat.id, query.from_user.language_code)
        await query.edit_message_text(text, reply_markup=markup, parse_mode=ParseMode.HTML)

    def baseline(self, connections: int) -> Baseline:
        """Make the baseline bot, with gongbae's HTTP client."""
        return Baseline(
            self.text,
            self.pressed,
            press="➕",
            touches_per_press=2,
            connections=connections,
        )


# -- report ----------------------------------------------------------------------------------


def figures(values: list[float]) -> str:
    return (
        f"p50 {ms(values, 0.5):.0f} ms, p99 {ms(values, 0.99):.0f} ms, max {ms(values, 1):.0f} ms"
    )


def by_kind(run: Run) -> list[str]:
    lines = []
    for kind in KINDS:
        samples = [s for s in run.samples if s.kind == kind]
        if not samples:
            continue
        reply, done, answered = replies(samples), handled(samples), answers(samples)
        line = (
            f"    {kind:<13} {100 * len(samples) / len(run.samples):3.0f}%: reply p50 "
            f"{ms(reply, 0.5):5.1f} ms, p99 {ms(reply, 0.99):6.1f} ms; handled p50 "
            f"{ms(done, 0.5):5.1f} ms, p99 {ms(done, 0.99):6.1f} ms"
        )
        if answered:
            line += f"; button answered p50 {ms(answered, 0.5):.1f} ms"
        lines.append(line)
    return lines


def per_update(run: Run) -> str:
    updates = max(len(run.samples), 1)
    calls = ", ".join(
        f"{name} {n / updates:.2f}" for name, n in run.calls.most_common() if name != "getUpdates"
    )
    polls = run.calls.get("getUpdates", 0)
    return (
        f"Bot API calls per update: {calls}; getUpdates {polls} "
        f"({updates / max(polls, 1):.1f} updates each)"
    )


def report_open(rate: float, seconds: float, run: Run) -> tuple[str, list[str], float]:
    """The open loop's headline, its details, and its reply p99 in ms."""
    sent = len(run.samples)
    reply = replies(run.samples)
    p99 = ms(reply, 0.99)
    headline = (
        f"open loop {rate:g} updates/s for {seconds:g} s: {sent} sent, reply p50 "
        f"{ms(reply, 0.5):.0f} ms, p99 {p99:.0f} ms, max {ms(reply, 1):.0f} ms "
        f"(bar p99 < 100 ms) {'OK' if p99 < 100 else 'MISSED'}"
    )
    details = [
        f"  fully handled {figures(handled(run.samples))}; presses answered (toast, spinner "
        f"stops) {figures(answers(run.samples))}",
        f"  CPU {1000 * run.cpu / max(sent, 1):.1f} ms per update, "
        f"{100 * run.cpu / run.seconds:.0f}% of one core; {run.skipped} ticks skipped (no "
        f"resident idle)",
        "  by kind:",
        *by_kind(run),
        f"  {per_update(run)}",
        f"  SQL statements per update {run.statements / max(sent, 1):.1f}; BEGIN IMMEDIATE "
        f"(SQLite's write lock, once the process's writers took turns) "
        f"{len(run.begins) / max(sent, 1):.1f} per update, "
        f"p50 {ms(run.begins, 0.5):.2f} ms, p99 {ms(run.begins, 0.99):.2f} ms, "
        f"max {ms(run.begins, 1):.1f} ms",
        f"  event loop lag (10 ms timer) p99 {ms(run.lags, 0.99):.1f} ms, "
        f"max {ms(run.lags, 1):.1f} ms; {len(run.collections)} full garbage collections"
        + (f", max {ms(run.collections, 1):.0f} ms" if run.collections else ""),
    ]
    return headline, details, p99


async def run(args: argparse.Namespace) -> int:
    """Measure gongbae and the baseline bots; print the figures; 0 when both bars are met."""
    errors = Errors()
    logging.getLogger().addHandler(errors)
    started = time.perf_counter()
    gongbae = await measure_gongbae(args, errors)
    closed = gongbae.closed
    texts = [t for triple in KO_ORDERS + EN_ORDERS for t in triple] + ["/start", "/orders"]
    presses = sum(1 for s in closed.samples if s.kind in ("browse button", "cart button"))
    press_share = presses / max(len(closed.samples), 1)
    echo_run = await measure_baseline(args, texts, press_share, ECHO)
    cart_run = None
    if len(gongbae.carts) >= 2:  # with one, an edit would not change the message
        cart_bot = CartReplies(gongbae.carts).baseline(gongbae.connections)
        cart_run = await measure_baseline(args, texts, press_share, cart_bot)
    total = time.perf_counter() - started

    ratio = closed.rate / echo_run.rate if echo_run.rate else float("nan")
    print(
        f"{args.residents} residents (80% ko, 20% en); sandbox flood limits OFF "
        f"(Limits(enabled=False)); gongbae TELEGRAM_MAX_RATE {args.max_rate:g}/s; SQLite; "
        "bot, sandbox and residents in one process and event loop"
    )
    print(
        f"warm-up (not measured): {4 * args.residents} updates (/start, language, ads "
        f"question, one order each) in {gongbae.warm:.1f} s"
    )
    print(
        f"gongbae closed loop: {len(closed.completed())} updates in {closed.seconds:.1f} s = "
        f"{closed.rate:.1f} updates/s; echo bot: {echo_run.rate:.1f} updates/s; "
        f"ratio {ratio:.2f} (bar >= 0.5) {'OK' if ratio >= 0.5 else 'MISSED'}"
    )
    print(
        f"  CPU per update: gongbae {1000 * closed.cpu_per_update:.1f} ms, echo bot "
        f"{1000 * echo_run.cpu_per_update:.1f} ms (process time / updates in the window)"
    )
    print(
        f"  gongbae, {args.residents} in flight: reply {figures(replies(closed.samples))}; "
        f"{per_update(closed)}"
    )
    print(
        f"  echo bot: {len(echo_run.completed())} updates in {echo_run.seconds:.1f} s, "
        f"{100 * press_share:.0f}% presses (as gongbae's mix), concurrent_updates "
        f"{args.echo_concurrency}, {args.residents} in flight: reply "
        f"{figures(replies(echo_run.samples))}"
    )
    if cart_run is not None:
        floor = 1000 * cart_run.cpu_per_update
        share = cart_run.rate / echo_run.rate if echo_run.rate else float("nan")
        print(
            f"  cart bot (gongbae's cart replies by its own rendering code and HTTP client, "
            f"none of its work in between): {cart_run.rate:.1f} updates/s = {share:.2f} of "
            f"the echo bot; {floor:.1f} ms CPU per update; {per_update(cart_run)}. The other "
            f"{1000 * closed.cpu_per_update - floor:.1f} ms of gongbae's are its own work "
            f"(database, parser, handlers, rate limiter, processor) and its further calls"
        )
    ok = ratio >= 0.5
    for rate, opened in gongbae.opened:
        headline, details, p99 = report_open(rate, args.seconds, opened)
        ok = ok and p99 < 100
        print(headline)
        for line in details:
            print(line)
    runs = [closed, echo_run, *([cart_run] if cart_run else [])] + [
        measured for _, measured in gongbae.opened
    ]
    lost = sum(r.lost for r in runs)
    silent = sum(r.silent for r in runs)
    sent = gongbae.sent
    messages = max(sent["messages"], 1)
    print(
        f"checks: {lost} updates not handled within {TIMEOUT:g} s, {silent} without any "
        f"reply; gongbae sent {sent['messages']} messages: {100 * sent['cart'] / messages:.0f}% "
        f"carts, {100 * sent['not understood'] / messages:.1f}% 'not understood' hints, "
        f"{sent['error']} error apologies; {gongbae.errors} warnings/errors logged; "
        f"{gongbae.fallbacks} script restarts (/start: a button not shown); total "
        f"{total:.0f} s"
    )
    for message, count in errors.counts.most_common(5):
        print(f"  logged {count}x {message}")
    if gongbae.profile:
        print(
            "where the time goes in the open loop(s), cProfile own time by package "
            "(the profiler slows calls down, so the latencies above are not comparable):"
        )
        for name, share in gongbae.profile[:9]:
            print(f"  {100 * share:4.1f}% {name}")
    return 0 if ok and not lost and not sent["error"] else 1


def main() -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0, help="each measured phase")
    parser.add_argument(
        "--rate",
        type=float,
        nargs="+",
        default=[50.0],
        help="open loop updates/s (several: one run each)",
    )
    parser.add_argument(
        "--max-rate", type=float, default=1000.0, help="gongbae's TELEGRAM_MAX_RATE"
    )
    parser.add_argument(
        "--echo-concurrency",
        type=int,
        default=1,
        help="the echo and cart bots' concurrent_updates: 1, PTB's default, is the echo "
        "bot's fastest here; gongbae's processor runs CONCURRENT_UPDATES (64) at once",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile", action="store_true", help="profile the open loop(s): time by package"
    )
    parser.add_argument(
        "--profile-out", metavar="FILE", help="with --profile: also save the stats (pstats)"
    )
    args = parser.parse_args()
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
