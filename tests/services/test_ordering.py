"""The cart: lines from parsed text, merging, options, one shop per cart, availability."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.nlu import Line, OptionPick
from bot.services import menu_pack, ordering, users
from bot.services.errors import OtherShopInCart, SeveralShops, ShopUnavailable, SoldOut
from models.base import OrderStatus
from models.region import MenuItem
from tests.conftest import CountSelects
from tests.factories import small_pack

SEOUL = ZoneInfo("Asia/Seoul")
EVENING = datetime(2026, 11, 29, 19, 0, tzinfo=SEOUL)
MORNING = datetime(2026, 11, 29, 9, 0, tzinfo=SEOUL)
RESIDENT = 700001


def want(
    merchant: str, item: str, quantity: int = 1, options: tuple[OptionPick, ...] = ()
) -> Line:
    """A parsed order line."""
    return Line(merchant, item, quantity, options)


@pytest.fixture
async def region(session: AsyncSession) -> AsyncSession:
    pack = small_pack()
    fried = pack["merchants"][0]["menu"][0]
    fried["options"].append(
        {
            "code": "sauce",
            "name": "소스",
            "name_en": "Sauce",
            "min": 1,
            "max": 1,
            "choices": [
                {"code": "plain", "name": "기본", "name_en": "Plain", "price": 0},
                {"code": "yangnyeom", "name": "양념", "name_en": "Yangnyeom", "price": 1000},
            ],
        }
    )
    await menu_pack.import_pack(session, pack)
    await users.touch(session, telegram_id=RESIDENT, first_name="지영")
    return session


async def test_lines_merge_and_price(region: AsyncSession) -> None:
    fried = want("hanbit-chicken", "fried", 2, (OptionPick("sauce", "yangnyeom"),))
    await ordering.add_lines(region, telegram_id=RESIDENT, lines=[fried], now=EVENING)
    cart = await ordering.add_lines(
        region,
        telegram_id=RESIDENT,
        lines=[fried, want("hanbit-chicken", "coke")],
        now=EVENING,
    )
    assert [(ln.item_code, ln.quantity, ln.unit_price) for ln in cart.lines] == [
        ("fried", 4, 19000),
        ("coke", 1, 2000),
    ]
    assert (cart.subtotal, cart.delivery_fee, cart.total) == (78000, 2000, 80000)
    assert cart.missing == ()


async def test_required_option_left_open_is_asked(region: AsyncSession) -> None:
    cart = await ordering.add_lines(
        region,
        telegram_id=RESIDENT,
        lines=[want("hanbit-chicken", "fried")],
        now=EVENING,
    )
    assert [m.group.code for m in cart.missing] == ["sauce"]
    [yangnyeom] = [c for c in cart.missing[0].group.choices if c.code == "yangnyeom"]
    cart = await ordering.choose_option(
        region, telegram_id=RESIDENT, line_id=cart.lines[0].id, choice_id=yangnyeom.id, now=EVENING
    )
    assert cart.missing == ()
    assert cart.lines[0].unit_price == 19000


async def test_a_line_answered_like_another_joins_it(region: AsyncSession) -> None:
    """'양념 후라이드 두 마리', then '후라이드 하나 더' (no sauce said) answered 양념: one
    line of three, not two lines of the same."""
    sauced = want("hanbit-chicken", "fried", 2, (OptionPick("sauce", "yangnyeom"),))
    await ordering.add_lines(region, telegram_id=RESIDENT, lines=[sauced], now=EVENING)
    cart = await ordering.add_lines(
        region, telegram_id=RESIDENT, lines=[want("hanbit-chicken", "fried")], now=EVENING
    )
    assert [ln.quantity for ln in cart.lines] == [2, 1]
    [yangnyeom] = [c for c in cart.missing[0].group.choices if c.code == "yangnyeom"]
    cart = await ordering.choose_option(
        region, telegram_id=RESIDENT, line_id=cart.lines[1].id, choice_id=yangnyeom.id, now=EVENING
    )
    assert [(ln.item_code, ln.quantity, ln.unit_price) for ln in cart.lines] == [
        ("fried", 3, 19000)
    ]
    assert cart.missing == ()


async def test_a_cart_whose_item_left_the_menu_still_shows(region: AsyncSession) -> None:
    """A line with an option still to choose, whose item the shop then took off the menu: the
    cart still shows (no option to ask for an item that cannot be ordered)."""
    await ordering.add_lines(
        region, telegram_id=RESIDENT, lines=[want("hanbit-chicken", "fried")], now=EVENING
    )
    await region.execute(update(MenuItem).where(MenuItem.code == "fried").values(active=False))
    region.expunge_all()  # as another transaction would read it
    viewed = await ordering.view(region, telegram_id=RESIDENT, now=EVENING)
    assert viewed is not None
    assert [line.item_code for line in viewed.lines] == ["fried"]
    assert viewed.missing == ()


async def test_an_open_option_stays_asked_as_the_cart_changes(region: AsyncSession) -> None:
    """Every view of the cart (after adding another item, after a quantity change, read
    afresh) still asks for the option a line added earlier lacks."""
    first = await ordering.add_lines(
        region, telegram_id=RESIDENT, lines=[want("hanbit-chicken", "fried")], now=EVENING
    )
    fried = first.lines[0].id
    added = await ordering.add_lines(
        region, telegram_id=RESIDENT, lines=[want("hanbit-chicken", "coke")], now=EVENING
    )
    changed = await ordering.set_quantity(
        region, telegram_id=RESIDENT, line_id=fried, quantity=3, now=EVENING
    )
    viewed = await ordering.view(region, telegram_id=RESIDENT, now=EVENING)
    for cart in (added, changed, viewed):
        assert [(m.line_id, m.group.code) for m in cart.missing] == [(fried, "sauce")]
    # the question built from the items add_lines had loaded is the one read afresh
    assert first.missing == viewed.missing
    assert viewed.subtotal == 3 * viewed.lines[0].unit_price + viewed.lines[1].unit_price


async def test_adding_reads_the_menu_items_once(
    region: AsyncSession, count_selects: CountSelects
) -> None:
    selects = count_selects(region)
    cart = await ordering.add_lines(
        region, telegram_id=RESIDENT, lines=[want("hanbit-chicken", "fried")], now=EVENING
    )
    assert [m.group.code for m in cart.missing] == ["sauce"]
    assert sum("FROM menu_item" in statement for statement in selects) == 1


async def test_other_shop_asks_before_replacing(region: AsyncSession) -> None:
    await ordering.add_lines(
        region, telegram_id=RESIDENT, lines=[want("hanbit-chicken", "coke")], now=EVENING
    )
    jjajang = [want("cheongna-banjeom", "jjajang")]
    with pytest.raises(OtherShopInCart) as caught:
        await ordering.add_lines(region, telegram_id=RESIDENT, lines=jjajang, now=EVENING)
    assert (caught.value.current, caught.value.wanted) == ("한빛치킨", "청라반점")
    cart = await ordering.add_lines(
        region, telegram_id=RESIDENT, lines=jjajang, now=EVENING, replace_other_shop=True
    )
    assert [ln.item_code for ln in cart.lines] == ["jjajang"]


async def test_closed_shop_and_sold_out_item_are_refused(region: AsyncSession) -> None:
    with pytest.raises(ShopUnavailable):
        await ordering.add_lines(
            region,
            telegram_id=RESIDENT,
            lines=[want("cheongna-banjeom", "jjajang")],
            now=MORNING,
        )
    coke = await region.scalar(select(MenuItem).where(MenuItem.code == "coke"))
    assert coke is not None
    coke.sold_out = True
    with pytest.raises(SoldOut):
        await ordering.add_lines(
            region, telegram_id=RESIDENT, lines=[want("hanbit-chicken", "coke")], now=EVENING
        )


async def test_two_shops_in_one_message(region: AsyncSession) -> None:
    with pytest.raises(SeveralShops):
        await ordering.add_lines(
            region,
            telegram_id=RESIDENT,
            lines=[
                want("hanbit-chicken", "coke"),
                want("cheongna-banjeom", "jjajang"),
            ],
            now=EVENING,
        )


async def test_quantity_change_and_clear(region: AsyncSession) -> None:
    cart = await ordering.add_lines(
        region, telegram_id=RESIDENT, lines=[want("hanbit-chicken", "coke", 3)], now=EVENING
    )
    assert cart.shortfall == 15000 - 6000
    line_id = cart.lines[0].id
    cart = await ordering.set_quantity(
        region, telegram_id=RESIDENT, line_id=line_id, quantity=1, now=EVENING
    )
    assert cart.lines[0].quantity == 1
    assert (
        await ordering.set_quantity(
            region, telegram_id=RESIDENT, line_id=line_id, quantity=0, now=EVENING
        )
        is None
    )
    await ordering.clear(region, telegram_id=RESIDENT)
    assert await ordering.view(region, telegram_id=RESIDENT, now=EVENING) is None


async def test_the_cart_is_read_once_per_transaction(
    region: AsyncSession, count_selects: CountSelects
) -> None:
    await ordering.add_lines(
        region, telegram_id=RESIDENT, lines=[want("hanbit-chicken", "coke")], now=EVENING
    )
    selects = count_selects(region)
    first = await ordering.view(region, telegram_id=RESIDENT, now=EVENING)
    again = await ordering.add_lines(
        region, telegram_id=RESIDENT, lines=[want("hanbit-chicken", "coke")], now=EVENING
    )
    assert first is not None
    assert again is not None
    assert again.lines[0].quantity == 2
    assert not [s for s in selects if "FROM customer_order" in s]  # the new cart included


async def test_a_cart_comes_with_its_shop(
    region: AsyncSession, count_selects: CountSelects
) -> None:
    await ordering.add_lines(
        region, telegram_id=RESIDENT, lines=[want("hanbit-chicken", "coke")], now=EVENING
    )
    await region.commit()  # a new transaction: the cart and its shop are read again
    selects = count_selects(region)
    cart = await ordering.view(region, telegram_id=RESIDENT, now=EVENING)
    assert cart is not None
    assert cart.shop.code == "hanbit-chicken"
    assert not [s for s in selects if "FROM merchant" in s and "customer_order" not in s]
    assert sum("FROM customer_order" in s for s in selects) == 1


async def test_adding_from_the_carts_shop_reads_it_with_the_cart(
    region: AsyncSession, count_selects: CountSelects
) -> None:
    coke = want("hanbit-chicken", "coke")
    await ordering.add_lines(region, telegram_id=RESIDENT, lines=[coke], now=EVENING)
    await region.commit()
    selects = count_selects(region)
    cart = await ordering.add_lines(region, telegram_id=RESIDENT, lines=[coke], now=EVENING)
    assert cart is not None
    assert cart.lines[0].quantity == 2
    assert not [s for s in selects if "FROM merchant" in s and "customer_order" not in s]


async def test_a_cart_that_moved_on_or_rolled_back_is_read_again(
    region: AsyncSession, count_selects: CountSelects
) -> None:
    user = await users.get(region, RESIDENT)
    savepoint = await region.begin_nested()
    await ordering.add_lines(
        region, telegram_id=RESIDENT, lines=[want("hanbit-chicken", "coke")], now=EVENING
    )
    await savepoint.rollback()
    selects = count_selects(region)
    assert await ordering.open_cart(region, user.id) is None  # the savepoint's cart is gone
    assert sum("FROM customer_order" in statement for statement in selects) == 1  # read again
    await ordering.add_lines(
        region, telegram_id=RESIDENT, lines=[want("hanbit-chicken", "coke")], now=EVENING
    )
    cart = await ordering.open_cart(region, user.id)
    assert cart is not None
    cart.status = OrderStatus.AWAITING_PAYMENT  # placed: no longer the cart
    assert await ordering.open_cart(region, user.id) is None
