"""aiosqlite with one thread hop per statement.

aiosqlite runs each sqlite3 call on its connection's own thread; every call is a round trip
(a queue put, a thread wake-up, a call_soon_threadsafe back) costing about 60 µs of CPU.
SQLAlchemy's adapter makes four per statement: cursor(), execute(), fetchall() and close(),
and the transaction's BEGIN is a statement of its own. The cursor here makes one: a function
run on that thread runs the BEGIN the transaction is waiting for, if any, opens the sqlite3
cursor, executes, fetches every row, notes description, rowcount and lastrowid, and closes
it. Same aiosqlite connection, same thread, same order of work; server-side (streamed)
cursors are aiosqlite's own, with the BEGIN sent before them.
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

# description, rows, rowcount, lastrowid, and whether a transaction is open after it
Outcome = tuple[Any, Sequence[Any], int, int | None, bool]


class BeginFailed(Exception):
    """The transaction's BEGIN failed (e.g. SQLite stayed locked past the busy timeout): it
    is still to run, before the transaction's next statement."""


def _begin(conn: sqlite3.Connection, statement: str) -> None:
    """On aiosqlite's thread: open the transaction."""
    try:
        conn.execute(statement).close()
    except sqlite3.Error as error:
        raise BeginFailed(statement) from error


def _run(
    conn: sqlite3.Connection, begin: str | None, method: str, operation: str, parameters: Any
) -> Outcome:
    """On aiosqlite's thread: the transaction's BEGIN when it is the first statement, then
    the statement, start to finish."""
    if begin is not None:
        _begin(conn, begin)
    cursor = conn.cursor()
    try:
        if parameters is None:
            getattr(cursor, method)(operation)
        else:
            getattr(cursor, method)(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else ()
        return description, rows, cursor.rowcount, cursor.lastrowid, conn.in_transaction
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
        conn, adapted = self._connection, self._adapt_connection
        async with adapted._execute_mutex:
            begin, adapted.pending_begin = adapted.pending_begin, None
            try:
                outcome = await conn._execute(
                    _run, conn._conn, begin, method, operation, parameters
                )
            except BeginFailed as failed:
                adapted.pending_begin = begin  # no transaction yet: the next statement tries
                raise failed.__cause__ from None  # sqlite3's own error, for SQLAlchemy
            except BaseException:
                adapted.open = True  # its BEGIN, or the statement itself, may have opened one
                raise
        self._description, rows, self._rowcount, self._lastrowid, adapted.open = outcome
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._call("execute", operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._call("executemany", operation, seq_of_parameters)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's adapted aiosqlite connection, with the one-hop cursor. A transaction's
    BEGIN waits for its first statement and goes in the same trip (begin_with_next)."""

    __slots__ = ("open", "pending_begin")
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: aiosqlite.Connection) -> None:
        super().__init__(dbapi, connection)
        self.pending_begin: str | None = None
        self.open = False  # a transaction may be open (sqlite3 tells only on its own thread)

    def begin_with_next(self, statement: str) -> None:
        """Open the transaction with `statement` (BEGIN or BEGIN IMMEDIATE) just before the
        next statement; a transaction that runs none opens and ends nothing."""
        self.pending_begin = statement

    def _flush_begin(self) -> bool:
        """Run a BEGIN still waiting, in a trip of its own; whether there was one."""
        statement, self.pending_begin = self.pending_begin, None
        if statement is None:
            return False
        self.open = True
        try:
            await_(self._connection._execute(_begin, self._connection._conn, statement))
        except BeginFailed as failed:
            self.pending_begin, self.open = statement, False
            self._handle_exception(failed.__cause__)  # type: ignore[arg-type]
        except Exception as error:
            self._handle_exception(error)
        return True

    def cursor(self, server_side: bool = False) -> Any:
        """A cursor; a streamed one is aiosqlite's own, so the BEGIN goes first."""
        if server_side:
            self._flush_begin()
            self.open = True  # what it runs is not reported back
        return super().cursor(server_side)

    def commit(self) -> None:
        """Commit, unless no transaction is open (none began, or it already ended)."""
        self._end(super().commit)

    def rollback(self) -> None:
        """Roll back, unless no transaction is open: the pool rolls back every connection
        handed back, most often after a commit."""
        self._end(super().rollback)

    def _end(self, end: Any) -> None:
        self.pending_begin = None
        if self.open:
            end()
            self.open = False


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
