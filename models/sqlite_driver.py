"""aiosqlite with one thread hop per statement.

aiosqlite runs each sqlite3 call on its connection's own thread; every call is a round trip
(a queue put, a thread wake-up, a call_soon_threadsafe back) costing about 60 µs of CPU.
SQLAlchemy's adapter makes four per statement: cursor(), execute(), fetchall() and close().
The cursor here makes one: a function run on that thread opens the sqlite3 cursor, executes,
fetches every row, notes description, rowcount and lastrowid, and closes it. Same aiosqlite
connection, same thread, same order of work; server-side (streamed) cursors are unchanged.
Measured with benchmarks/unit_costs.py (README.md has the figures).
"""

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_

Outcome = tuple[Any, Sequence[Any], int, int | None]


def _run(conn: sqlite3.Connection, method: str, operation: str, parameters: Any) -> Outcome:
    """On aiosqlite's thread: one statement, start to finish."""
    cursor = conn.cursor()
    try:
        if parameters is None:
            getattr(cursor, method)(operation)
        else:
            getattr(cursor, method)(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else ()
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose execute() is one trip to aiosqlite's thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount", "arraysize")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # no super().__init__: it opens an aiosqlite cursor, one round trip of its own
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None
        self._soft_closed_memoized = {}
        self._rows = collections.deque()
        self._description = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self.arraysize = 1

    @property
    def description(self) -> Any:
        """The last statement's columns (None when it returned no rows)."""
        return self._description

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed (-1 for a SELECT)."""
        return self._rowcount

    @property
    def lastrowid(self) -> int | None:  # type: ignore[override]
        """The rowid of the last row inserted."""
        return self._lastrowid

    async def _async_soft_close(self) -> None:
        """Nothing is open on the thread between calls."""

    def nextset(self) -> None:
        """SQLite has one result set per statement (and SQLAlchemy never asks for another)."""
        raise NotImplementedError("one result set per statement")

    def setinputsizes(self, *inputsizes: Any) -> None:
        """Not used by SQLite."""

    def close(self) -> None:
        """Drop the rows not fetched."""
        self._rows.clear()

    async def _call(self, method: str, operation: str, parameters: Any) -> None:
        """Run the statement on aiosqlite's thread; keep what it returned."""
        conn = self._connection
        async with self._adapt_connection._execute_mutex:
            outcome = await conn._execute(_run, conn._conn, method, operation, parameters)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._call("execute", operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._call("executemany", operation, seq_of_parameters)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's adapted aiosqlite connection, with the one-hop cursor."""

    __slots__ = ()
    _cursor_cls = OneHopCursor


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect is given (create_engine's `module=`)."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        creator_fn = kw.pop("async_creator_fn", None)
        if creator_fn:
            connection = creator_fn(*arg, **kw)
        else:
            connection = aiosqlite.connect(*arg, **kw)
            connection._thread.daemon = True  # as SQLAlchemy's own adapter does
        return OneHopConnection(self, await_(connection))


def dbapi() -> OneHopDBAPI:
    """The module to give create_async_engine for an aiosqlite URL."""
    return OneHopDBAPI(aiosqlite, sqlite3)
