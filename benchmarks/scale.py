"""Print the throughput of 1, 2 and 3 gongbae webhook instances on PostgreSQL, with duplicates
and losses, behind a round-robin balancer.

For each instance count: a fresh PostgreSQL database (127.0.0.1:5432, or TEST_POSTGRES_URL's
server) with the demo region (every shop open all day, so the run does not depend on the
hour); N instances, each a real `python main.py run` process in webhook mode; this process
runs the sandbox Bot API, the round-robin balancer (bot/sandbox/balancer.py) between the
sandbox's webhook delivery and the instances, and the simulated residents of benchmarks/e2e.py
(same script: /start, browse, free-text orders, cart edits by text and button, /orders). The
instances share Telegram's request budget in Redis (REDIS_URL, else 127.0.0.1:6379), lifted to
1000/s. --redeliver posts that share of the updates to a second instance as well, as Telegram
does when a webhook answers late.

Warm-up (not measured): each resident's first conversation and one order. Measured: a closed
loop for --seconds (each resident sends its next update once the last is handled: its row in
the inbox is done). Then the queue is drained and the instances stopped (SIGTERM), and:
- duplicates: updates handled more than once (from every instance's log line "Update N from
  chat C handled"), must be 0;
- losses: updates sent by residents and never handled by any instance, must be 0;
- where the time goes: CPU of the instances, of PostgreSQL's processes and of this process
  (sandbox, balancer, residents), in cores over the window, and CPU ms per update; and the
  database's transactions per update (pg_stat_database).
The machine's speed drifts by tens of percent within minutes (another tenant of the host):
--rounds N measures the counts N times in turn and prints the median of each round's ratio.
Run: .venv/bin/python benchmarks/scale.py [--instances 1 2 3] [--residents 200] [--seconds 20]
     [--redeliver 0.02] [--rounds 1]
"""

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
from e2e import (
    ROOT,
    Probe,
    Resident,
    Run,
    Watch,
    closed_loop,
    handled,
    make_residents,
    ms,
    warm_up,
)
from sqlalchemy import select, text

from bot.sandbox import Limits, Sandbox, create_sandbox_routes
from bot.sandbox.balancer import RoundRobin
from bot.sandbox.serving import serve_routes
from bot.services import demo
from models import db
from models.inbox import InboundUpdate
from tests.conftest import scratch_database
from tests.e2e.instance import all_day_pack, free_port

REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
TOKEN = "555000111:AAScaleBenchmarkToken_abcdefghijk"  # noqa: S105 (a sandbox token)
SECRET = "scale-benchmark-secret"  # noqa: S105 (a local run's)
HANDLED = re.compile(r"Update (\d+) from chat \S+ handled in")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User + system CPU time of a process so far; with `children`, with that of its ended
    children too (PostgreSQL's postmaster: the backends that ended)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICKS


def postgres_pids() -> list[int]:
    """The PostgreSQL server's processes (the postmaster and every backend)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def postgres_cpu() -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL process (the postmaster's with its ended
    backends': a connection closed within the window is counted)."""
    found = {}
    for pid in postgres_pids():
        try:
            found[pid] = cpu_seconds(pid, children=True)
        except OSError:  # a backend that ended meanwhile
            continue
    return found


def postgres_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU PostgreSQL spent between two readings: a backend that ended meanwhile took its
    whole time into the postmaster's children's, so the totals' difference is exact."""
    return sum(after.values()) - sum(before.values())


@asynccontextmanager
async def seeded_database(folder: Path) -> AsyncIterator[str]:
    """A PostgreSQL database of its own with the demo region open all day, dropped after."""
    async with scratch_database("postgresql", folder) as url:
        engine = db.create_engine(url)
        await db.upgrade(engine)
        async with db.session_factory(engine).begin() as session:
            await demo.seed(session, all_day_pack(folder), ROOT / "demo" / "personas.json")
        await engine.dispose()
        yield url


@dataclass
class Instance:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def handled(self) -> Counter[int]:
        """Update ids this instance logged as handled, with how often."""
        return Counter(int(m.group(1)) for m in HANDLED.finditer(self.log.read_text("utf-8")))


def start_instance(number: int, database: str, api: str, front: str, folder: Path) -> Instance:
    port = free_port()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api,
        "DATABASE_URL": database,
        "WEB_PORT": str(port),
        "WEBHOOK_URL": front,
        "WEBHOOK_SECRET": SECRET,
        "TELEGRAM_MAX_RATE": "1000",  # measure the bot, not Telegram's limit
        "REDIS_URL": REDIS,  # the instances share that budget, as in production
        "LOG_LEVEL": "INFO",
    }
    log = folder / f"instance-{number}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 (our own main.py)
            [sys.executable, str(ROOT / "main.py"), "run"],
            env=env,
            stdout=out,
            stderr=out,
            cwd=folder,
        )
    return Instance(process, f"http://127.0.0.1:{port}", log)


async def started(instance: Instance) -> None:
    """Wait until the instance has set its webhook (its inbox is running)."""
    async with asyncio.timeout(120):
        while "Webhook set" not in instance.log.read_text("utf-8", errors="replace"):
            if instance.process.poll() is not None:
                raise RuntimeError(f"instance exited: see {instance.log}")
            await asyncio.sleep(0.1)


class Inbox:
    """Tell when updates are handled, by whichever instance: their inbox row is done."""

    def __init__(self, url: str) -> None:
        self.engine = db.create_engine(url, pool_size=2)
        self.waiting: dict[int, asyncio.Future[None]] = {}
        self.sent: set[int] = set()
        self.task = asyncio.create_task(self._poll())

    async def processed(self, update: dict[str, Any], _probe: Probe) -> None:
        update_id = update["update_id"]
        self.sent.add(update_id)
        future = asyncio.get_running_loop().create_future()
        self.waiting[update_id] = future
        await future

    async def _poll(self) -> None:
        while True:
            # every 0.1 s: at 0.02 s the polls cost this process (on the same 2 cores as
            # the instances) about 1 ms of CPU per update; the queue keeps them busy meanwhile
            await asyncio.sleep(0.1)
            if not self.waiting:
                continue
            ids = list(self.waiting)
            async with self.engine.connect() as conn:
                done = await conn.scalars(
                    select(InboundUpdate.update_id).where(
                        InboundUpdate.update_id.in_(ids), InboundUpdate.done_at.is_not(None)
                    )
                )
                for update_id in done:
                    future = self.waiting.pop(update_id, None)
                    if future is not None and not future.done():
                        future.set_result(None)

    async def open_rows(self) -> bool:
        """Whether some stored update is not handled yet."""
        async with self.engine.connect() as conn:
            first = await conn.scalar(
                select(InboundUpdate.update_id).where(InboundUpdate.done_at.is_(None)).limit(1)
            )
        return first is not None

    async def transactions(self) -> int:
        """Transactions committed or rolled back in this database so far (PostgreSQL's
        statistics, which each backend reports when it goes idle)."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            count = await conn.scalar(
                text(
                    "SELECT xact_commit + xact_rollback FROM pg_stat_database "
                    "WHERE datname = current_database()"
                )
            )
        return int(count or 0)

    async def close(self) -> None:
        self.task.cancel()
        await self.engine.dispose()


@dataclass
class Result:
    instances: int
    warm: float
    run: Run
    cores: dict[str, float]
    duplicates: int
    losses: int
    redelivered: int
    forwarded: list[int]
    fallbacks: int
    transactions: (
        int  # in the database from the window's start until every update sent in it was handled
    )


async def measure(count: int, args: argparse.Namespace) -> Result:
    """One instance count: start everything, warm up, measure, drain, stop, count."""
    async with AsyncExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gongbae-scale-")))
        url = await stack.enter_async_context(seeded_database(folder))
        sandbox = Sandbox(token=TOKEN, limits=Limits(enabled=False))
        watch = Watch(sandbox)
        api = await stack.enter_async_context(serve_routes(create_sandbox_routes(sandbox)))
        stack.push_async_callback(sandbox.aclose)
        balancer = await stack.enter_async_context(RoundRobin(redeliver=args.redeliver))
        front = balancer.url
        instances = [start_instance(n, url, api, front, folder) for n in range(count)]

        def stop_all() -> None:
            for instance in instances:
                if instance.process.poll() is None:
                    instance.process.send_signal(signal.SIGTERM)
            for instance in instances:
                try:
                    instance.process.wait(30)
                except subprocess.TimeoutExpired:
                    instance.process.kill()

        stack.callback(stop_all)
        await asyncio.gather(*(started(i) for i in instances))
        balancer.backends = [instance.url for instance in instances]
        inbox = Inbox(url)
        stack.push_async_callback(inbox.close)
        residents = make_residents(args)
        warm = await warm_up(watch, residents, inbox.processed)

        def plan(resident: Resident) -> Any:
            return resident.plan(sandbox)

        def instances_cpu() -> float:
            return sum(cpu_seconds(i.process.pid) for i in instances)

        async def at_end() -> tuple[float, dict[int, float], float]:
            # at the window's end: the residents' last updates, handled after it, are not in
            # its count of updates, so their CPU must not be in its CPU either
            await asyncio.sleep(args.seconds)
            return instances_cpu(), postgres_cpu(), time.process_time()

        transactions = await inbox.transactions()
        before = instances_cpu(), postgres_cpu(), time.process_time()
        ending = asyncio.create_task(at_end())
        try:
            run = await closed_loop(watch, residents, args.seconds, plan, inbox.processed)
            after = await ending
        finally:
            ending.cancel()  # a no-op once it is done
        await asyncio.sleep(1.5)  # backends report their statistics within a second or so
        transactions = await inbox.transactions() - transactions
        cores = {
            "instances": (after[0] - before[0]) / run.seconds,
            "postgres": postgres_delta(before[1], after[1]) / run.seconds,
            "sandbox+balancer+residents": (after[2] - before[2]) / run.seconds,
        }
        # drain: the webhook queue and the inbox, then stop the instances gracefully
        async with asyncio.timeout(60):
            while sandbox.pending_updates(None) or await inbox.open_rows():  # noqa: ASYNC110
                await asyncio.sleep(0.1)  # (the database has no event to await)
        stop_all()
        seen: Counter[int] = Counter()
        for instance in instances:
            seen.update(instance.handled())
        return Result(
            instances=count,
            warm=warm,
            run=run,
            cores=cores,
            duplicates=sum(n - 1 for n in seen.values() if n > 1),
            losses=len(inbox.sent - set(seen)),
            redelivered=balancer.redelivered,
            forwarded=[balancer.forwarded[i.url] for i in instances],
            fallbacks=sum(r.fallbacks for r in residents),
            transactions=transactions,
        )


async def run(args: argparse.Namespace) -> int:
    results: list[Result] = []
    ratios: dict[int, list[float]] = {}
    for round_ in range(args.rounds):
        first: Result | None = None
        for count in args.instances:
            result = await measure(count, args)
            results.append(result)
            first = first or result
            report(result, first)
            ratios.setdefault(count, []).append(result.run.rate / first.run.rate)
        if args.rounds > 1:
            print(f"(round {round_ + 1} of {args.rounds} done)", flush=True)
    if args.rounds > 1:  # the machine's speed drifts: the rounds interleave the counts
        first_rates = [r.run.rate for r in results if r.instances == args.instances[0]]
        for count, found in ratios.items():
            if count == args.instances[0]:
                continue  # the reference: 1.00x by definition
            rates = [r.run.rate for r in results if r.instances == count]
            print(
                f"{count} instance(s) over {args.rounds} rounds: median "
                f"{statistics.median(rates):.1f} updates/s (of {args.instances[0]}: "
                f"{statistics.median(first_rates):.1f}), median ratio to "
                f"{args.instances[0]} instance(s) in the same round "
                f"{statistics.median(found):.2f}x (each: "
                + ", ".join(f"{r:.2f}" for r in found)
                + ")"
            )
    ok = all(r.duplicates == 0 and r.losses == 0 for r in results)
    print("duplicates and losses: " + ("0 at every instance count" if ok else "FOUND"))
    return 0 if ok else 1


def report(result: Result, first: Result) -> None:
    run = result.run
    done = run.completed()
    updates = len(done)
    rate = run.rate
    cpu_total = sum(result.cores.values())
    per_update = {k: 1000 * v * run.seconds / max(updates, 1) for k, v in result.cores.items()}
    latency = handled(done)
    print(
        f"{result.instances} instance(s): {rate:.1f} updates/s "
        f"({rate / first.run.rate:.2f}x of {first.instances}), "
        f"{updates} updates in {run.seconds:.0f} s, "
        f"handled p50 {ms(latency, 0.5):.0f} ms p99 {ms(latency, 0.99):.0f} ms; "
        f"duplicates {result.duplicates}, losses {result.losses} "
        f"(redelivered by the balancer: {result.redelivered}; per instance: "
        f"{'/'.join(map(str, result.forwarded))}); warm-up {result.warm:.1f} s; "
        f"resident restarts {result.fallbacks}"
    )
    print(
        "   CPU, cores busy over the window of "
        f"{os.cpu_count()}: "
        + ", ".join(f"{k} {v:.2f}" for k, v in result.cores.items())
        + f" (total {cpu_total:.2f}); CPU ms per update: "
        + ", ".join(f"{k} {v:.1f}" for k, v in per_update.items())
        + "; database transactions per update "
        + f"{result.transactions / max(len(run.samples), 1):.1f} "
        "(this process's polls for handled updates included: 10/s)",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--redeliver", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure the counts this often, interleaved"
    )
    args = parser.parse_args()
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
