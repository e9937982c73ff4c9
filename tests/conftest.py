"""Shared fixtures: a real database per backend (SQLite file, PostgreSQL server)."""

import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

os.environ.setdefault("PTB_TIMEDELTA", "1")  # opt in to PTB 23's timedelta retry_after

import pytest
import pytest_asyncio
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from models import db

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def backend_url(backend: str, folder: Path) -> str:
    """The database URL for a backend; SQLite lives in a fresh file."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{folder / 'test.sqlite3'}"
    return POSTGRES_URL


@asynccontextmanager
async def scratch_database(backend: str, folder: Path) -> AsyncIterator[str]:
    """A database of its own, for instances that open it themselves: a SQLite file, or a
    PostgreSQL database created on the shared server and dropped at the end."""
    if backend == "sqlite":
        yield backend_url("sqlite", folder)
        return
    name = f"t_{os.getpid()}_{secrets.token_hex(4)}"
    admin = db.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f"CREATE DATABASE {name}"))
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        await admin.dispose()


@pytest_asyncio.fixture(scope="session", params=BACKENDS)
async def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEngine]:
    """A migrated database on each backend, from an empty schema.

    The PostgreSQL server is shared (other checkouts may be testing at the same time), so
    each run gets a schema of its own in database `test`, dropped at the end.
    """
    if request.param == "sqlite":
        created = db.create_engine(backend_url("sqlite", tmp_path_factory.mktemp("db")))
        await db.upgrade(created)
        yield created
        await created.dispose()
        return
    schema = f"t_{os.getpid()}_{secrets.token_hex(4)}"
    admin = db.create_engine(POSTGRES_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
    created = db.create_engine(
        POSTGRES_URL, connect_args={"server_settings": {"search_path": schema}}
    )
    try:
        await db.upgrade(created)
        yield created
    finally:
        await created.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        await admin.dispose()


@pytest_asyncio.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that is rolled back after the test.

    Commits in the code under test become SAVEPOINTs (SQLAlchemy's "joining a session into
    an external transaction"), so every test sees a clean database.
    """
    async with engine.connect() as conn:
        outer = await conn.begin()
        async with AsyncSession(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        ) as s:
            yield s
        await outer.rollback()


CountSelects = Callable[[AsyncSession], list[str]]


@pytest.fixture
def count_selects() -> Iterator[CountSelects]:
    """count_selects(session): the SELECTs the session's engine runs from then on; the
    listener goes with the test (the engine outlives it)."""
    listening: list[tuple[object, Callable[..., None]]] = []

    def start(session: AsyncSession) -> list[str]:
        seen: list[str] = []

        def before(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                seen.append(statement)

        target = session.bind.sync_engine  # type: ignore[union-attr]
        event.listen(target, "before_cursor_execute", before)
        listening.append((target, before))
        return seen

    yield start
    for target, before in listening:
        event.remove(target, "before_cursor_execute", before)
