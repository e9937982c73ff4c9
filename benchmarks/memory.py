"""Print the resident memory (RSS) of one running gongbae instance with a large region loaded.

A region of 2,250 shops x 50 items (인천 서구's 2,250 merchants; the generator of
benchmarks/nlu_speed.py) is written to a JSON pack and imported into a fresh SQLite file
with `python main.py import-menu`; then `python main.py run` is started as a child process,
with a real token pointed at a sandbox Bot API served here (so it does not seed the demo
region). Once /readyz answers, a few residents write orders through the sandbox, so the
parser runs against the index, and the child's VmRSS and VmHWM (peak) are read from
/proc/PID/status at ready and after the replies. The same is done with the demo region
(demo/incheon-seo.json) for comparison. Then one shop's menu changes, --menu-changes times
(a price, written as an owner's upload writes it): each time the instance rebuilds its
index while the old one still answers, and the memory is read again once it logged the
rebuild and answered an order.
The bar: under 300 MB (10^6 bytes), peak included.
Run: .venv/bin/python benchmarks/memory.py [--shops 2250] [--items 50] [--messages 9]
     [--menu-changes 2]
"""

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import select  # noqa: E402

from benchmarks.nlu_speed import generated_region  # noqa: E402
from bot.config import SANDBOX_BOT_USERNAME, SANDBOX_TOKEN  # noqa: E402
from bot.sandbox import Sandbox  # noqa: E402
from bot.services import menu_pack  # noqa: E402
from models import db  # noqa: E402
from models.region import Merchant  # noqa: E402
from tests.sandbox.conftest import serve  # noqa: E402

PYTHON = ROOT / ".venv" / "bin" / "python"
DEMO_PACK = ROOT / "demo" / "incheon-seo.json"
BAR_BYTES = 300 * 10**6
READY_RE = re.compile(r"gongbae running; web app at (\S+?)/? ")
START_TIMEOUT = 600.0  # loading 112,500 items and building the index may take a while
REPLY_TIMEOUT = 60.0
TEXTS = [
    "치킨 한 마리",
    "후라이드치킨 2마리",
    "짜장면 두 개랑 탕수육",
    "김치찌개 1인분",
    "떡볶이 2인분이랑 김밥 한 줄",
    "아메리카노 3잔",
    "양념치킨 하나 반반치킨 하나",
    "족발 중",
    "페퍼로니피자 라지",
]
# Settings of the environment that would change what the child does; the rest is set below.
DROPPED_ENV = ("WEBHOOK_URL", "WEBHOOK_SECRET", "PUBLIC_BASE_URL", "WEB_HOST")


@dataclass
class Memory:
    """One reading of /proc/PID/status, in bytes."""

    rss: int
    peak: int
    anon: int


@dataclass
class Result:
    """What one instance cost."""

    label: str
    import_s: float
    import_peak: int  # the import process's peak RSS (bytes, from wait4)
    db_bytes: int
    pack_bytes: int
    ready_s: float
    at_ready: Memory
    after: Memory
    changes: list[tuple[Memory, float]]
    replies_ms: list[float] = field(default_factory=list)
    sample_reply: str = ""


def python() -> str:
    """The project's interpreter (.venv), else this one."""
    return str(PYTHON) if PYTHON.exists() else sys.executable


def child_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a child: ours, with the instance's settings."""
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env.update(
        DATABASE_URL=database_url,
        LOG_LEVEL="INFO",  # the rebuild after a menu change is seen in the log
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def memory(pid: int) -> Memory:
    """VmRSS, VmHWM and RssAnon of a process (Linux)."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM", "RssAnon"):
            values[name] = int(rest.split()[0]) * 1024  # kB
    return Memory(values["VmRSS"], values["VmHWM"], values["RssAnon"])


def mib(n: int) -> str:
    """Bytes as MiB (2^20)."""
    return f"{n / 2**20:.1f} MiB"


def mb(n: int) -> str:
    """Bytes as MB (10^6)."""
    return f"{n / 10**6:.1f} MB"


def both(n: int) -> str:
    """Bytes as MiB and MB."""
    return f"{mib(n)} = {mb(n)}"


def import_pack(pack: Path, database_url: str) -> tuple[float, int]:
    """Run `main.py import-menu`; return (seconds, peak RSS of the import in bytes)."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603 (our own interpreter and script)
            [python(), "main.py", "import-menu", str(pack)],
            cwd=ROOT,
            env=child_env(database_url),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace").strip()
    if proc.returncode != 0:
        raise SystemExit(f"import-menu {pack} failed ({proc.returncode}):\n{text}")
    print(f"  {text}")
    return seconds, usage.ru_maxrss * 1024  # KiB on Linux


async def drain(stream: asyncio.StreamReader | None, lines: list[str]) -> None:
    """Collect a child's output, so its pipe never fills."""
    if stream is None:
        return
    async for raw in stream:
        lines.append(raw.decode(errors="replace").rstrip())


@contextlib.asynccontextmanager
async def instance(
    database_url: str, api_base: str
) -> AsyncIterator[tuple[int, float, list[str]]]:
    """Start `main.py run`; yield (pid, seconds until /readyz answered 200, its log lines)."""
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        python(),
        "main.py",
        "run",
        cwd=ROOT,
        env=child_env(
            database_url,
            TELEGRAM_BOT_TOKEN=SANDBOX_TOKEN,
            TELEGRAM_API_BASE_URL=api_base,
            WEB_PORT="0",
        ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out: list[str] = []
    err: list[str] = []
    tasks = [
        asyncio.create_task(drain(proc.stdout, out)),
        asyncio.create_task(drain(proc.stderr, err)),
    ]
    try:
        url = await wait_running(proc, out)
        await wait_ready(proc, url)
        yield proc.pid, time.perf_counter() - started, err
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                print("  instance did not stop within 30 s of SIGTERM; killing it")
                proc.kill()
                await proc.wait()
        await asyncio.gather(*tasks)
        if proc.returncode != 0:
            print(f"  instance exited with {proc.returncode}")
            for line in err[-20:]:
                print(f"  stderr: {line}")


async def wait_running(proc: asyncio.subprocess.Process, out: list[str]) -> str:
    """The web URL the child prints once its index is loaded and it serves HTTP."""
    deadline = time.perf_counter() + START_TIMEOUT
    while time.perf_counter() < deadline:
        for line in out:
            if match := READY_RE.search(line):
                return match.group(1)
        if proc.returncode is not None:
            break
        await asyncio.sleep(0.05)
    raise SystemExit(f"instance did not start (exit {proc.returncode}; its stderr is above)")


async def wait_ready(proc: asyncio.subprocess.Process, url: str) -> None:
    """Poll /readyz until it answers 200."""
    deadline = time.perf_counter() + START_TIMEOUT
    async with httpx.AsyncClient(timeout=5) as client:
        while time.perf_counter() < deadline and proc.returncode is None:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.05)
    raise SystemExit(f"{url}/readyz never answered 200 (exit {proc.returncode})")


async def converse(sandbox: Sandbox, user_id: int, texts: list[str]) -> tuple[list[float], str]:
    """/start, then each text as a resident, each waiting for the bot's reply (ms)."""
    sandbox.add_user(user_id, f"벤치{user_id}", None, None, "ko", role="resident")
    times: list[float] = []
    first_reply = ""
    for text in ["/start", *texts]:
        sent = sandbox.send_text(user_id, text)
        started = time.perf_counter()
        reply = await sandbox.wait_for_bot_message(
            user_id, after_id=sent["message"]["message_id"], timeout=REPLY_TIMEOUT
        )
        if text != "/start":
            times.append((time.perf_counter() - started) * 1000)
            first_reply = first_reply or f"{text!r} -> {(reply.text or '').splitlines()[0]!r}"
    return times, first_reply


@dataclass
class Observed:
    """What a running instance showed."""

    ready_s: float
    at_ready: Memory
    after: Memory
    replies_ms: list[float]
    sample_reply: str
    # after each change of a shop's menu, once the index was rebuilt: the memory, and the
    # seconds from the change to the log line of the rebuild
    changes: list[tuple[Memory, float]]


async def change_a_menu(database_url: str, first: dict[str, Any]) -> None:
    """Raise the first item's price of a shop (as in the pack) by 500원, as an upload would."""
    menu = first["menu"]
    menu[0]["price"] += 500
    engine = db.create_engine(database_url.replace("sqlite://", "sqlite+aiosqlite://", 1))
    try:
        async with db.session_factory(engine).begin() as session:
            merchant_id = await session.scalar(
                select(Merchant.id).where(Merchant.code == first["code"])
            )
            assert merchant_id is not None  # noqa: S101 (imported just before)
            report = await menu_pack.import_menu(session, merchant_id, menu)
            assert report.changed  # noqa: S101
    finally:
        await engine.dispose()


async def wait_logged(lines: list[str], text: str, times: int) -> None:
    """Wait until the instance logged `times` lines containing `text`."""
    deadline = time.perf_counter() + START_TIMEOUT
    while time.perf_counter() < deadline:
        if sum(text in line for line in lines) >= times:
            return
        await asyncio.sleep(0.1)
    raise SystemExit(f"the instance never logged {text!r}")


async def observe(
    database_url: str, messages: int, menu_changes: int, first: dict[str, Any]
) -> Observed:
    """Serve a sandbox Bot API, run an instance against it, send orders, read its memory."""
    sandbox = Sandbox(token=SANDBOX_TOKEN, bot_username=SANDBOX_BOT_USERNAME)
    async with serve(sandbox) as served:
        print(f"  starting `main.py run` (sandbox Bot API at {served.base})", flush=True)
        async with instance(database_url, served.base) as (pid, ready_s, log):
            at_ready = memory(pid)
            users = 3
            texts = [TEXTS[i % len(TEXTS)] for i in range(messages)]
            conversations = await asyncio.gather(
                *(converse(sandbox, 7001 + n, texts[n::users]) for n in range(users))
            )
            after = memory(pid)
            changes = []
            for number in range(1, menu_changes + 1):
                started = time.perf_counter()
                await change_a_menu(database_url, first)
                await wait_logged(log, "the parser's index was rebuilt", number)
                rebuild_s = time.perf_counter() - started
                await converse(sandbox, 7001 + users + number, TEXTS[:1])
                changes.append((memory(pid), rebuild_s))
    replies = [ms for times, _ in conversations for ms in times]
    return Observed(ready_s, at_ready, after, replies, conversations[0][1], changes)


def measure(
    label: str,
    pack: Path,
    workdir: Path,
    messages: int,
    menu_changes: int,
    first: dict[str, Any],
) -> Result:
    """Import `pack` into a fresh database, run an instance on it and read its memory;
    `first`, the pack's first shop, is the one whose menu changes."""
    db_file = workdir / f"{pack.stem}.sqlite3"
    database_url = f"sqlite:///{db_file}"
    pack_bytes = pack.stat().st_size
    print(f"{label}: importing {pack.name} ({mb(pack_bytes)})...", flush=True)
    import_s, import_peak = import_pack(pack, database_url)
    db_bytes = sum(  # after the import; a WAL left behind counts too
        f.stat().st_size for f in workdir.glob(f"{db_file.name}*") if f.is_file()
    )
    seen = asyncio.run(observe(database_url, messages, menu_changes, first))
    return Result(
        label=label,
        import_s=import_s,
        import_peak=import_peak,
        db_bytes=db_bytes,
        pack_bytes=pack_bytes,
        ready_s=seen.ready_s,
        at_ready=seen.at_ready,
        after=seen.after,
        changes=seen.changes,
        replies_ms=seen.replies_ms,
        sample_reply=seen.sample_reply,
    )


def peak_of(result: Result) -> int:
    """The instance's peak RSS over the whole run (VmHWM never goes down)."""
    return max([result.at_ready.peak, result.after.peak] + [m.peak for m, _ in result.changes])


def report(result: Result, *, bar: bool) -> None:
    """Print one instance's figures."""
    peak = peak_of(result)
    line = (
        f"{result.label}: import {result.import_s:.1f} s; ready after {result.ready_s:.1f} s; "
        f"RSS {mib(result.after.rss)} (peak {mib(peak)})"
    )
    if bar:
        line += f"; bar < 300 MB: {'ok' if peak < BAR_BYTES else 'FAILED'} (peak {mb(peak)})"
    print(line)
    print(
        f"    at ready:        RSS {both(result.at_ready.rss)}, "
        f"anon {mib(result.at_ready.anon)}, peak {both(result.at_ready.peak)}"
    )
    print(
        f"    after {len(result.replies_ms)} orders: RSS {both(result.after.rss)}, "
        f"anon {mib(result.after.anon)}, peak {both(result.after.peak)}"
    )
    for number, (changed, rebuild_s) in enumerate(result.changes, 1):
        print(
            f"    menu change {number}: RSS {both(changed.rss)}, anon {mib(changed.anon)}, "
            f"peak {both(changed.peak)} (index rebuilt {rebuild_s:.1f} s after the change)"
        )
    if result.replies_ms:
        print(
            f"    reply time: median {statistics.median(result.replies_ms):.0f} ms, "
            f"max {max(result.replies_ms):.0f} ms; e.g. {result.sample_reply}"
        )
    print(
        f"    pack {mb(result.pack_bytes)}; DB file {both(result.db_bytes)}; "
        f"import process peak RSS {both(result.import_peak)}"
    )


def count(pack: dict[str, Any]) -> tuple[int, int]:
    """Shops and items of a pack."""
    return len(pack["merchants"]), sum(len(m["menu"]) for m in pack["merchants"])


def run(args: argparse.Namespace) -> int:
    """Measure the demo region, then the generated one; print both and the difference."""
    with tempfile.TemporaryDirectory(prefix="gongbae-memory-") as tmp:
        workdir = Path(tmp)
        demo_pack = json.loads(DEMO_PACK.read_text(encoding="utf-8"))
        demo_shops, demo_items = count(demo_pack)
        demo = measure(
            f"demo region ({demo_shops} shops, {demo_items} items)",
            DEMO_PACK,
            workdir,
            args.messages,
            args.menu_changes,
            demo_pack["merchants"][0],
        )
        report(demo, bar=False)
        region = generated_region(args.shops, args.items)
        shops, items = count(region)
        big_pack = workdir / "region.json"
        big_pack.write_text(json.dumps(region, ensure_ascii=False), encoding="utf-8")
        first = region["merchants"][0]
        del region
        big = measure(
            f"{shops:,} shops x {args.items} items ({items:,})",
            big_pack,
            workdir,
            args.messages,
            args.menu_changes,
            first,
        )
        report(big, bar=True)
    extra = big.after.rss - demo.after.rss
    extra_peak = peak_of(big) - peak_of(demo)
    print(
        f"{items - demo_items:,} more items cost {both(extra)} of RSS after the orders "
        f"(peak {both(extra_peak)}), about {extra / max(1, items - demo_items) / 1024:.2f} KiB "
        "per item"
    )
    return 0


def main() -> int:
    """Parse the options and measure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shops", type=int, default=2250)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--messages", type=int, default=9, help="orders sent (by 3 residents)")
    parser.add_argument(
        "--menu-changes", type=int, default=2, help="menu changes after the orders, one by one"
    )
    args = parser.parse_args()
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
