"""One send to Telegram and what came of it, sorted the same way for every sender (the outbox
and the broadcast engine)."""

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError


@dataclass(frozen=True)
class Outcome:
    """sent; wait (a 429: `delay` seconds); blocked (403); refused (400: it cannot be sent);
    or retry (another Telegram error, e.g. the network)."""

    kind: str
    delay: float = 0.0
    error: str = ""
    result: object = None  # what the send returned, when sent


async def attempt(send: Awaitable[object]) -> Outcome:
    """Await a send and sort its result."""
    try:
        result = await send
    except RetryAfter as err:
        wait = err.retry_after
        delay = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return Outcome("wait", delay, "429")
    except Forbidden as err:
        return Outcome("blocked", error=str(err))
    except BadRequest as err:
        return Outcome("refused", error=str(err))
    except TelegramError as err:
        return Outcome("retry", error=str(err))
    return Outcome("sent", result=result)
