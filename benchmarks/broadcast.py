"""Print the campaign broadcaster's throughput against the sandbox's Telegram flood limits.

The whole stack runs (SQLite file, sandbox Bot API, the real python-telegram-bot Application
over loopback) with Telegram's limits enforced: 30 messages/s per bot (burst 30) and about
1/s per chat. N residents who allow ads, also at night (so the hour does not matter), get one
campaign from staff persona 790001, whose progress message is edited as in the chat. Printed:
wall time, achieved messages/s against BROADCAST_RATE, 429s from the sandbox and those that
reached the engine, and whether every resident got the ad exactly once. The steady rate
runs from the first to the last recipient recorded as sent (sent_at, on the real clock).
Run: .venv/bin/python benchmarks/broadcast.py [--residents 1000] [--rate 25] [--max-rate 30]
"""

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bot.config import local_settings  # noqa: E402
from bot.runner import Stack  # noqa: E402
from bot.sandbox import Limits  # noqa: E402
from bot.services import campaigns  # noqa: E402
from models.base import CampaignStatus  # noqa: E402
from models.campaign import CampaignRecipient  # noqa: E402
from tests.factories import resident  # noqa: E402

STAFF = 790001  # 서민준, 서구청 (a demo persona)
BASE = 600000  # residents' telegram ids: BASE .. BASE + N - 1


async def seed(stack: Stack, residents: int) -> None:
    """Residents who agreed to ads by day and by night, in the database and the sandbox."""
    assert stack.sandbox is not None  # noqa: S101 (sandbox settings)
    agreed = datetime.now(UTC)
    async with stack.deps.sessions.begin() as session:
        for n in range(residents):
            locale = "en" if n % 2 else "ko"
            stack.sandbox.add_user(BASE + n, f"Resident {n}", language_code=locale)
            session.add(resident(BASE + n, at=agreed, locale=locale, night=True))


async def start_campaign(stack: Stack) -> tuple[int, int]:
    """Compose and start a campaign as staff; return (campaign id, recipients)."""
    assert stack.application is not None  # noqa: S101 (started)
    # The chat's "send now" turns the composer message into the progress message; do the same.
    shown = await stack.application.bot.send_message(STAFF, "📣")
    async with stack.deps.sessions.begin() as session:
        campaign_id = await campaigns.create(session, telegram_id=STAFF)
        await campaigns.edit(
            session,
            campaign_id=campaign_id,
            telegram_id=STAFF,
            text_ko="겨울 치킨 3천원 할인 🍗 이번 주말까지!",
            text_en="Winter chicken: 3,000 won off 🍗 until Sunday!",
        )
        count = await campaigns.start(
            session,
            campaign_id=campaign_id,
            now=stack.deps.now(),
            telegram_id=STAFF,
            progress=(STAFF, shown.message_id),
        )
    stack.application.bot_data["broadcaster"].wakeup.set()
    return campaign_id, count


async def sent_times(stack: Stack, campaign_id: int) -> list[datetime]:
    """When each recipient was recorded as sent, in order."""
    async with stack.deps.sessions() as session:
        rows = await session.scalars(
            select(CampaignRecipient.sent_at).where(
                CampaignRecipient.campaign_id == campaign_id,
                CampaignRecipient.sent_at.is_not(None),
            )
        )
        return sorted(rows)


def ads_received(stack: Stack, residents: int) -> Counter[int]:
    """How many ads each resident's chat holds."""
    assert stack.sandbox is not None  # noqa: S101 (sandbox settings)
    found: Counter[int] = Counter()
    for n in range(residents):
        for message in stack.sandbox.bot_messages(BASE + n):
            if (message.text or "").startswith("(광고)"):
                found[BASE + n] += 1
    return found


async def run(args: argparse.Namespace) -> int:
    """Start the stack, send one campaign, print the figures; 0 when all went out once."""
    limits = Limits()  # Telegram's: 30/s per bot (burst 30), 1/s per chat
    with tempfile.TemporaryDirectory(prefix="gongbae-broadcast-") as folder:
        settings = local_settings(
            Path(folder) / "broadcast.sqlite3",
            broadcast_rate=args.rate,
            telegram_max_rate=args.max_rate,
        )
        async with Stack(settings, sandbox_limits=limits) as stack:
            assert stack.sandbox is not None  # noqa: S101 (sandbox settings)
            assert stack.application is not None  # noqa: S101 (started)
            broadcaster = stack.application.bot_data["broadcaster"]
            await seed(stack, args.residents)
            refused_before = stack.sandbox.refused[429]
            started = time.perf_counter()
            campaign_id, count = await start_campaign(stack)
            woken, woken_at = time.perf_counter() - started, datetime.now(UTC)
            deadline = started + args.timeout
            wall = done = None
            while True:
                async with stack.deps.sessions() as session:
                    report = await campaigns.report(session, campaign_id, now=stack.deps.now())
                if wall is None and report.handled >= count:
                    wall = time.perf_counter() - started
                if report.status == CampaignStatus.DONE:
                    done = time.perf_counter() - started
                    break
                if time.perf_counter() > deadline:
                    print(f"timed out after {args.timeout:.0f} s: {report}")
                    break
                await asyncio.sleep(0.1)
            if wall is None:
                wall = time.perf_counter() - started
            times = await sent_times(stack, campaign_id)
            received = ads_received(stack, args.residents)
            refused = stack.sandbox.refused[429] - refused_before
            unhandled = broadcaster.retry_afters
            calls = dict(stack.sandbox.api_calls)
    once = sum(1 for n in received.values() if n == 1)
    twice = sum(1 for n in received.values() if n > 1)
    missed = args.residents - len(received)
    steady = (times[-1] - times[0]).total_seconds() if len(times) > 1 else 0.0
    steady_rate = (len(times) - 1) / steady if steady > 0 else float("nan")
    overall_rate = report.sent / wall if wall > 0 else float("nan")
    print(
        f"residents {args.residents}, recipients {count}; sandbox limits: "
        f"bot {limits.bot_rate:g}/s (burst {limits.bot_burst:g}), "
        f"chat {limits.chat_rate:g}/s (burst {limits.chat_burst:g}); "
        f"TELEGRAM_MAX_RATE {args.max_rate:g}/s"
    )
    print(
        f"sent {report.sent}, failed {report.failed}, blocked {report.blocked}, "
        f"waiting {report.waiting}; status {report.status}"
    )
    first = (times[0] - woken_at).total_seconds() if times else float("nan")
    finished = f"done (final report) after {done:.2f} s" if done is not None else "not done"
    print(
        f"wall time {wall:.2f} s from start until all were sent; campaign {finished}; "
        f"composing and starting took {woken:.2f} s, first ad {first:.2f} s after the wakeup"
    )
    print(
        f"achieved overall {overall_rate:.1f} msg/s; steady (first to last sent, "
        f"{steady:.2f} s) {steady_rate:.1f} msg/s"
    )
    print(
        f"configured {args.rate:.1f} msg/s, achieved {steady_rate:.1f} msg/s "
        f"({100 * steady_rate / args.rate:.1f}%), {once}/{args.residents} delivered once, "
        f"{twice} twice or more, {missed} missed, 429s from sandbox: {refused}, "
        f"unhandled: {unhandled}"
    )
    print("Bot API calls: " + ", ".join(f"{name} {n}" for name, n in sorted(calls.items()) if n))
    ok = once == args.residents and not twice and not missed
    return 0 if ok else 1


def main() -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=25.0, help="BROADCAST_RATE, msg/s")
    parser.add_argument("--max-rate", type=float, default=30.0, help="TELEGRAM_MAX_RATE")
    parser.add_argument("--timeout", type=float, default=300.0, help="give up after (s)")
    args = parser.parse_args()
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
