"""Telegram's request budget shared by every instance of the bot, kept in Redis.

Telegram counts messages per bot, not per process: two instances with an in-process limiter
of 30/s each could send 60/s and be answered 429. With REDIS_URL set, each request that
carries a chat_id (sends, edits, ...) first reserves a slot in one Redis key with a GCRA
("generic cell rate algorithm") script: a steady TELEGRAM_MAX_RATE per second with a burst
of one second's worth, the same shape as PTB's AIORateLimiter, one round trip per request.
Redis's own clock decides, so the instances' clocks need not agree. A 429 pauses every
instance for its retry_after (a second key), requests already waiting for their slot
included, and the request is tried again (3 times). gongbae writes to private chats only, so
Telegram's separate limit for groups (about 20 a minute) is not kept here.
"""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import redis.asyncio as redis
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

logger = logging.getLogger(__name__)

# KEYS[1]: the theoretical arrival time of the next request (ms); KEYS[2]: a pause (a 429)
# ARGV[1]: requests per second; ARGV[2]: burst (requests)
# Returns how many ms the caller waits before its request may go (its slot is reserved).
RESERVE = """
local now_parts = redis.call('TIME')
local now = now_parts[1] * 1000 + math.floor(now_parts[2] / 1000)
local interval = 1000 / tonumber(ARGV[1])
local tolerance = (tonumber(ARGV[2]) - 1) * interval
local start = now
local pause = redis.call('PTTL', KEYS[2])
if pause > 0 then start = now + pause end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < start then tat = start end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
if start > now and wait < start - now then wait = start - now end
local keep = math.floor(tat + interval - now) + 60000
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', keep)
return math.floor(wait)
"""

Request = Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]]


class SharedRateLimiter(BaseRateLimiter[int]):
    """A python-telegram-bot rate limiter whose budget lives in Redis (see the module)."""

    def __init__(self, url: str, *, rate: float, bot_id: int | str, max_retries: int = 3) -> None:
        self.url = url
        self.rate = rate
        self.burst = max(1, int(rate))
        self.max_retries = max_retries
        self.keys = [f"gongbae:{bot_id}:rate", f"gongbae:{bot_id}:paused"]
        self._redis: redis.Redis | None = None
        self._reserve: Any = None
        self.waited = 0.0  # seconds this instance's requests spent waiting for their slot

    async def initialize(self) -> None:
        """Connect, and check that Redis answers (a wrong REDIS_URL fails at start)."""
        self._redis = redis.from_url(self.url)
        await self._redis.ping()
        self._reserve = self._redis.register_script(RESERVE)

    async def shutdown(self) -> None:
        """Close the connections."""
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    async def slot(self) -> float:
        """Reserve the next slot of the shared budget; return the seconds waited for it."""
        wait = int(await self._reserve(keys=self.keys, args=[self.rate, self.burst])) / 1000
        waited = wait
        while wait > 0:
            await asyncio.sleep(wait)
            # a 429 while this request waited for its slot: wait out the pause as well
            assert self._redis is not None  # noqa: S101 (initialized)
            wait = max(0, await self._redis.pttl(self.keys[1])) / 1000
            waited += wait
        self.waited += waited
        return waited

    async def pause(self, seconds: float) -> None:
        """Stop every instance's requests for `seconds` (Telegram answered 429)."""
        assert self._redis is not None  # noqa: S101 (initialized)
        await self._redis.set(self.keys[1], "1", px=max(1, int(seconds * 1000)))

    async def process_request(
        self,
        callback: Request,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Run a request within the shared budget; retry after a 429."""
        if data.get("chat_id") is None:  # getUpdates, answerCallbackQuery, setWebhook...
            return await callback(*args, **kwargs)
        retries = rate_limit_args or self.max_retries
        for attempt in range(retries + 1):
            await self.slot()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as err:
                if attempt == retries:
                    raise
                seconds = err.retry_after
                pause = seconds if isinstance(seconds, int | float) else seconds.total_seconds()
                logger.info("Telegram asked to wait %.1f s: every instance pauses", pause)
                await self.pause(pause + 0.1)
        raise AssertionError("unreachable")  # pragma: no cover
