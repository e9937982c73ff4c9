"""Browsing: categories, shops open first, paginated menus, items with options."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import catalog, menu_pack
from bot.services.errors import NotFound
from models.region import MenuItem, Merchant
from tests.factories import small_pack

SEOUL = ZoneInfo("Asia/Seoul")
NOON = datetime(2026, 11, 29, 12, 0, tzinfo=SEOUL)


@pytest.mark.parametrize(
    ("hours", "now", "expected"),
    [
        ("11:00-24:00", time(11, 0), True),
        ("11:00-24:00", time(10, 59), False),
        ("11:00-24:00", time(23, 59), True),
        ("16:00-02:00", time(1, 30), True),
        ("16:00-02:00", time(2, 0), False),
        ("16:00-02:00", time(12, 0), False),
        ("00:00-24:00", time(4, 0), True),
        ("09:00-09:00", time(4, 0), True),
    ],
)
def test_is_open(hours: str, now: time, expected: bool) -> None:
    assert catalog.is_open(hours, now) is expected


async def test_browse_region(session: AsyncSession) -> None:
    await menu_pack.import_pack(session, small_pack())
    cats = await catalog.categories(session)
    assert [(c.code, c.shops) for c in cats] == [("chicken", 1), ("chinese", 1)]

    shops = await catalog.shops(session, category="chinese", now=NOON)
    assert [s.code for s in shops.items] == ["cheongna-banjeom"]
    assert not shops.items[0].open_now  # 16:00-02:00 at noon

    menu = await catalog.menu(session, merchant_id=shops.items[0].id, now=NOON)
    assert [(i.code, i.price) for i in menu.items.items] == [("jjajang", 7000)]


async def test_menu_pages_and_item_options(session: AsyncSession) -> None:
    pack = small_pack()
    pack["merchants"][0]["menu"] += [
        {"code": f"side-{n}", "name": f"사이드{n}", "name_en": f"Side {n}", "price": 1000 + n}
        for n in range(10)
    ]
    await menu_pack.import_pack(session, pack)
    merchant = await session.scalar(select(Merchant).where(Merchant.code == "hanbit-chicken"))
    assert merchant is not None

    second = await catalog.menu(session, merchant_id=merchant.id, now=NOON, page=1)
    assert (second.items.page, second.items.pages, second.items.total) == (1, 2, 12)
    assert len(second.items.items) == 4

    fried_id = await session.scalar(select(MenuItem.id).where(MenuItem.code == "fried"))
    item, merchant_id = await catalog.item(session, item_id=fried_id or 0)
    assert merchant_id == merchant.id
    assert [(g.code, [(c.code, c.price) for c in g.choices]) for g in item.groups] == [
        ("cut", [("boneless", 2000)])
    ]


async def test_paused_shop_is_listed_last(session: AsyncSession) -> None:
    pack = small_pack()
    second = dict(pack["merchants"][0], code="second-chicken", name="둘째치킨")
    pack["merchants"].append(second)
    await menu_pack.import_pack(session, pack)
    first = await session.scalar(select(Merchant).where(Merchant.code == "hanbit-chicken"))
    assert first is not None
    first.paused = True
    await session.flush()
    shops = await catalog.shops(session, category="chicken", now=NOON)
    assert [s.code for s in shops.items] == ["second-chicken", "hanbit-chicken"]


async def test_unknown_shop_is_not_found(session: AsyncSession) -> None:
    with pytest.raises(NotFound):
        await catalog.menu(session, merchant_id=999999, now=NOON)
