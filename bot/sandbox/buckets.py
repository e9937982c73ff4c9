"""Token buckets: the flood limits Telegram applies per bot and per chat."""

import math
from collections.abc import Callable


class TokenBucket:
    """Allow `burst` actions at once, refilled at `rate` per second."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.tokens = float(burst)
        self.stamp = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_time(self) -> float:
        """Return seconds until one token is available (0 when one is)."""
        self._refill()
        if self.tokens >= 1:
            return 0.0
        return (1 - self.tokens) / self.rate

    def take(self) -> None:
        """Spend one token; call only after wait_time() returned 0."""
        self._refill()
        self.tokens -= 1


def retry_after(seconds: float) -> int:
    """Round a wait up to whole seconds, at least 1, as retry_after is."""
    return max(1, math.ceil(seconds))
