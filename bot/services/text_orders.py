"""Read a resident's free text into the cart: parse, resolve which shop, add, edit, explain."""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.nlu import Line, MenuIndex, ParseResult, parse
from bot.services import catalog, ordering, users
from bot.services.errors import NotFound, OtherShopInCart, SeveralShops
from models.region import MenuItem, Merchant

AWAIT_SHOP = "shop_for_text"  # the resident picks a shop, then the text is read against it
AWAIT_REPLACE = "replace_cart"  # the resident agrees to empty the cart of another shop

_CLEAR = re.compile(
    r"^\s*(?:(?:장바구니\s*)?(?:전부|다|모두|싹)\s*(?:취소|빼|비워|지워|삭제)\S*|장바구니\s*(?:비워|취소|삭제)\S*"
    r"|주문\s*(?:전부\s*)?(?:취소|삭제)\S*"  # as "cancel my order": before paying, the cart
    r"|(?:clear|empty|cancel)\s+(?:the\s+|my\s+)?(?:cart|basket|order|everything|all)"
    r"|cancel\s+all|remove\s+(?:everything|all))\s*[.!~]*\s*$",
    re.IGNORECASE,
)
_REMOVE = re.compile(
    r"^\s*(?P<ko>.+?)\s*(?:은|는|이|가|을|를)?\s*(?:빼\s*줘\S*|빼\s*주세요|빼\s*주\S*|빼요|빼|취소\S*|삭제\S*)\s*[.!~]*\s*$"
    r"|^\s*(?:remove|delete|cancel|drop)\s+(?:the\s+)?(?P<en>.+?)\s*[.!]*\s*$",
    re.IGNORECASE,
)
_EXPLICIT_COUNT = re.compile(
    r"\d|하나|한\s*(?:개|마리|잔|그릇|판|병|캔|인분|줄)|두\s*|세\s*(?:개|마리|잔)|\bone\b|\btwo\b|\bthree\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ShopOption:
    merchant_id: int
    code: str
    name: str
    name_en: str
    open_now: bool = True  # else it takes no order now (closed, or paused by its owner)
    hours: str = ""
    paused: bool = False


@dataclass(frozen=True)
class ItemOption:
    item_id: int
    merchant: str
    item: str
    name: str
    name_en: str
    shop: str
    shop_en: str
    price: int


@dataclass(frozen=True)
class Unclear:
    """A phrase that fits several items of one shop: the resident picks one."""

    text: str
    quantity: int
    items: tuple[ItemOption, ...]


@dataclass(frozen=True)
class Outcome:
    """What reading one message did, for the handler to say."""

    cart: ordering.CartView | None = None
    added: int = 0
    removed: int = 0
    cleared: bool = False
    ask_shop: tuple[ShopOption, ...] = ()
    replace: OtherShopInCart | None = None
    unclear: tuple[Unclear, ...] = ()
    unmatched: tuple[str, ...] = ()
    suggestions: tuple[ItemOption, ...] = field(default=())
    not_in_cart: str | None = None  # asked to take out what the cart does not hold ("": all)

    @property
    def understood(self) -> bool:
        """Whether the message did or asked anything at all."""
        return bool(
            self.added
            or self.removed
            or self.cleared
            or self.ask_shop
            or self.replace
            or self.unclear
            or self.unmatched
            or self.not_in_cart is not None
        )


async def _cart_shop(session: AsyncSession, user_id: int) -> Merchant | None:
    cart = await ordering.open_cart(session, user_id)
    if cart is None or not cart.lines:
        return None
    return await session.get(Merchant, cart.merchant_id)


async def read(
    session: AsyncSession,
    *,
    telegram_id: int,
    text: str,
    index: MenuIndex,
    now: datetime,
    merchant: str | None = None,
    replace_other_shop: bool = False,
) -> Outcome:
    """Read one message: edit the cart, or add what it orders, or say what is unclear."""
    user = await users.get_or_create(session, telegram_id)  # a first word needs no /start
    users.forget(user)
    shop = await _cart_shop(session, user.id)
    if shop is not None and (edit := await _edit(session, telegram_id, text, index, shop, now)):
        return edit
    if merchant is None:
        code = shop.code if shop is not None else None
        result = _parse_for_cart(text, index, code)
        asked = _removal(text)
        if asked is not None and _only_removes(text, result, index, code):
            # nothing of it in the cart (or no cart): "콜라 하나 빼줘" orders no coke
            view = await ordering.view(session, telegram_id=telegram_id, now=now) if shop else None
            return Outcome(cart=view, not_in_cart=asked)
    else:
        result = parse(text, index, merchant)
    if not result.lines and merchant is None:
        shops = _candidate_shops(result)
        if len(shops) == 1:
            merchant = shops[0]
            result = parse(text, index, merchant)
        elif len(shops) > 1:
            users.expect(user, AWAIT_SHOP, {"text": text})
            return Outcome(ask_shop=await _shops(session, shops, now))
    try:
        cart = (
            await ordering.add_lines(
                session,
                telegram_id=telegram_id,
                lines=list(result.lines),
                now=now,
                replace_other_shop=replace_other_shop,
            )
            if result.lines
            else None
        )
    except OtherShopInCart as err:
        users.expect(user, AWAIT_REPLACE, {"text": text, "merchant": result.lines[0].merchant})
        return Outcome(replace=err)
    except SeveralShops:
        codes = list(dict.fromkeys(line.merchant for line in result.lines))
        users.expect(user, AWAIT_SHOP, {"text": text})
        return Outcome(ask_shop=await _shops(session, codes, now))
    unclear = tuple(
        [
            Unclear(entry.text, entry.quantity, await _item_options(session, entry.candidates))
            for entry in result.ambiguous
        ]
    )
    unmatched = tuple(entry.text for entry in result.unmatched)
    suggestions = await suggest(session, unmatched[0]) if unmatched else ()
    if cart is None and result.lines == () and shop is not None:
        cart = await ordering.view(session, telegram_id=telegram_id, now=now)
    return Outcome(
        cart=cart,
        added=len(result.lines),
        unclear=unclear,
        unmatched=unmatched,
        suggestions=suggestions,
    )


async def _edit(
    session: AsyncSession,
    telegram_id: int,
    text: str,
    index: MenuIndex,
    shop: Merchant,
    now: datetime,
) -> Outcome | None:
    """Clear the cart or remove lines when the message asks to."""
    phrase = _removal(text)
    if phrase is None:
        return None
    if not phrase:
        await ordering.clear(session, telegram_id=telegram_id)
        return Outcome(cleared=True)
    wanted = parse(phrase, index, shop.code).lines
    if not wanted:
        return None
    if not shop.active:  # as showing the cart would say
        raise NotFound("merchant", shop.id)
    user = await users.get(session, telegram_id)
    order = await ordering.open_cart(session, user.id)  # its lines as they are now, each time
    if order is None or not order.lines:
        return None
    explicit = bool(_EXPLICIT_COUNT.search(phrase))
    removed = 0
    view: ordering.CartView | None = None
    for line in wanted:
        existing = next((ln for ln in order.lines if ln.item_code == line.item), None)
        if existing is None:
            continue
        keep = existing.quantity - line.quantity if explicit else 0
        view = await ordering.set_quantity(
            session,
            telegram_id=telegram_id,
            line_id=existing.id,
            quantity=max(keep, 0),
            now=now,
        )
        removed += 1
        if view is None:
            break
    if not removed:
        return None
    return Outcome(cart=view, removed=removed, cleared=view is None)


def _parse_for_cart(text: str, index: MenuIndex, shop_code: str | None) -> ParseResult:
    """Parse against the cart's shop first ("콜라 하나 더"); what it does not sell may be
    another shop's ("청라반점 짜장면"), which the region-wide reading finds."""
    if shop_code is None:
        return parse(text, index)
    result = parse(text, index, shop_code)
    if result.unmatched or not result.lines:
        wider = parse(text, index)
        if wider.lines:
            return wider
    return result


def _only_removes(text: str, result: ParseResult, index: MenuIndex, code: str | None) -> bool:
    """Whether a message asking to take something out orders nothing else. An English one
    starts with its verb ("remove the coke"): never an order. A Korean one orders nothing when
    the parser found no line, and either nothing at all ("후라이드 빼줘") or the same as in the
    phrase alone ("콜라 하나 빼줘" = "콜라 하나"). A leave-out that changed the reading is an
    order: "클래식버거 피클 빼주세요" (a line), "치킨 한 마리 무 빼주세요" (which 치킨?)."""
    if _CLEAR.match(text):
        return True  # "전부 취소": all of it
    match = _REMOVE.match(text)
    if match is None or match.group("en"):
        return True  # "remove the coke"
    if result.lines:
        return False
    if not (result.ambiguous or result.unmatched):
        return True
    phrase = match.group("ko")
    alone = _parse_for_cart(phrase, index, code)
    return (
        not alone.lines
        and [entry.text for entry in alone.ambiguous] == [entry.text for entry in result.ambiguous]
        and [entry.text for entry in alone.unmatched] == [entry.text for entry in result.unmatched]
    )


def _removal(text: str) -> str | None:
    """What a message asks to take out of the cart ("" for all of it), or None."""
    if _CLEAR.match(text):
        return ""
    match = _REMOVE.match(text)
    if match is None:
        return None
    return match.group("ko") or match.group("en") or ""


def _candidate_shops(result: ParseResult) -> list[str]:
    """The shops that sell the most of the ambiguous phrases, in order of first mention."""
    # "치킨 두 마리랑 콜라 하나": the chicken shops, not every shop that sells cola
    covers: Counter[str] = Counter()
    for entry in result.ambiguous:
        covers.update({c.merchant for c in entry.candidates})
    most = max(covers.values(), default=0)
    shops = (c.merchant for entry in result.ambiguous for c in entry.candidates)
    return [shop for shop in dict.fromkeys(shops) if covers[shop] == most]


async def _shops(session: AsyncSession, codes: list[str], now: datetime) -> tuple[ShopOption, ...]:
    """The shops to ask about, those open now first (each group in the order given)."""
    rows = {
        m.code: m for m in await session.scalars(select(Merchant).where(Merchant.code.in_(codes)))
    }
    options = [
        ShopOption(
            shop.id,
            code,
            shop.name,
            shop.name_en,
            open_now=not shop.paused and catalog.is_open(shop.hours, now.time()),
            hours=shop.hours,
            paused=shop.paused,
        )
        for code in codes
        if (shop := rows.get(code)) is not None
    ]
    return tuple(sorted(options, key=lambda option: not option.open_now))


async def _item_options(session: AsyncSession, candidates: tuple) -> tuple[ItemOption, ...]:
    found = await session.execute(
        select(MenuItem, Merchant)
        .join(Merchant, Merchant.id == MenuItem.merchant_id)
        .where(MenuItem.active.is_(True), Merchant.code.in_({c.merchant for c in candidates}))
    )
    by_key = {(m.code, i.code): (i, m) for i, m in found}
    options = []
    for candidate in candidates:
        if (pair := by_key.get((candidate.merchant, candidate.item))) is not None:
            item, shop = pair
            options.append(_item_option(item, shop))
    return tuple(options)


def _item_option(item: MenuItem, shop: Merchant) -> ItemOption:
    return ItemOption(
        item.id, shop.code, item.code, item.name, item.name_en, shop.name, shop.name_en, item.price
    )


async def suggest(session: AsyncSession, phrase: str, limit: int = 3) -> tuple[ItemOption, ...]:
    """The items whose names are nearest to a phrase no shop sells."""
    rows = list(
        await session.execute(
            select(MenuItem, Merchant)
            .join(Merchant, Merchant.id == MenuItem.merchant_id)
            .where(MenuItem.active.is_(True), Merchant.active.is_(True))
        )
    )
    names = [f"{item.name} {item.name_en}" for item, _ in rows]
    best = process.extract(phrase, names, scorer=fuzz.WRatio, limit=limit, score_cutoff=50)
    return tuple(_item_option(*rows[position]) for _, _, position in best)


async def add_item(
    session: AsyncSession,
    *,
    telegram_id: int,
    item_id: int,
    quantity: int,
    now: datetime,
    replace_other_shop: bool = False,
) -> ordering.CartView | None:
    """Add one item by id (a pressed candidate or a menu button)."""
    row = (
        await session.execute(
            select(MenuItem, Merchant)
            .join(Merchant, Merchant.id == MenuItem.merchant_id)
            .where(MenuItem.id == item_id)
        )
    ).first()
    if row is None:
        raise NotFound("item", item_id)
    item, shop = row
    return await ordering.add_lines(
        session,
        telegram_id=telegram_id,
        lines=[Line(shop.code, item.code, quantity)],
        now=now,
        replace_other_shop=replace_other_shop,
    )


async def awaited(session: AsyncSession, telegram_id: int) -> tuple[str | None, dict]:
    """What the bot waits for from this resident, and its data (nothing once stale)."""
    return await users.expected(session, telegram_id)


async def forget(session: AsyncSession, telegram_id: int) -> None:
    """Stop waiting for an answer from this resident."""
    user = await users.get(session, telegram_id)
    users.forget(user)


async def await_replace_item(
    session: AsyncSession, telegram_id: int, item_id: int, quantity: int
) -> None:
    """Remember a pressed item of another shop until the resident agrees to replace the cart."""
    user = await users.get(session, telegram_id)
    users.expect(user, AWAIT_REPLACE, {"item_id": item_id, "quantity": quantity})


async def await_replace_reorder(session: AsyncSession, telegram_id: int, order_id: int) -> None:
    """Remember a 다시 주문 of another shop until the resident agrees to replace the cart."""
    users.expect(await users.get(session, telegram_id), AWAIT_REPLACE, {"reorder": order_id})
