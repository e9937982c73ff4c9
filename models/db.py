"""Engine, session factory and schema migrations (SQLite in WAL mode, or PostgreSQL)."""

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, exc, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from models import sqlite_driver

logger = logging.getLogger(__name__)
READS = "gongbae_reads"
IDLE_PING = 10.0  # seconds a pooled server connection may rest and still be used unpinged
IDLE_SINCE = "gongbae_idle_since"
WRITER_WAIT = 30.0  # seconds a writer waits for its turn, then for SQLite's lock


class ReadOnlySession(RuntimeError):
    """A session made for reading tried to write (a bug: use sessions.begin())."""


MIGRATIONS = Path(__file__).with_name("migrations")


def ping_when_idle(engine: AsyncEngine) -> None:
    """Check a pooled connection before use only when it rested longer than IDLE_PING.

    SQLAlchemy's pool_pre_ping checks every checkout: on PostgreSQL a BEGIN, an empty query
    and a ROLLBACK, three round trips; a statement log of benchmarks/scale.py showed 6187
    such pings for 1773 updates. A connection used a moment ago is trusted. A connection that
    rested, which a restart or a firewall may have cut unseen, is checked; if the server went
    away, the pool replaces it and every connection older than it. After a restart, a session that
    meets a connection used within IDLE_PING before it fails once (SQLAlchemy then replaces
    the pool's connections too); with pre-ping it would not.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _rest(_dbapi_connection: Any, record: Any) -> None:
        record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(IDLE_SINCE, None)
        if since is None or time.monotonic() - since <= IDLE_PING:
            return  # new, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as err:
            if not engine.dialect.is_disconnect(err, dbapi_connection, None):
                raise
            # the pool connects anew, and drops the connections older than this one
            raise exc.InvalidatePoolError(f"the server went away: {err}") from err


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine; SQLite gets WAL, foreign keys and working SAVEPOINTs."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_async_engine(url, **kwargs)
        ping_when_idle(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_driver_name() == "aiosqlite":
        kwargs.setdefault("module", sqlite_driver.dbapi())  # one thread hop per statement
    engine = create_async_engine(url, connect_args={"timeout": WRITER_WAIT}, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy emits BEGIN below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(WRITER_WAIT * 1000)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # a read-only session opens no transaction, as on PostgreSQL (read_factory): each
        # SELECT reads its own WAL snapshot and waits for nobody, and no ROLLBACK ends it.
        # IMMEDIATE takes the write lock up front: no deadlock when a reader starts writing
        if conn.get_execution_options().get(READS):
            return
        adapted = conn.connection.dbapi_connection
        if isinstance(adapted, sqlite_driver.OneHopConnection):
            adapted.begin_with_next("BEGIN IMMEDIATE")  # in the first statement's trip
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _reads_only(
        conn: Connection, _cursor: Any, statement: str, *_args: Any, **_kwargs: Any
    ) -> None:
        verb = statement.lstrip()[:6].upper()
        if conn.get_execution_options().get(READS) and verb not in ("SELECT", "PRAGMA"):
            raise ReadOnlySession(statement[:80])

    return engine


class _OneWriterAtATime(async_sessionmaker[AsyncSession]):
    """SQLite lets one transaction write at a time. Left to SQLite, a waiting writer holds a
    pooled connection and polls in its busy handler, sleeping up to 100 ms between tries, so
    under load the lock sits free while waiters sleep and readers find no connection. Here the
    writers of this process queue for their turn first, in order, and only then connect."""

    def __init__(self, engine: AsyncEngine, **kw: Any) -> None:
        super().__init__(engine, **kw)
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:  # type: ignore[override]
        """A writing transaction, once this process's previous writers have finished."""
        turn = self._turns.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        try:
            async with asyncio.timeout(WRITER_WAIT):
                await turn.acquire()
        except TimeoutError:  # a writer that never finishes: SQLite's own busy wait decides
            logger.warning("Waited %s s for the SQLite write turn; going ahead", WRITER_WAIT)
            turn = None
        try:
            async with super().begin() as session:
                yield session
        finally:
            if turn is not None:
                turn.release()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values after commit (no IO on later attribute reads); on
    SQLite, a process's writing transactions take turns (see _OneWriterAtATime)."""
    if engine.dialect.name == "sqlite":
        return _OneWriterAtATime(engine, expire_on_commit=False)
    return async_sessionmaker(engine, expire_on_commit=False)


def read_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that only read, each statement on its own: no BEGIN and ROLLBACK round trips
    (on PostgreSQL AUTOCOMMIT, where under READ COMMITTED every statement of a transaction
    took its own snapshot anyway; on SQLite no BEGIN, so each SELECT reads its own snapshot
    and takes no write lock). A write in one raises ReadOnlySession on SQLite."""
    if engine.dialect.name == "postgresql":
        return _sessions(engine, **{READS: True, "isolation_level": "AUTOCOMMIT"})
    return _sessions(engine, **{READS: True})


def statement_factory(
    sessions: async_sessionmaker[AsyncSession],
) -> async_sessionmaker[AsyncSession]:
    """Sessions for statements each whole on its own: on PostgreSQL each commits as it runs
    (AUTOCOMMIT: no BEGIN and COMMIT round trips); on SQLite `sessions`, the process's
    writing transactions (which take turns for the write lock)."""
    engine = sessions.kw["bind"]
    if engine.dialect.name == "postgresql":
        return _sessions(engine, isolation_level="AUTOCOMMIT")
    return sessions


def _sessions(engine: AsyncEngine, **options: Any) -> async_sessionmaker[AsyncSession]:
    """Sessions on `engine` with these execution options, keeping values after commit."""
    return async_sessionmaker(engine.execution_options(**options), expire_on_commit=False)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at models/migrations (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def _migrate(
    engine: AsyncEngine, step: Callable[[Config, str], None], revision: str
) -> None:
    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        step(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations up to `revision` on the engine's database."""
    await _migrate(engine, command.upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    """Revert migrations down to `revision`."""
    await _migrate(engine, command.downgrade, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None for an empty database."""

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(read)


def head_revision() -> str | None:
    """The newest revision in models/migrations."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


# Keys of the scheduled jobs that must run on one instance at a time (advisory locks).
JOB_LOCKS = {"timers": 7_310_001, "retention": 7_310_002, "broadcast": 7_310_003}


async def run_alone(session: AsyncSession, job: str) -> bool:
    """Take the job's lock for the session's transaction; False when another instance holds
    it (PostgreSQL advisory lock). SQLite serves one instance, whose writes are serialised:
    always True."""
    if session.bind.dialect.name != "postgresql":
        return True
    taken = await session.scalar(select(func.pg_try_advisory_xact_lock(JOB_LOCKS[job])))
    return bool(taken)


class Leader:
    """The one instance that does a job continuously (the broadcast sender): it holds a
    session-level advisory lock on a connection of its own, released when it stops or its
    process dies, so another instance takes over. Not PostgreSQL: always the leader."""

    def __init__(self, engine: AsyncEngine, key: int) -> None:
        self.engine = engine
        self.key = key
        self._conn: AsyncConnection | None = None

    async def acquire(self) -> bool:
        """True when this instance leads (now or already)."""
        if self.engine.dialect.name != "postgresql" or self._conn is not None:
            return True
        conn = await self.engine.connect()
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            taken = await conn.scalar(select(func.pg_try_advisory_lock(self.key)))
        except BaseException:
            await conn.close()
            raise
        if taken:
            self._conn = conn
            return True
        await conn.close()
        return False

    async def release(self) -> None:
        """Give the lead up."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):  # a dead connection has released it
                await conn.scalar(select(func.pg_advisory_unlock(self.key)))
            await conn.close()
