"""The database as configured: SQLite in WAL mode with foreign keys; migrations current."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint, delete, event, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.services import inbox
from models import db
from models.inbox import InboundUpdate
from models.region import MenuItem
from tests.conftest import scratch_database


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'wal.sqlite3'}")
    async with engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    await engine.dispose()


async def test_migrations_are_at_head(engine: AsyncEngine) -> None:
    assert await db.current_revision(engine) == db.head_revision()


async def test_foreign_keys_are_enforced(session: AsyncSession) -> None:
    session.add(MenuItem(merchant_id=987654, code="ghost", name="유령", name_en="Ghost", price=1))
    with pytest.raises(IntegrityError):
        await session.flush()


async def test_migrations_match_the_models(engine: AsyncEngine) -> None:
    """No column, table or nullability in models/ that the migrations do not create."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from models.base import Base

    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(connection)  # type: ignore[arg-type]
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as conn:
        found = await conn.run_sync(diff)
    assert found == []


def test_every_foreign_key_is_indexed() -> None:
    """Reads by a foreign key (an order's lines) and deletes of the row it points to (an
    emptied cart: its lines and messages) would otherwise scan a table that grows with every
    order. An index whose first column it is, or a unique constraint, counts."""
    from models.base import Base

    unindexed = []
    for table in Base.metadata.tables.values():
        leading = {  # a partial index covers some rows only
            index.columns[0].name
            for index in table.indexes
            if not any(
                option.get("where") is not None for option in index.dialect_options.values()
            )
        }
        leading |= {
            next(iter(constraint.columns)).name
            for constraint in table.constraints
            if isinstance(constraint, PrimaryKeyConstraint | UniqueConstraint)
            and constraint.columns
        }
        unindexed += [
            f"{table.name}.{key.parent.name}"
            for key in table.foreign_keys
            if key.parent.name not in leading
        ]
    assert unindexed == []


async def test_partial_indexes_keep_their_condition(engine: AsyncEngine) -> None:
    """An index the models declare with a WHERE is partial in the migrated database too
    (alembic's comparison above looks at names and columns, not at the condition)."""
    from models.base import Base

    dialect = engine.dialect.name
    partial = {
        index.name: str(index.dialect_options[dialect]["where"])
        for table in Base.metadata.tables.values()
        for index in table.indexes
        if index.dialect_options[dialect]["where"] is not None
    }
    assert partial  # the inbox's claim relies on two
    query = (
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        if dialect == "postgresql"
        else "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    )
    async with engine.connect() as conn:
        found = dict(list(await conn.execute(text(query))))

    def plain(condition: str) -> str:  # PostgreSQL writes status = 'cart' as it reads it
        return condition.replace("(", "").replace(")", "").replace("::text", "")

    for name, where in partial.items():
        assert plain(found[name]).endswith(f"WHERE {where}"), (name, found[name])


async def test_a_job_runs_on_one_instance_at_a_time(engine: AsyncEngine) -> None:
    """Scheduled jobs take an advisory lock on PostgreSQL: a second instance skips the round."""
    sessions = db.session_factory(engine)
    async with sessions.begin() as first:
        assert await db.run_alone(first, "timers")
        if engine.dialect.name == "postgresql":
            async with sessions.begin() as second:
                assert not await db.run_alone(second, "timers")
                assert await db.run_alone(second, "retention")  # another job's lock is free
    async with sessions.begin() as later:  # released with the transaction
        assert await db.run_alone(later, "timers")


async def test_one_leader_at_a_time(engine: AsyncEngine) -> None:
    """The broadcast sender leads on one instance; another takes over when it stops."""
    first = db.Leader(engine, db.JOB_LOCKS["broadcast"])
    second = db.Leader(engine, db.JOB_LOCKS["broadcast"])
    try:
        assert await first.acquire()
        assert await first.acquire()  # still
        on_postgres = engine.dialect.name == "postgresql"
        assert await second.acquire() is not on_postgres
        await first.release()
        assert await second.acquire()
    finally:
        await first.release()
        await second.release()


async def test_read_sessions_do_not_write(tmp_path: Path) -> None:
    """Read sessions take no write lock on SQLite, so they never wait for a writer."""
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'reads.sqlite3'}")
    try:
        await db.upgrade(engine)
        writes, reads = db.session_factory(engine), db.read_factory(engine)
        async with writes.begin() as writing:
            await writing.execute(text("CREATE TABLE t (x INTEGER)"))
        async with writes.begin() as writing:
            await writing.execute(text("INSERT INTO t VALUES (1)"))
            async with reads() as reading:  # while the writer holds the lock
                assert (await reading.execute(text("SELECT count(*) FROM t"))).scalar() == 0
        async with reads() as reading:
            assert (await reading.execute(text("SELECT count(*) FROM t"))).scalar() == 1
            with pytest.raises(db.ReadOnlySession):
                await reading.execute(text("INSERT INTO t VALUES (2)"))
    finally:
        await engine.dispose()


async def test_statement_sessions_commit_each_statement(engine: AsyncEngine) -> None:
    """A statement session's write is seen by others at once on PostgreSQL (no BEGIN and
    COMMIT round trips); on SQLite it is the process's writing transaction, seen at commit."""
    sessions = db.session_factory(engine)
    stored = select(func.count()).where(InboundUpdate.update_id == 7_000_001)
    try:
        async with db.statement_factory(sessions).begin() as session:
            await inbox.receive(
                session, update_id=7_000_001, chat_id=1, payload={}, now=datetime.now(UTC)
            )
            async with db.read_factory(engine)() as other:
                seen = await other.scalar(stored)
            assert seen == (1 if engine.dialect.name == "postgresql" else 0)
        if engine.dialect.name == "sqlite":  # the same writers' turns as every other write
            assert db.statement_factory(sessions) is sessions
    finally:
        async with sessions.begin() as session:
            await session.execute(
                delete(InboundUpdate).where(InboundUpdate.update_id == 7_000_001)
            )


async def test_postgres_reads_open_no_transaction(engine: AsyncEngine) -> None:
    """On PostgreSQL a read session's statements run on their own (no BEGIN and ROLLBACK round
    trips): now() moves between two statements, where a transaction would freeze it."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    sessions, reads = db.session_factory(engine), db.read_factory(engine)
    now = text("SELECT now()")
    async with reads() as reading:
        first = (await reading.execute(now)).scalar()
        await asyncio.sleep(0.01)
        assert (await reading.execute(now)).scalar() != first
        assert (await reading.execute(text("SELECT txid_current_if_assigned()"))).scalar() is None
    async with sessions.begin() as writing:  # writing sessions keep their transaction
        first = (await writing.execute(now)).scalar()
        await asyncio.sleep(0.01)
        assert (await writing.execute(now)).scalar() == first


async def test_postgres_claims_have_one_shape(engine: AsyncEngine) -> None:
    """The inbox's claim is one statement however many updates its instance is handling:
    the server prepares and plans it once per connection, not once per count."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    shapes = set()

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        shapes.add(statement)

    sessions = db.statement_factory(db.session_factory(engine))
    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        for handling in [(), (1,), (1, 2, 3)]:
            async with sessions.begin() as session:
                await inbox.claim(
                    session,
                    now=datetime.now(UTC),
                    lease=timedelta(seconds=60),
                    limit=0,  # takes nothing: the shape is the point
                    by="t",
                    handling=handling,
                )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert len(shapes) == 1


async def test_sqlite_writers_take_turns_in_order(tmp_path: Path) -> None:
    """A process's writers queue for SQLite's one write lock before they connect, first come
    first served; readers never wait for them; a writer that fails or is cancelled while
    waiting gives its turn on."""
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'turns.sqlite3'}")
    try:
        writes, reads = db.session_factory(engine), db.read_factory(engine)
        async with writes.begin() as session:
            await session.execute(text("CREATE TABLE t (n INTEGER)"))
        order: list[int] = []
        holding, release = asyncio.Event(), asyncio.Event()

        async def writer(n: int) -> None:
            async with writes.begin() as session:
                order.append(n)
                await session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
                if n == 0:
                    holding.set()
                    await release.wait()  # holds SQLite's write lock across an await
                if n == 1:
                    raise RuntimeError("a writer that fails")

        tasks = [asyncio.create_task(writer(0))]
        await holding.wait()
        tasks += [asyncio.create_task(writer(n)) for n in range(1, 20)]
        for _ in range(20):
            await asyncio.sleep(0)  # every waiter reaches its place in the queue
        tasks[5].cancel()  # cancelled while waiting for its turn
        async with reads() as reading:  # not held up by the writers
            assert (await reading.execute(text("SELECT count(*) FROM t"))).scalar() == 0
        assert order == [0]  # the others wait for their turn, not inside SQLite
        release.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert isinstance(results[1], RuntimeError)
        assert isinstance(results[5], asyncio.CancelledError)
        assert order == [n for n in range(20) if n != 5]
        async with reads() as reading:  # 1 rolled back, 5 never began
            assert (await reading.execute(text("SELECT count(*) FROM t"))).scalar() == 18
    finally:
        await engine.dispose()


@asynccontextmanager
async def pooled_postgres(
    tmp_path: Path, size: int = 1
) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """An engine of `size` connections on a database of its own, and one to kill them with."""
    async with scratch_database("postgresql", tmp_path) as url:
        engine = db.create_engine(url, pool_size=size, max_overflow=0)
        admin = db.create_engine(url)
        try:
            yield engine, admin
        finally:
            await engine.dispose()
            await admin.dispose()


async def backend_pid(engine: AsyncEngine) -> int:
    async with db.read_factory(engine)() as session:
        return int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def kill(admin: AsyncEngine, *pids: int) -> None:
    """End the server processes of these connections, as a restart would."""
    running = text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)")
    async with admin.connect() as conn:
        for pid in pids:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        async with asyncio.timeout(10):
            while await conn.scalar(running, {"pids": list(pids)}):
                await conn.rollback()  # a fresh snapshot of pg_stat_activity each time


@pytest.mark.postgres
async def test_postgres_connections_in_use_are_not_pinged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection checked out again within IDLE_PING is used as it is (pre-ping cost three
    round trips per checkout); one that rested longer is pinged first, and kept when alive."""
    async with pooled_postgres(tmp_path) as (engine, _admin):
        pings = 0
        ping = engine.dialect.do_ping

        def counted(connection: Any) -> bool:
            nonlocal pings
            pings += 1
            return ping(connection)

        monkeypatch.setattr(engine.dialect, "do_ping", counted)
        sessions = db.session_factory(engine)
        first = await backend_pid(engine)
        for _ in range(10):
            await backend_pid(engine)
            async with sessions.begin() as session:
                await session.execute(text("SELECT 1"))
        assert pings == 0
        monkeypatch.setattr(db, "IDLE_PING", 0.0)
        assert await backend_pid(engine) == first  # pinged, alive, kept
        assert pings == 1


@pytest.mark.postgres
async def test_postgres_connections_cut_while_idle_are_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a restart, the first rested connection's ping fails and the pool replaces it and
    every connection older than it: sessions never see the error, even on a connection used
    a moment before the restart."""
    async with pooled_postgres(tmp_path, size=2) as (engine, admin):

        async def two_at_once() -> set[int]:
            sessions = [db.read_factory(engine)() for _ in range(2)]
            try:
                return {
                    int((await s.execute(text("SELECT pg_backend_pid()"))).scalar_one())
                    for s in sessions
                }
            finally:
                for session in sessions:
                    await session.close()

        before = await two_at_once()
        assert len(before) == 2
        await kill(admin, *before)
        monkeypatch.setattr(db, "IDLE_PING", 0.0)  # the next checkout has rested
        assert await backend_pid(engine) not in before
        monkeypatch.setattr(db, "IDLE_PING", 3600.0)  # and nothing else is pinged
        assert not await two_at_once() & before


@pytest.mark.postgres
async def test_postgres_connections_cut_in_use_fail_once(tmp_path: Path) -> None:
    """A connection cut moments after its last use is not pinged: the statement that meets it
    fails, the pool replaces its connections, and the next session works."""
    async with pooled_postgres(tmp_path) as (engine, admin):
        first = await backend_pid(engine)
        await kill(admin, first)
        with pytest.raises(DBAPIError) as failed:
            await backend_pid(engine)
        assert failed.value.connection_invalidated
        assert await backend_pid(engine) != first
