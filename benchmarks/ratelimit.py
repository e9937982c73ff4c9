"""Print what the Redis-shared request budget costs and whether it holds (handlers/ratelimit.py).

1. Cost: one process reserves --count slots with the budget wide open (no waiting): the time
   per reservation (one Redis round trip running the GCRA script) and the CPU it takes.
2. Hold: --instances processes, each a limiter of TELEGRAM_MAX_RATE --rate for the same bot,
   send as fast as they are let for --seconds; the rate they reach together (must be about
   --rate, not --instances x --rate) and their largest count in any one second.
Redis: REDIS_URL or redis://127.0.0.1:6379/0.
Run: .venv/bin/python benchmarks/ratelimit.py [--count 5000] [--instances 2] [--rate 30]
     [--seconds 5]
"""

import argparse
import asyncio
import multiprocessing
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from handlers.ratelimit import SharedRateLimiter

URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


async def cost(count: int) -> tuple[list[float], float]:
    limiter = SharedRateLimiter(URL, rate=1_000_000, bot_id=f"bench-{secrets.token_hex(4)}")
    await limiter.initialize()
    times = []
    cpu = time.process_time()
    for _ in range(count):
        started = time.perf_counter()
        await limiter.slot()
        times.append(time.perf_counter() - started)
    cpu = time.process_time() - cpu
    await limiter.shutdown()
    return times, cpu / count


def instance(
    bot_id: str, rate: float, seconds: float, out: "multiprocessing.Queue[list[float]]"
) -> None:
    async def run() -> list[float]:
        limiter = SharedRateLimiter(URL, rate=rate, bot_id=bot_id)
        await limiter.initialize()
        sent: list[float] = []

        async def send() -> bool:
            sent.append(time.time())
            return True

        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 1}, None)
        await limiter.shutdown()
        return sent

    out.put(asyncio.run(run()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    times, cpu = asyncio.run(cost(args.count))
    ordered = sorted(times)
    print(
        f"reservation: median {1e3 * statistics.median(times):.3f} ms, "
        f"p99 {1e3 * ordered[int(0.99 * len(ordered))]:.3f} ms, "
        f"CPU {1e3 * cpu:.3f} ms each ({args.count} reservations, one Redis round trip each)"
    )
    bot_id = f"bench-{secrets.token_hex(4)}"
    queue: multiprocessing.Queue[list[float]] = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=instance, args=(bot_id, args.rate, args.seconds, queue))
        for _ in range(args.instances)
    ]
    for worker in workers:
        worker.start()
    sent = sorted(t for _ in workers for t in queue.get())
    for worker in workers:
        worker.join()
    # the first second holds the burst (one second's worth); the steady rate comes after it
    steady = [t for t in sent if t >= sent[0] + 1.0]
    rate = (len(steady) - 1) / (steady[-1] - steady[0]) if len(steady) > 1 else float("nan")
    busiest = max(sum(1 for t in sent if s <= t < s + 1.0) for s in sent)
    print(
        f"{args.instances} instances at TELEGRAM_MAX_RATE {args.rate:g}: {len(sent)} requests "
        f"in {args.seconds:g} s, steady {rate:.1f}/s together "
        f"(in-process limiters would allow {args.instances * args.rate:g}/s); "
        f"busiest second {busiest} (burst {int(args.rate)} + rate {args.rate:g})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
