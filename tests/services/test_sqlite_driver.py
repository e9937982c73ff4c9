"""models/sqlite_driver.py: one trip to aiosqlite's thread per statement, the same results."""

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from models import db


@pytest_asyncio.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.sqlite3'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
        await conn.execute(text("INSERT INTO t (name) VALUES ('a'), ('b'), ('c')"))
    yield engine
    await engine.dispose()


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the functions sent to aiosqlite's thread."""
    sent: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return sent


STATEMENTS = [
    # (statement, parameters, rows, rowcount)
    ("SELECT name FROM t ORDER BY id", {}, [("a",), ("b",), ("c",)], -1),
    ("SELECT name FROM t WHERE name = :n", {"n": "zz"}, [], -1),
    ("UPDATE t SET name = name || '!' WHERE id > :i", {"i": 1}, None, 2),
    ("DELETE FROM t WHERE id = :i", {"i": 1}, None, 1),
    ("INSERT INTO t (name) VALUES (:n) RETURNING id, name", {"n": "d"}, [(4, "d")], 1),
    ("UPDATE t SET name = 'x' WHERE id = 99", {}, None, 0),
]


@pytest.mark.parametrize(("statement", "params", "rows", "rowcount"), STATEMENTS)
async def test_one_hop_per_statement_with_the_same_results(
    sqlite: AsyncEngine,
    hops: list[str],
    statement: str,
    params: dict[str, Any],
    rows: list[tuple[Any, ...]] | None,
    rowcount: int,
) -> None:
    async with sqlite.begin() as conn:
        hops.clear()
        result = await conn.execute(text(statement), params)
        assert hops == ["_run"]  # SQLAlchemy's own adapter: cursor, execute, fetchall, close
        if rows is None:
            assert not result.returns_rows
        else:
            assert [tuple(r) for r in result.all()] == rows
        if rowcount >= 0:
            assert result.rowcount == rowcount


async def test_lastrowid_and_executemany(sqlite: AsyncEngine, hops: list[str]) -> None:
    async with sqlite.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (name) VALUES ('e')"))
        assert inserted.lastrowid == 4
        hops.clear()
        many = await conn.execute(
            text("INSERT INTO t (name) VALUES (:n)"), [{"n": "f"}, {"n": "g"}]
        )
        assert hops == ["_run"]
        assert many.rowcount == 2
        names = (await conn.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all()
    assert names == ["a", "b", "c", "e", "f", "g"]


async def test_errors_are_sqlalchemys_and_the_connection_goes_on(sqlite: AsyncEngine) -> None:
    async with sqlite.connect() as conn:
        with pytest.raises(IntegrityError, match=r"UNIQUE constraint failed: t\.name"):
            await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        await conn.rollback()
        with pytest.raises(OperationalError, match="no such table: nowhere"):
            await conn.execute(text("SELECT * FROM nowhere"))
        await conn.rollback()
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 3


async def test_streamed_results_use_the_stock_cursor(sqlite: AsyncEngine, hops: list[str]) -> None:
    async with sqlite.connect() as conn:
        hops.clear()
        result = await conn.stream(text("SELECT name FROM t ORDER BY id"))
        assert [row async for row in result.scalars()] == ["a", "b", "c"]
    # the SELECT went through aiosqlite's own cursor, fetching as it goes (_run: the BEGIN)
    assert {"cursor", "execute", "fetchmany"} <= set(hops)


async def test_a_closed_connection_is_an_operational_error(sqlite: AsyncEngine) -> None:
    async with sqlite.connect() as conn:
        raw = await conn.get_raw_connection()
        await raw.driver_connection.close()
        with pytest.raises(OperationalError, match="no active connection") as caught:
            await conn.execute(text("SELECT 1"))
        assert caught.value.connection_invalidated
    async with sqlite.connect() as conn:  # the pool replaced it
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 3


async def test_a_transaction_rolled_back_leaves_nothing(sqlite: AsyncEngine) -> None:
    conn = await sqlite.connect()
    transaction = await conn.begin()
    await conn.execute(text("DELETE FROM t"))
    await transaction.rollback()
    await conn.close()
    async with sqlite.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 3


async def test_the_begin_goes_with_the_first_statement(
    sqlite: AsyncEngine, hops: list[str]
) -> None:
    async with sqlite.begin() as conn:
        await conn.execute(text("SELECT name FROM t"))
        await conn.execute(text("SELECT name FROM t"))
    assert hops == ["_run", "_run", "commit"]  # the stock way: BEGIN's trip before them


async def test_a_transaction_that_runs_nothing_opens_nothing(
    sqlite: AsyncEngine, hops: list[str]
) -> None:
    async with sqlite.begin():
        pass
    assert hops == []


async def test_begin_immediate_holds_the_write_lock_from_the_first_statement(
    sqlite: AsyncEngine, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "driver.sqlite3", timeout=0.05, isolation_level=None)
    try:
        async with sqlite.begin() as conn:
            await conn.execute(text("SELECT count(*) FROM t"))  # a read, but BEGIN IMMEDIATE
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free once committed
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_a_streamed_first_statement_is_inside_the_transaction(sqlite: AsyncEngine) -> None:
    conn = await sqlite.connect()
    transaction = await conn.begin()
    result = await conn.stream(text("DELETE FROM t RETURNING name"))
    assert sorted([row async for row in result.scalars()]) == ["a", "b", "c"]
    await transaction.rollback()
    assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 3
    await conn.close()


async def test_a_begin_that_failed_runs_before_the_next_statement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BEGIN IMMEDIATE refused (SQLite locked past the busy timeout): the caller may go on in
    the same transaction, which must then really be one."""
    monkeypatch.setattr(db, "WRITER_WAIT", 0.2)
    path = tmp_path / "busy.sqlite3"
    engine = db.create_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (name TEXT)"))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    conn = await engine.connect()
    transaction = await conn.begin()
    with pytest.raises(OperationalError, match="database is locked"):
        await conn.execute(text("INSERT INTO t VALUES ('first')"))
    other.execute("ROLLBACK")
    other.close()
    await conn.execute(text("INSERT INTO t VALUES ('second')"))
    await transaction.rollback()
    assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0
    await conn.close()
    await engine.dispose()


async def test_read_sessions_open_no_transaction(sqlite: AsyncEngine, hops: list[str]) -> None:
    """A read session's statements run on their own, as on PostgreSQL: each sees what was
    committed before it, and the session ends without a trip for its ROLLBACK."""
    async with sqlite.connect(), sqlite.connect():
        pass  # two connections in the pool, made (their setup's trips) before counting
    hops.clear()
    async with db.read_factory(sqlite)() as reading:
        assert (await reading.execute(text("SELECT count(*) FROM t"))).scalar() == 3
        async with sqlite.begin() as conn:
            await conn.execute(text("INSERT INTO t (name) VALUES ('d')"))
        assert (await reading.execute(text("SELECT count(*) FROM t"))).scalar() == 4
    assert hops == ["_run", "_run", "commit", "_run"]
