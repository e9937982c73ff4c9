"""A shop's menu file: read as JSON or CSV, every problem listed, previewed, then applied."""

import json

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import catalog, menu_upload
from bot.services.errors import InvalidMenuPack, NotAllowed
from models.region import MenuItem, Merchant
from tests.services.test_payments import ROOT

OWNER = 710001  # runs hanbit-chicken in the demo
HEADER = (
    "item_code,name,name_en,price,category,aliases,group_code,group_name,group_name_en,"
    "group_min,group_max,choice_code,choice_name,choice_name_en,choice_price\n"
)


async def seeded(session: AsyncSession) -> None:
    from bot.services import demo

    await demo.seed(session, ROOT / "demo" / "incheon-seo.json", ROOT / "demo" / "personas.json")


def csv_file(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode("utf-8-sig")


GOOD_CSV = csv_file(
    "fried,후라이드치킨,Fried Chicken,19000,chicken,후라이드|후반,cut,부위,Cut,1,1,whole,한마리,Whole,0",
    "fried,,,,,,,cut,부위,Cut,1,1,wings,날개,Wings,2000",
    "garlic,마늘치킨,Garlic Chicken,21000,chicken,,,,,,,,,,",
)


@pytest.mark.parametrize(
    ("filename", "data", "expected"),
    [
        (
            "menu.csv",
            csv_file("fried,후라이드치킨,Fried Chicken,0,,,,,,,,,,,"),
            ["row 2 (fried).price: must be a positive integer"],
        ),
        (
            "menu.csv",
            csv_file(
                ",이름없음,No code,1000,,,,,,,,,,,",
                "x,엑스,X,abc,,,,,,,,,,,",
            ),
            ["row 2: item_code is required", "row 3 (x).price: must be a positive integer"],
        ),
        (
            "menu.csv",
            csv_file(
                "BAD CODE,치킨,Chicken,1000,,,,,,,,,,,",
                "ok,,,1000,,,,,,,,,,,",
            ),
            [
                "row 2 (BAD CODE).code: must be a code of lowercase letters, digits and '-' "
                "(at most 64)",
                "row 3 (ok).name: is required",
                "row 3 (ok).name_en: is required",
            ],
        ),
        (
            "menu.csv",
            b"code,title\nx,y\n",
            ["header: missing column(s) item_code, name, name_en, price"],
        ),
        ("menu.csv", b"\xff\xfe\x00bad", ["file: CSV must be saved as UTF-8"]),
        ("menu.txt", b"hello", ["file: send the menu as a .json or .csv file"]),
        ("menu.csv", csv_file(), ["menu: must be a non-empty list"]),
        (
            "menu.json",
            json.dumps(
                {"region": {}, "merchants": [{"code": "kkokko-tongdak", "menu": []}]}
            ).encode(),
            ["merchants[0]: only hanbit-chicken can be updated from this chat"],
        ),
        ("menu.json", b"{not json", None),
    ],
    ids=[
        "zero-price",
        "no-code",
        "bad-rows",
        "header",
        "encoding",
        "kind",
        "no-rows",
        "other-shop",
        "json",
    ],
)
async def test_bad_files_list_every_problem(
    session: AsyncSession, filename: str, data: bytes, expected: list[str] | None
) -> None:
    await seeded(session)
    with pytest.raises(InvalidMenuPack) as refused:
        await menu_upload.read(session, telegram_id=OWNER, filename=filename, data=data)
    if expected is None:
        assert refused.value.problems[0].startswith("file: not valid UTF-8 JSON")
    else:
        assert refused.value.problems == expected


async def test_only_shop_accounts_send_menus(session: AsyncSession) -> None:
    await seeded(session)
    with pytest.raises(NotAllowed):
        await menu_upload.read(session, telegram_id=700001, filename="m.csv", data=GOOD_CSV)


async def test_csv_preview_then_apply(session: AsyncSession) -> None:
    await seeded(session)
    merchant, pack = await menu_upload.read(
        session, telegram_id=OWNER, filename="menu.csv", data=GOOD_CSV
    )
    before = await session.scalar(select(Merchant.position).where(Merchant.id == merchant.id))
    found = await menu_upload.preview(session, merchant, pack)
    assert found.items == 2
    assert found.added == [("마늘치킨", "Garlic Chicken")]
    assert found.repriced == [("후라이드치킨", "Fried Chicken", 20000, 19000)]
    assert len(found.removed) > 5  # every other demo item is taken off
    # nothing written by the preview
    active = await session.scalars(
        select(MenuItem.code).where(MenuItem.merchant_id == merchant.id, MenuItem.active)
    )
    assert "garlic" not in set(active)

    await menu_upload.apply(session, merchant, pack)
    items = {
        i.code: i
        for i in await session.scalars(
            select(MenuItem).where(MenuItem.merchant_id == merchant.id, MenuItem.active)
        )
    }
    assert set(items) == {"fried", "garlic"}
    assert items["fried"].price == 19000
    assert items["fried"].aliases == ["후라이드", "후반"]
    assert (
        await session.scalar(select(Merchant.position).where(Merchant.id == merchant.id)) == before
    )
    # the same file again: nothing to change
    merchant, pack = await menu_upload.read(
        session, telegram_id=OWNER, filename="menu.csv", data=GOOD_CSV
    )
    assert not (await menu_upload.preview(session, merchant, pack)).changed


async def test_json_of_the_shop_round_trips(session: AsyncSession) -> None:
    await seeded(session)
    exported = await catalog.export_pack(session)
    shop = next(m for m in exported["merchants"] if m["code"] == "hanbit-chicken")
    shop["menu"][0]["price"] += 1000
    data = json.dumps({"code": "hanbit-chicken", "menu": shop["menu"]}, ensure_ascii=False)
    merchant, pack = await menu_upload.read(
        session, telegram_id=OWNER, filename="hanbit.json", data=data.encode()
    )
    found = await menu_upload.preview(session, merchant, pack)
    assert len(found.repriced) == 1
    assert not found.added
    assert not found.removed
