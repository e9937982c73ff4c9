"""users.get reads a user once per transaction, and never hands back one that changed."""

from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import privacy, users
from bot.services.errors import NotFound
from tests.conftest import CountSelects
from tests.factories import resident

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


async def test_a_user_is_read_once_per_transaction(
    session: AsyncSession, count_selects: CountSelects
) -> None:
    session.add(resident(810001, at=NOW))
    await session.flush()
    selects = count_selects(session)
    first = await users.get(session, 810001)
    again = await users.get(session, 810001)
    assert again is first
    assert len(selects) == 1


async def test_a_read_that_begins_the_transaction_is_remembered(
    session: AsyncSession, count_selects: CountSelects
) -> None:
    session.add(resident(810003, at=NOW))
    await session.commit()  # no transaction now: the next read begins one
    assert not session.in_transaction()
    selects = count_selects(session)
    first = await users.get(session, 810003)
    assert await users.locale_of(session, 810003) == first.locale
    assert await users.get(session, 810003) is first
    assert len(selects) == 1


async def test_a_savepoint_that_rolls_back_forgets_what_it_read(
    session: AsyncSession, count_selects: CountSelects
) -> None:
    session.add(resident(810002, at=NOW))
    await session.flush()
    savepoint = await session.begin_nested()
    inside = await users.get(session, 810002)
    inside.first_name = "changed"
    await session.flush()
    await savepoint.rollback()
    selects = count_selects(session)
    after = await users.get(session, 810002)
    assert len(selects) == 1  # read again: the savepoint's copy is not trusted
    assert after.first_name == "Resident 810002"


async def test_a_forgotten_user_is_not_found_in_the_same_transaction(
    session: AsyncSession,
) -> None:
    session.add(resident(810003, at=NOW))
    await session.flush()
    await users.get(session, 810003)
    await privacy.forget(session, telegram_id=810003, now=NOW)
    with pytest.raises(NotFound):
        await users.get(session, 810003)
