"""Rows read once per transaction: a second lookup in the same transaction (or savepoint)
reuses the object the first one loaded, while it is still that row as loaded."""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
KEY = "gongbae_memo"  # session.info: (kind, key) -> (transaction, object)


def recall(session: AsyncSession, kind: str, key: object, still: Callable[[T], bool]) -> T | None:
    """The object remembered for (kind, key) in the current transaction, if it is still
    persistent, not expired, and `still` holds for it; else None."""
    sync = session.sync_session
    current = sync.get_nested_transaction() or sync.get_transaction()
    txn, found = session.info.get(KEY, {}).get((kind, key), (None, None))
    if found is None or txn is not current:
        return None
    state = inspect(found)
    if state.session is not sync or not state.persistent or state.expired_attributes:
        return None
    return found if still(found) else None


def remember(session: AsyncSession, kind: str, key: object, found: object) -> None:
    """Remember an object read in the current transaction (a session without begin()
    starts one with its first read)."""
    sync = session.sync_session
    current = sync.get_nested_transaction() or sync.get_transaction()
    session.info.setdefault(KEY, {})[(kind, key)] = (current, found)
