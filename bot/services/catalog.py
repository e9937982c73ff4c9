"""Browsing a region: categories, shops and their menus, as plain read-only views."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from bot.services.errors import NotFound
from models.region import MenuItem, Merchant, OptionChoice, OptionGroup, Region

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    page: int
    pages: int
    total: int
    per_page: int

    @property
    def first(self) -> int:
        """The position of the first item on this page, counting from 0."""
        return self.page * self.per_page


@dataclass(frozen=True)
class CategoryView:
    code: str
    shops: int


@dataclass(frozen=True)
class ShopView:
    id: int
    code: str
    name: str
    name_en: str
    category: str
    description: str | None
    description_en: str | None
    address: str | None
    phone: str | None
    hours: str
    min_order: int
    delivery_fee: int
    open_now: bool
    paused: bool


@dataclass(frozen=True)
class ChoiceView:
    id: int
    code: str
    name: str
    name_en: str
    price: int
    sold_out: bool


@dataclass(frozen=True)
class GroupView:
    code: str
    name: str
    name_en: str
    min_select: int
    max_select: int
    choices: tuple[ChoiceView, ...]


@dataclass(frozen=True)
class ItemView:
    id: int
    code: str
    name: str
    name_en: str
    price: int
    description: str | None
    description_en: str | None
    popular: bool
    sold_out: bool
    groups: tuple[GroupView, ...] = ()


@dataclass(frozen=True)
class MenuView:
    shop: ShopView
    items: Page[ItemView]


def is_open(hours: str, now: time) -> bool:
    """Whether "HH:MM-HH:MM" (possibly past midnight, 24:00 meaning midnight) includes now."""
    start_text, end_text = hours.split("-")
    start, end = _minutes(start_text), _minutes(end_text)
    minute = now.hour * 60 + now.minute
    if start == end:
        return True  # open around the clock
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def _minutes(text: str) -> int:
    hour, minute = text.split(":")
    return int(hour) * 60 + int(minute)


def _paginate(items: list[T], page: int, per_page: int) -> Page[T]:
    pages = max(1, -(-len(items) // per_page))
    page = min(max(page, 0), pages - 1)
    chunk = items[page * per_page : (page + 1) * per_page]
    return Page(items=tuple(chunk), page=page, pages=pages, total=len(items), per_page=per_page)


async def region(session: AsyncSession) -> Region:
    """The region this deployment serves (the first imported)."""
    found = await session.scalar(select(Region).order_by(Region.id).limit(1))
    if found is None:
        raise NotFound("region", None)
    return found


async def menu_version(session: AsyncSession) -> datetime | None:
    """When the region's menus last changed (None: no region yet)."""
    return await session.scalar(select(Region.updated_at).order_by(Region.id).limit(1))


async def categories(session: AsyncSession) -> list[CategoryView]:
    """Categories with at least one active shop, in the pack's order."""
    rows = await session.execute(
        select(Merchant.category, func.count(Merchant.id), func.min(Merchant.position))
        .where(Merchant.active.is_(True))
        .group_by(Merchant.category)
        .order_by(func.min(Merchant.position))
    )
    return [CategoryView(code=code, shops=count) for code, count, _ in rows]


async def shops(
    session: AsyncSession, *, category: str, now: datetime, page: int = 0, per_page: int = 6
) -> Page[ShopView]:
    """Shops of a category, open ones first."""
    rows = await session.scalars(
        select(Merchant)
        .where(Merchant.active.is_(True), Merchant.category == category)
        .order_by(Merchant.position)
    )
    views = [_shop_view(merchant, now) for merchant in rows]
    views.sort(key=lambda shop: not (shop.open_now and not shop.paused))
    return _paginate(views, page, per_page)


async def shop(session: AsyncSession, *, merchant_id: int, now: datetime) -> ShopView:
    """One shop's card."""
    merchant = await session.get(Merchant, merchant_id)
    if merchant is None or not merchant.active:
        raise NotFound("merchant", merchant_id)
    return _shop_view(merchant, now)


async def menu(
    session: AsyncSession, *, merchant_id: int, now: datetime, page: int = 0, per_page: int = 8
) -> MenuView:
    """A page of a shop's menu, with prices."""
    card = await shop(session, merchant_id=merchant_id, now=now)
    items = await session.scalars(
        select(MenuItem)
        .where(MenuItem.merchant_id == merchant_id, MenuItem.active.is_(True))
        .order_by(MenuItem.position)
    )
    return MenuView(shop=card, items=_paginate([_item_view(i) for i in items], page, per_page))


async def item(session: AsyncSession, *, item_id: int) -> tuple[ItemView, int]:
    """One menu item with its option groups and choices, and its shop's id."""
    found = (
        (
            await session.scalars(
                select(MenuItem)  # one statement: an item has a few groups of a few choices
                .where(MenuItem.id == item_id, MenuItem.active.is_(True))
                .options(joinedload(MenuItem.option_groups).joinedload(OptionGroup.choices))
            )
        )
        .unique()
        .first()
    )
    if found is None:
        raise NotFound("item", item_id)
    groups = tuple(group_view(group) for group in found.option_groups)
    return _item_view(found, groups), found.merchant_id


def group_view(group: OptionGroup) -> GroupView:
    """An option group with its choices (loaded with it), as shown."""
    return GroupView(
        code=group.code,
        name=group.name,
        name_en=group.name_en,
        min_select=group.min_select,
        max_select=group.max_select,
        choices=tuple(
            ChoiceView(c.id, c.code, c.name, c.name_en, c.price, c.sold_out) for c in group.choices
        ),
    )


def _shop_view(merchant: Merchant, now: datetime) -> ShopView:
    return ShopView(
        id=merchant.id,
        code=merchant.code,
        name=merchant.name,
        name_en=merchant.name_en,
        category=merchant.category,
        description=merchant.description,
        description_en=merchant.description_en,
        address=merchant.address,
        phone=merchant.phone,
        hours=merchant.hours,
        min_order=merchant.min_order,
        delivery_fee=merchant.delivery_fee,
        open_now=is_open(merchant.hours, now.time()),
        paused=merchant.paused,
    )


def _item_view(item: MenuItem, groups: tuple[GroupView, ...] = ()) -> ItemView:
    return ItemView(
        id=item.id,
        code=item.code,
        name=item.name,
        name_en=item.name_en,
        price=item.price,
        description=item.description,
        description_en=item.description_en,
        popular=item.popular,
        sold_out=item.sold_out,
        groups=groups,
    )


async def export_pack(session: AsyncSession) -> dict[str, Any]:
    """The region's active menus as a menu pack (DESIGN.md format)."""
    found = await region(session)
    merchants = [shop async for batch in menu_batches(session) for shop in batch]
    return {
        "region": {
            "code": found.code,
            "name": found.name,
            "name_en": found.name_en,
            "currency": found.currency,
        },
        "merchants": merchants,
    }


async def menu_batches(
    session: AsyncSession, *, size: int = 50
) -> AsyncIterator[list[dict[str, Any]]]:
    """The region's active shops with their menus (menu pack format), `size` shops at a time.

    Read with column queries, not ORM objects, and a batch at a time: a region of 2,250
    shops x 50 items has hundreds of thousands of option rows, which held at once cost
    hundreds of megabytes for a moment (and the process keeps what it once took)."""
    found = await region(session)
    shops = (
        await session.execute(
            select(Merchant.id, Merchant.code, Merchant.name, Merchant.name_en)
            .add_columns(Merchant.category, Merchant.aliases)
            .where(Merchant.region_id == found.id, Merchant.active.is_(True))
            .order_by(Merchant.position, Merchant.id)
        )
    ).all()
    for start in range(0, len(shops), size):
        batch = shops[start : start + size]
        menus = await _menus(session, [shop.id for shop in batch])
        yield [
            {
                "code": shop.code,
                "name": shop.name,
                "name_en": shop.name_en,
                "category": shop.category,
                "aliases": list(shop.aliases),
                "menu": menus[shop.id],
            }
            for shop in batch
        ]


async def _menus(session: AsyncSession, shop_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The active items of some shops with their option groups and choices."""
    menus: dict[int, list[dict[str, Any]]] = {shop_id: [] for shop_id in shop_ids}
    items: dict[int, dict[str, Any]] = {}
    for row in await session.execute(
        select(MenuItem.id, MenuItem.merchant_id, MenuItem.code, MenuItem.name)
        .add_columns(MenuItem.name_en, MenuItem.aliases, MenuItem.price, MenuItem.category)
        .where(MenuItem.merchant_id.in_(shop_ids), MenuItem.active.is_(True))
        .order_by(MenuItem.merchant_id, MenuItem.position, MenuItem.id)
    ):
        item = {
            "code": row.code,
            "name": row.name,
            "name_en": row.name_en,
            "aliases": list(row.aliases),
            "price": row.price,
            "category": row.category,
            "options": [],
        }
        items[row.id] = item
        menus[row.merchant_id].append(item)
    shop_items = select(MenuItem.id).where(MenuItem.merchant_id.in_(shop_ids))
    groups: dict[int, dict[str, Any]] = {}
    for row in await session.execute(
        select(OptionGroup.id, OptionGroup.item_id, OptionGroup.code, OptionGroup.name)
        .add_columns(OptionGroup.name_en, OptionGroup.min_select, OptionGroup.max_select)
        .where(OptionGroup.item_id.in_(shop_items))
        .order_by(OptionGroup.item_id, OptionGroup.position, OptionGroup.id)
    ):
        if row.item_id not in items:
            continue  # an inactive item
        group = {
            "code": row.code,
            "name": row.name,
            "name_en": row.name_en,
            "min": row.min_select,
            "max": row.max_select,
            "choices": [],
        }
        groups[row.id] = group
        items[row.item_id]["options"].append(group)
    shop_groups = select(OptionGroup.id).where(OptionGroup.item_id.in_(shop_items))
    for row in await session.execute(
        select(OptionChoice.group_id, OptionChoice.code, OptionChoice.name)
        .add_columns(OptionChoice.name_en, OptionChoice.price, OptionChoice.aliases)
        .where(OptionChoice.group_id.in_(shop_groups))
        .order_by(OptionChoice.group_id, OptionChoice.position, OptionChoice.id)
    ):
        if row.group_id in groups:
            groups[row.group_id]["choices"].append(
                {
                    "code": row.code,
                    "name": row.name,
                    "name_en": row.name_en,
                    "price": row.price,
                    "aliases": list(row.aliases),
                }
            )
    return menus


async def alternatives(
    session: AsyncSession, *, merchant_id: int, now: datetime, limit: int = 3
) -> list[ShopView]:
    """Open shops of the same kind as one that cannot take an order now."""
    closed = await shop(session, merchant_id=merchant_id, now=now)
    page = await shops(session, category=closed.category, now=now, per_page=50)
    return [s for s in page.items if s.id != merchant_id and s.open_now and not s.paused][:limit]
