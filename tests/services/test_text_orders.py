"""Free text into the cart against the demo region, with the real parser."""

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.nlu import MenuIndex, build_index
from bot.services import catalog, menu_pack, text_orders, users
from tests.conftest import CountSelects

ROOT = Path(__file__).resolve().parents[2]
EVENING = datetime(2026, 11, 29, 19, 0, tzinfo=ZoneInfo("Asia/Seoul"))
RESIDENT = 700001


@pytest.fixture(scope="module")
def pack() -> dict:
    return json.loads((ROOT / "demo" / "incheon-seo.json").read_text(encoding="utf-8"))


@pytest.fixture
async def index(session: AsyncSession, pack: dict) -> MenuIndex:
    await menu_pack.import_pack(session, pack)
    await users.touch(session, telegram_id=RESIDENT, first_name="지영")
    return build_index(await catalog.export_pack(session))


async def read(
    session: AsyncSession, index: MenuIndex, text: str, **kw: object
) -> text_orders.Outcome:
    return await text_orders.read(
        session,
        telegram_id=RESIDENT,
        text=text,
        index=index,
        now=EVENING,
        **kw,  # type: ignore[arg-type]
    )


async def test_named_shop_adds_lines(session: AsyncSession, index: MenuIndex) -> None:
    outcome = await read(session, index, "한빛치킨 양념치킨 두 마리랑 콜라 하나")
    assert outcome.cart is not None
    assert [(ln.item_code, ln.quantity) for ln in outcome.cart.lines] == [
        ("yangnyeom", 2),
        ("cola", 1),
    ]
    # the cart's shop now reads the next message: no shop question for "콜라 하나 더"
    outcome = await read(session, index, "콜라 하나 더")
    assert outcome.cart is not None
    assert [(ln.item_code, ln.quantity) for ln in outcome.cart.lines] == [
        ("yangnyeom", 2),
        ("cola", 2),
    ]


async def test_shop_is_asked_when_several_sell_it(session: AsyncSession, index: MenuIndex) -> None:
    outcome = await read(session, index, "후라이드 두 마리")
    assert {s.code for s in outcome.ask_shop} == {"hanbit-chicken", "kkokko-tongdak"}
    assert await text_orders.awaited(session, RESIDENT) == (
        text_orders.AWAIT_SHOP,
        {"text": "후라이드 두 마리"},
    )
    outcome = await read(session, index, "후라이드 두 마리", merchant="kkokko-tongdak")
    assert outcome.cart is not None
    assert outcome.cart.shop.code == "kkokko-tongdak"
    assert outcome.cart.lines[0].quantity == 2


@pytest.mark.parametrize(
    ("text", "shops"),
    [
        # the drink goes with the main dish: only shops selling both are offered
        ("치킨 두 마리랑 콜라 하나", {"hanbit-chicken", "kkokko-tongdak"}),
        ("two fried chicken and a coke", {"hanbit-chicken", "kkokko-tongdak"}),
        ("후라이드 하나 콜라 하나", {"hanbit-chicken", "kkokko-tongdak"}),
    ],
)
async def test_the_shops_offered_sell_the_whole_message(
    session: AsyncSession, index: MenuIndex, text: str, shops: set[str]
) -> None:
    outcome = await read(session, index, text)
    assert {s.code for s in outcome.ask_shop} == shops


async def test_shops_selling_part_of_it_are_offered_when_none_sells_all(
    session: AsyncSession, index: MenuIndex
) -> None:
    outcome = await read(session, index, "치킨 하나랑 피자 하나")
    offered = {s.code for s in outcome.ask_shop}
    assert {"hanbit-chicken", "kkokko-tongdak"} <= offered
    assert len(offered) > 2


async def test_edits_remove_and_clear(session: AsyncSession, index: MenuIndex) -> None:
    await read(session, index, "한빛치킨 양념치킨 하나랑 콜라 두 개")
    outcome = await read(session, index, "양념치킨 빼줘")
    assert outcome.removed == 1
    assert outcome.cart is not None
    assert [ln.item_code for ln in outcome.cart.lines] == ["cola"]
    outcome = await read(session, index, "전부 취소")
    assert outcome.cleared
    assert outcome.cart is None


@pytest.mark.parametrize(
    "clear", ["전부 취소", "장바구니 비워줘", "주문 취소", "주문 취소할게요", "cancel my order"]
)
async def test_clearing_the_cart_by_text(
    session: AsyncSession, index: MenuIndex, clear: str
) -> None:
    await read(session, index, "한빛치킨 양념치킨 하나랑 콜라 두 개")
    outcome = await read(session, index, clear)
    assert outcome.cleared
    assert outcome.cart is None


async def test_a_removal_shows_the_cart_once(
    session: AsyncSession, index: MenuIndex, count_selects: CountSelects
) -> None:
    await read(session, index, "한빛치킨 양념치킨 하나랑 콜라 두 개")
    await session.commit()
    selects = count_selects(session)
    outcome = await read(session, index, "콜라 하나 빼줘")
    assert outcome.removed == 1
    assert outcome.cart is not None
    assert [(ln.item_code, ln.quantity) for ln in outcome.cart.lines] == [
        ("yangnyeom", 1),
        ("cola", 1),
    ]
    assert sum("FROM customer_order" in s for s in selects) == 1
    assert sum("FROM option_group" in s for s in selects) <= 1  # the one cart shown


@pytest.mark.parametrize(
    ("removal", "left"),
    [
        ("양념치킨이랑 콜라 빼줘", []),  # both lines: the cart is emptied
        ("콜라 하나 빼줘", [("yangnyeom", 1), ("cola", 1)]),
        ("콜라 두 개 빼줘", [("yangnyeom", 1)]),
        ("remove the coke", [("yangnyeom", 1)]),
    ],
)
async def test_removals_by_text(
    session: AsyncSession, index: MenuIndex, removal: str, left: list[tuple[str, int]]
) -> None:
    await read(session, index, "한빛치킨 양념치킨 하나랑 콜라 두 개")
    outcome = await read(session, index, removal)
    assert outcome.removed >= 1
    assert outcome.cleared == (not left)
    lines = outcome.cart.lines if outcome.cart is not None else ()
    assert [(ln.item_code, ln.quantity) for ln in lines] == left


@pytest.mark.parametrize(
    ("cart", "removal", "asked"),
    [
        (None, "콜라 하나 빼줘", "콜라 하나"),  # read as an order of coke before
        (None, "전부 취소", ""),
        (None, "remove the fries", "fries"),
        (None, "주문 취소", ""),  # an order under way: the reply points to /orders
        ("한빛치킨 양념치킨 하나랑 콜라 두 개", "후라이드 빼줘", "후라이드"),  # not understood
        (
            "한빛치킨 양념치킨 하나랑 콜라 두 개",
            "remove the fried chicken",
            "fried chicken",
        ),  # added
        ("한빛치킨 양념치킨 하나랑 콜라 두 개", "피자 빼줘", "피자"),
    ],
)
async def test_a_removal_of_what_the_cart_does_not_hold_changes_nothing(
    session: AsyncSession, index: MenuIndex, cart: str | None, removal: str, asked: str
) -> None:
    before = await read(session, index, cart) if cart else None
    outcome = await read(session, index, removal)
    assert outcome.not_in_cart == asked
    assert outcome.understood
    assert (outcome.added, outcome.removed, outcome.ask_shop) == (0, 0, ())
    held = before.cart.lines if before is not None and before.cart is not None else ()
    shown = outcome.cart.lines if outcome.cart is not None else ()
    assert [(ln.item_code, ln.quantity) for ln in shown] == [
        (ln.item_code, ln.quantity) for ln in held
    ]


@pytest.mark.parametrize(
    ("text", "added", "asks"),
    [
        ("클래식버거 피클 빼주세요", 1, False),  # a burger without pickles
        ("짜장면 하나 오이 빼주세요", 1, False),  # with a note
        ("치킨 한 마리 무 빼주세요", 0, True),  # which chicken?
        ("양념치킨 하나 콜라는 빼주세요", 0, True),  # which 양념치킨, without a coke?
    ],
)
async def test_an_order_with_a_leave_out_is_no_removal(
    session: AsyncSession, index: MenuIndex, text: str, added: int, asks: bool
) -> None:
    outcome = await read(session, index, text)
    assert outcome.not_in_cart is None
    assert outcome.added == added
    assert bool(outcome.unclear or outcome.ask_shop) == asks


async def test_unmatched_gets_suggestions(session: AsyncSession, index: MenuIndex) -> None:
    outcome = await read(session, index, "랍스터 하나")
    assert outcome.unmatched
    assert outcome.cart is None


async def test_chit_chat_is_not_an_order(session: AsyncSession, index: MenuIndex) -> None:
    outcome = await read(session, index, "안녕하세요")
    assert not outcome.understood
