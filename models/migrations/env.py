"""Alembic environment: migrate the connection models.db hands over, or the URL given."""

import asyncio

from alembic import context
from sqlalchemy import Connection

import models
from models.db import create_engine

config = context.config
target_metadata = models.Base.metadata


def run_with(connection: Connection) -> None:
    """Run migrations on an open connection (batch mode so SQLite can alter tables)."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    """Open the configured URL and migrate it."""
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as connection:
        await connection.run_sync(run_with)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        render_as_batch=True,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
elif (conn := config.attributes.get("connection")) is not None:
    run_with(conn)
else:
    asyncio.run(run_online())
