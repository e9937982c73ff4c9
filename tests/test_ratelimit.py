"""The request budget shared through Redis (127.0.0.1:6379): two instances together stay
within TELEGRAM_MAX_RATE, and a 429 pauses both."""

import asyncio
import os
import secrets
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
import redis.asyncio as redis
from telegram.error import RetryAfter

from handlers.ratelimit import SharedRateLimiter

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RATE = 20.0


@pytest_asyncio.fixture
async def pair() -> AsyncIterator[tuple[SharedRateLimiter, SharedRateLimiter]]:
    """Two instances' limiters for one bot (a bot id of its own per test)."""
    bot_id = f"test-{secrets.token_hex(4)}"
    limiters = (
        SharedRateLimiter(REDIS_URL, rate=RATE, bot_id=bot_id),
        SharedRateLimiter(REDIS_URL, rate=RATE, bot_id=bot_id),
    )
    for limiter in limiters:
        await limiter.initialize()
    yield limiters
    client = redis.from_url(REDIS_URL)
    await client.delete(*limiters[0].keys)
    await client.aclose()
    for limiter in limiters:
        await limiter.shutdown()


async def test_two_instances_share_one_budget(
    pair: tuple[SharedRateLimiter, SharedRateLimiter],
) -> None:
    sent: list[float] = []

    async def send() -> bool:
        sent.append(time.monotonic())
        return True

    requests = 60
    await asyncio.gather(
        *(
            pair[n % 2].process_request(send, (), {}, "sendMessage", {"chat_id": n}, None)
            for n in range(requests)
        )
    )
    assert len(sent) == requests
    sent.sort()
    # a burst of one second's worth, then RATE a second: the last goes out after
    # (60 - 20) / 20 = 2 s; two limiters of 20/s each would have finished at once
    assert sent[-1] - sent[0] >= (requests - RATE) / RATE * 0.9
    for start in sent:  # no second holds more than the burst and that second's rate
        assert sum(1 for t in sent if start <= t < start + 1.0) <= 2 * RATE + 1
    assert pair[0].waited > 0
    assert pair[1].waited > 0


async def test_a_429_pauses_every_instance(
    pair: tuple[SharedRateLimiter, SharedRateLimiter],
) -> None:
    first, second = pair
    answered: dict[str, float] = {}
    refused = [True]

    async def flooded() -> bool:
        if refused:
            refused.pop()
            raise RetryAfter(timedelta(seconds=1))
        answered["first"] = time.monotonic()
        return True

    async def other() -> bool:
        answered["second"] = time.monotonic()
        return True

    async def later() -> None:  # the other instance sends while the first one is paused
        await asyncio.sleep(0.3)
        await second.process_request(other, (), {}, "sendMessage", {"chat_id": 2}, None)

    started = time.monotonic()
    await asyncio.gather(
        first.process_request(flooded, (), {}, "sendMessage", {"chat_id": 1}, None), later()
    )
    assert answered["first"] - started >= 1.0  # the retry waited for retry_after
    assert answered["second"] - started >= 1.0  # and so did the other instance


async def test_a_429_stops_requests_already_waiting_for_their_slot(
    pair: tuple[SharedRateLimiter, SharedRateLimiter],
) -> None:
    first, second = pair
    sent: list[float] = []

    async def send() -> bool:
        sent.append(time.monotonic())
        return True

    for n in range(int(RATE)):  # the burst is spent: the next request waits for a slot
        await first.process_request(send, (), {}, "sendMessage", {"chat_id": n}, None)
    started = time.monotonic()
    waiting = asyncio.create_task(
        second.process_request(send, (), {}, "sendMessage", {"chat_id": 99}, None)
    )
    await asyncio.sleep(0.01)  # it has its slot, 50 ms away, and sleeps
    await first.pause(1.0)  # then a 429 arrives elsewhere
    await waiting
    assert sent[-1] - started >= 1.0


async def test_requests_without_a_chat_are_not_counted(
    pair: tuple[SharedRateLimiter, SharedRateLimiter],
) -> None:
    async def answer() -> bool:
        return True

    for _ in range(100):
        await pair[0].process_request(answer, (), {}, "answerCallbackQuery", {}, None)
    assert pair[0].waited == 0


async def test_an_unreachable_redis_fails_at_start() -> None:
    limiter = SharedRateLimiter("redis://127.0.0.1:1/0", rate=RATE, bot_id="nobody")
    with pytest.raises(redis.ConnectionError):
        await limiter.initialize()
    await limiter.shutdown()
