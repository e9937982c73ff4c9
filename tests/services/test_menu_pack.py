"""Menu pack validation (every problem, by path) and idempotent upsert by code."""

from collections.abc import Callable
from copy import deepcopy
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import menu_pack
from bot.services.errors import InvalidMenuPack
from models.region import MenuItem, Merchant, OptionChoice, Region
from tests.factories import small_pack

Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Edit:
    """An edit that sets a nested key: merchants.0.menu.1.price -> value."""

    def edit(pack: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = pack
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return edit


def _delete(path: str) -> Edit:
    def edit(pack: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = pack
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        del node[last]

    return edit


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (_set("merchants.0.menu.1.price", -5), "merchants[0].menu[1].price: must be a positive integer"),
        (_set("merchants.0.menu.1.price", "2000"), "merchants[0].menu[1].price: must be a positive integer"),
        (_set("merchants.0.menu.1.price", True), "merchants[0].menu[1].price: must be a positive integer"),
        (_delete("merchants.1.menu.0.name"), "merchants[1].menu[0].name: is required"),
        (_set("merchants.1.code", "Cheongna Banjeom"), "merchants[1].code: must be a code of lowercase letters, digits and '-' (at most 64)"),
        (_set("merchants.1.code", "hanbit-chicken"), "merchants[1].code: duplicate code 'hanbit-chicken'"),
        (_set("merchants.0.hours", "9-18"), "merchants[0].hours: must look like 11:00-24:00"),
        (_set("merchants.0.hours", "11:00-24:30"), "merchants[0].hours: must look like 11:00-24:00"),
        (_set("merchants.0.menu.0.options.0.min", 2), "merchants[0].menu[0].options[0].min: must not be greater than max"),
        (_set("merchants.0.menu.0.options.0.max", 3), "merchants[0].menu[0].options[0].max: must not exceed the number of choices"),
        (_set("merchants.0.menu.0.options.0.choices", []), "merchants[0].menu[0].options[0].choices: must be a non-empty list"),
        (_set("merchants.0.menu.0.prise", 100), "merchants[0].menu[0].prise: unknown field"),
        (_set("merchants.0.aliases", "한빛"), "merchants[0].aliases: must be a list of non-empty strings"),
        (_set("merchants", []), "merchants: must be a non-empty list"),
        (_delete("region"), "region: is required"),
        (_set("region.currency", ""), "region.currency: must be a code of lowercase letters, digits and '-' (at most 64)"),
        (_set("merchants.0.menu.0", "fried"), "merchants[0].menu[0]: must be an object"),
        (_set("merchants.0.min_order", -1), "merchants[0].min_order: must be an integer of 0 or more"),
    ],
    ids=[
        "negative-price", "string-price", "bool-price", "missing-name", "bad-code",
        "duplicate-merchant", "bad-hours", "hours-past-24", "min-over-max", "max-over-choices",
        "no-choices", "unknown-field", "aliases-not-list", "no-merchants", "no-region",
        "empty-currency", "item-not-object", "negative-min-order",
    ],
)  # fmt: skip
def test_validate_names_each_problem_by_path(edit: Edit, problem: str) -> None:
    pack = small_pack()
    edit(pack)
    assert menu_pack.validate(pack) == [problem]


def test_validate_lists_every_problem() -> None:
    pack = small_pack()
    pack["merchants"][0]["menu"][1]["price"] = 0
    pack["merchants"][1]["menu"][0]["code"] = "JJ"
    del pack["merchants"][1]["hours"]
    assert menu_pack.validate(pack) == [
        "merchants[0].menu[1].price: must be a positive integer",
        "merchants[1].hours: is required",
        "merchants[1].menu[0].code: must be a code of lowercase letters, digits and '-' (at most 64)",
    ]


def test_demo_pack_is_valid() -> None:
    pack = menu_pack.load_file(menu_pack.Path("demo/incheon-seo.json"))
    assert menu_pack.validate(pack) == []


async def _counts(session: AsyncSession) -> tuple[int, ...]:
    return tuple(
        [
            await session.scalar(select(func.count()).select_from(table))
            for table in (Region, Merchant, MenuItem, OptionChoice)
        ]
    )


async def test_import_twice_changes_nothing(session: AsyncSession) -> None:
    first = await menu_pack.import_pack(session, small_pack())
    assert first.created == {"region": 1, "merchant": 2, "item": 3, "option_group": 1, "choice": 1}
    stamps = list(await session.scalars(select(MenuItem.updated_at).order_by(MenuItem.id)))

    second = await menu_pack.import_pack(session, small_pack())

    assert not second.changed
    assert await _counts(session) == (1, 2, 3, 1)
    assert list(await session.scalars(select(MenuItem.updated_at).order_by(MenuItem.id))) == stamps


async def test_import_upserts_by_code(session: AsyncSession) -> None:
    await menu_pack.import_pack(session, small_pack())
    pack = small_pack()
    pack["merchants"][0]["menu"][0]["price"] = 19000
    del pack["merchants"][0]["menu"][1]  # coke gone: hidden, kept for order history
    pack["merchants"][0]["menu"][0]["options"][0]["choices"][0]["name"] = "순살변경"

    report = await menu_pack.import_pack(session, pack)

    assert report.updated == {"item": 1, "choice": 1}
    assert report.deactivated == 1
    fried = await session.scalar(select(MenuItem).where(MenuItem.code == "fried"))
    coke = await session.scalar(select(MenuItem).where(MenuItem.code == "coke"))
    assert fried is not None
    assert fried.price == 19000
    assert coke is not None
    assert not coke.active


async def test_bad_pack_writes_nothing(session: AsyncSession) -> None:
    pack = small_pack()
    pack["merchants"][1]["menu"][0]["price"] = 0
    with pytest.raises(InvalidMenuPack) as caught:
        await menu_pack.import_pack(session, pack)
    assert caught.value.problems == ["merchants[1].menu[0].price: must be a positive integer"]
    assert await _counts(session) == (0, 0, 0, 0)


def _many_shops(count: int) -> dict[str, Any]:
    """small_pack's first shop (2 items with options) copied `count` times."""
    pack = small_pack()
    shop = pack["merchants"][0]
    pack["merchants"] = []
    for number in range(count):
        twin = {
            **deepcopy(shop),
            "code": f"{shop['code']}-{number}",
            "name": f"{shop['name']} {number}",
        }
        pack["merchants"].append(twin)
    return pack


async def test_a_large_pack_is_written_in_batches_of_shops(session: AsyncSession) -> None:
    shops = 2 * menu_pack.IMPORT_BATCH + 1
    inserts: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO menu_item"):
            inserts.append(statement)

    engine = session.bind.engine.sync_engine  # type: ignore[union-attr]
    event.listen(engine, "before_cursor_execute", count)
    try:
        report = await menu_pack.import_pack(session, _many_shops(shops))
    finally:
        event.remove(engine, "before_cursor_execute", count)

    items = len(small_pack()["merchants"][0]["menu"]) * shops
    choices = report.created["choice"]
    assert report.created["item"] == items
    # a statement per batch of shops (SQLite would take one per row unless told the ids)
    assert len(inserts) <= -(-shops // menu_pack.IMPORT_BATCH)
    # nothing of the region's menus is kept in the session
    assert not [row for row in session.identity_map.values() if isinstance(row, MenuItem)]
    assert await _counts(session) == (1, shops, items, choices)
    ids = list(await session.scalars(select(MenuItem.id)))
    assert len(set(ids)) == items

    again = _many_shops(shops)
    again["merchants"][-1]["menu"][0]["price"] += 1000  # the last batch's only shop
    report = await menu_pack.import_pack(session, again)
    assert report.updated == {"item": 1}
    assert not report.created
    assert await _counts(session) == (1, shops, items, choices)
