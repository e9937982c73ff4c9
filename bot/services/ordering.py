"""The resident's cart (an order in status CART): add parsed lines, change, remove, view."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, joinedload

from bot.nlu import Line
from bot.services import catalog, memo, users
from bot.services.errors import NotFound, OtherShopInCart, SeveralShops, ShopUnavailable, SoldOut
from models.base import OrderStatus
from models.order import Order, OrderLine, OrderLineOption
from models.region import MenuItem, Merchant, OptionChoice, OptionGroup

MAX_QUANTITY = 99


@dataclass(frozen=True)
class LineOptionView:
    group: str
    choice: str
    name: str
    name_en: str
    price: int
    amount: str | None


@dataclass(frozen=True)
class MissingGroup:
    """A required option group a line still lacks; the bot asks for it with buttons."""

    line_id: int
    group: catalog.GroupView


@dataclass(frozen=True)
class LineView:
    id: int
    item_id: int | None
    item_code: str
    name: str
    name_en: str
    quantity: int
    unit_price: int
    options: tuple[LineOptionView, ...]
    excluded: tuple[str, ...]
    note: str | None

    @property
    def total(self) -> int:
        """Unit price times quantity."""
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class CartView:
    order_id: int
    shop: catalog.ShopView
    lines: tuple[LineView, ...]
    subtotal: int
    delivery_fee: int
    missing: tuple[MissingGroup, ...]

    @property
    def total(self) -> int:
        """Subtotal plus the delivery fee."""
        return self.subtotal + self.delivery_fee

    @property
    def shortfall(self) -> int:
        """How much is missing to reach the shop's minimum order (0 when reached)."""
        return max(0, self.shop.min_order - self.subtotal)


async def open_cart(session: AsyncSession, user_id: int) -> Order | None:
    """Return the user's cart with its lines, options and shop; read once per transaction."""
    # a cart placed or deleted since is read again. The shop comes in the same statement:
    # held by the cart, it stays in the session, so session.get(Merchant, ...) needs no query
    cart = memo.recall(session, "cart", user_id, _still_cart(user_id))
    if cart is not None:
        return cart
    found = await session.scalars(
        select(Order)  # one statement: a cart is a few lines with fewer options
        .join(Order.merchant)
        .where(Order.user_id == user_id, Order.status == OrderStatus.CART)
        .options(
            contains_eager(Order.merchant),
            joinedload(Order.lines).joinedload(OrderLine.options),
        )
    )
    cart = found.unique().first()
    if cart is not None:
        memo.remember(session, "cart", user_id, cart)
    return cart


def _still_cart(user_id: int) -> Callable[[Order], bool]:
    return lambda cart: cart.status == OrderStatus.CART and cart.user_id == user_id


async def _items(session: AsyncSession, merchant_id: int, codes: set[str]) -> dict[str, MenuItem]:
    found = await session.scalars(
        select(MenuItem)  # one statement: a message names a few items with few options
        .where(MenuItem.merchant_id == merchant_id, MenuItem.code.in_(codes))
        .options(joinedload(MenuItem.option_groups).joinedload(OptionGroup.choices))
    )
    return {item.code: item for item in found.unique()}


async def _shops_by_code(
    session: AsyncSession, codes: list[str], cart: Order | None
) -> dict[str, Merchant]:
    """Return the shops with these codes; the cart's own without a query (read with it)."""
    if cart is not None and len(codes) == 1:
        shop = await session.get(Merchant, cart.merchant_id)
        if shop is not None and shop.code == codes[0]:
            return {shop.code: shop}
    found = await session.scalars(select(Merchant).where(Merchant.code.in_(codes)))
    return {shop.code: shop for shop in found}


async def add_lines(
    session: AsyncSession,
    *,
    telegram_id: int,
    lines: list[Line],
    now: datetime,
    replace_other_shop: bool = False,
) -> CartView | None:
    """Add lines of one shop to the resident's cart, merging identical ones."""
    user = await users.get(session, telegram_id)
    shop_codes = list(dict.fromkeys(line.merchant for line in lines))
    cart = await open_cart(session, user.id)
    merchants = await _shops_by_code(session, shop_codes, cart)
    if len(shop_codes) > 1:
        raise SeveralShops([(merchants[c].name, merchants[c].name_en) for c in shop_codes])
    merchant = merchants.get(shop_codes[0]) if shop_codes else None
    if merchant is None or not merchant.active:
        raise NotFound("merchant", shop_codes[0] if shop_codes else None)
    if merchant.paused or not catalog.is_open(merchant.hours, now.time()):
        raise ShopUnavailable(
            merchant.id, merchant.name, merchant.name_en, merchant.hours, merchant.paused
        )
    items = await _items(session, merchant.id, {line.item for line in lines})
    if cart is not None and cart.merchant_id != merchant.id and cart.lines:
        if not replace_other_shop:
            current = await session.get(Merchant, cart.merchant_id)
            assert current is not None  # noqa: S101 (foreign key)
            raise OtherShopInCart(current.name, current.name_en, merchant.name, merchant.name_en)
        cart.lines.clear()
    if cart is None:
        cart = Order(user_id=user.id, merchant_id=merchant.id, status=OrderStatus.CART, lines=[])
        session.add(cart)
    cart.merchant_id = merchant.id
    for wanted in lines:
        item = items.get(wanted.item)
        if item is None or not item.active:
            raise NotFound("item", wanted.item)
        if item.sold_out:
            raise SoldOut(item.name, item.name_en)
        _add_line(cart, item, wanted)
    await session.flush()
    memo.remember(session, "cart", user.id, cart)  # a new one too
    known = all(line.item_code in items for line in cart.lines)  # else: lines added earlier
    return await _view(session, cart, now, items if known else None)


def _add_line(cart: Order, item: MenuItem, wanted: Line) -> None:
    groups = {group.code: group for group in item.option_groups}
    chosen: list[OrderLineOption] = []
    for option in wanted.options:
        group = groups.get(option.group)
        choice = (
            next((c for c in group.choices if c.code == option.choice), None) if group else None
        )
        if group is None or choice is None:
            raise NotFound("choice", f"{item.code}/{option.group}/{option.choice}")
        if choice.sold_out:
            raise SoldOut(choice.name, choice.name_en)
        chosen.append(
            OrderLineOption(
                choice_id=choice.id,
                group_code=group.code,
                choice_code=choice.code,
                name=choice.name,
                name_en=choice.name_en,
                price=choice.price,
                amount=option.amount,
            )
        )
    key = _line_key(item.code, [(o.group_code, o.choice_code, o.amount) for o in chosen], wanted)
    quantity = max(1, min(wanted.quantity, MAX_QUANTITY))
    for line in cart.lines:
        if line.item_id == item.id and _key_of(line) == key:
            line.quantity = min(line.quantity + quantity, MAX_QUANTITY)
            return
    cart.lines.append(
        OrderLine(
            item_id=item.id,
            item_code=item.code,
            name=item.name,
            name_en=item.name_en,
            unit_price=item.price + sum(o.price for o in chosen),
            quantity=quantity,
            excluded=sorted(set(wanted.excluded)),
            note=wanted.note,
            options=chosen,
        )
    )


def _line_key(
    item_code: str, options: list[tuple[str, str, str | None]], line: Line | OrderLine
) -> tuple[object, ...]:
    return (item_code, sorted(options, key=str), sorted(set(line.excluded)), line.note or None)


def _key_of(line: OrderLine) -> tuple[object, ...]:
    """What makes a cart line the same order as another."""
    options = [(o.group_code, o.choice_code, o.amount) for o in line.options]
    return _line_key(line.item_code, options, line)


async def set_quantity(
    session: AsyncSession, *, telegram_id: int, line_id: int, quantity: int, now: datetime
) -> CartView | None:
    """Change a line's quantity; 0 removes it."""
    user = await users.get(session, telegram_id)
    cart = await open_cart(session, user.id)
    line = next((ln for ln in cart.lines if ln.id == line_id), None) if cart else None
    if cart is None or line is None:
        raise NotFound("cart line", line_id)
    if quantity <= 0:
        cart.lines.remove(line)
    else:
        line.quantity = min(quantity, MAX_QUANTITY)
    await session.flush()
    return await _view(session, cart, now)


async def clear(session: AsyncSession, *, telegram_id: int) -> None:
    """Empty the resident's cart."""
    user = await users.get(session, telegram_id)
    users.forget(user)  # a checkout question about this cart no longer applies
    cart = await open_cart(session, user.id)
    if cart is not None:
        await session.delete(cart)
        await session.flush()


async def choose_option(
    session: AsyncSession, *, telegram_id: int, line_id: int, choice_id: int, now: datetime
) -> CartView | None:
    """Fill a line's option (the answer to a required-option question), repricing the line."""
    user = await users.get(session, telegram_id)
    cart = await open_cart(session, user.id)
    line = next((ln for ln in cart.lines if ln.id == line_id), None) if cart else None
    if cart is None or line is None or line.item_id is None:
        raise NotFound("cart line", line_id)
    picked = await session.scalar(
        select(OptionChoice)
        .join(OptionGroup, OptionGroup.id == OptionChoice.group_id)
        .where(OptionChoice.id == choice_id, OptionGroup.item_id == line.item_id)
        .options(contains_eager(OptionChoice.group))  # the group joined above
    )
    if picked is None:
        raise NotFound("choice", choice_id)
    if picked.sold_out:
        raise SoldOut(picked.name, picked.name_en)
    group = picked.group
    same_group = [o for o in line.options if o.group_code == group.code]
    if any(o.choice_code == picked.code for o in same_group):
        return await _view(session, cart, now)  # a double tap
    if len(same_group) >= group.max_select:
        for old in same_group[: len(same_group) - group.max_select + 1]:
            line.options.remove(old)
            line.unit_price -= old.price
    line.options.append(
        OrderLineOption(
            choice_id=picked.id,
            group_code=group.code,
            choice_code=picked.code,
            name=picked.name,
            name_en=picked.name_en,
            price=picked.price,
        )
    )
    line.unit_price += picked.price
    key = _key_of(line)
    others = (o for o in cart.lines if o is not line and o.item_id == line.item_id)
    twin = next((o for o in others if _key_of(o) == key), None)
    if twin is not None:  # answered like a line already in the cart: one line of both
        await session.flush()  # the new option a row first, deleted with its line below
        twin.quantity = min(twin.quantity + line.quantity, MAX_QUANTITY)
        cart.lines.remove(line)
    await session.flush()
    return await _view(session, cart, now)


async def has_lines(session: AsyncSession, order_id: int) -> bool:
    """Whether a cart has any line."""
    found = await session.scalar(
        select(OrderLine.id).where(OrderLine.order_id == order_id).limit(1)
    )
    return found is not None


async def view(session: AsyncSession, *, telegram_id: int, now: datetime) -> CartView | None:
    """The resident's cart with prices and what is still to choose, or None when empty."""
    user = await users.get(session, telegram_id)
    return await _view(session, await open_cart(session, user.id), now)


async def _required_groups(
    session: AsyncSession, cart: Order, items: dict[str, MenuItem] | None
) -> dict[int, list[tuple[str, int]]]:
    """The required option groups of the cart's items: item id -> [(code, min_select)]."""
    if items is not None:  # loaded by the caller with their groups
        return {
            item.id: [(g.code, g.min_select) for g in item.option_groups if g.min_select]
            for item in items.values()
        }
    item_ids = {line.item_id for line in cart.lines if line.item_id is not None}
    rows = await session.execute(
        select(OptionGroup.item_id, OptionGroup.code, OptionGroup.min_select)
        .where(OptionGroup.item_id.in_(item_ids), OptionGroup.min_select > 0)
        .order_by(OptionGroup.item_id, OptionGroup.position)
    )
    required: dict[int, list[tuple[str, int]]] = {}
    for item_id, code, least in rows:
        required.setdefault(item_id, []).append((code, least))
    return required


async def _group(
    session: AsyncSession,
    item_id: int,
    item_code: str,
    code: str,
    items: dict[str, MenuItem] | None,
) -> catalog.GroupView | None:
    """The option group `code` of a cart line's item: from `items` when at hand, else read;
    None once the item left the menu or lost the group (nothing to ask: checkout tells)."""
    loaded = items.get(item_code) if items is not None else None
    if loaded is not None and loaded.id == item_id:
        return next((catalog.group_view(g) for g in loaded.option_groups if g.code == code), None)
    try:
        view, _ = await catalog.item(session, item_id=item_id)
    except NotFound:
        return None
    return next((g for g in view.groups if g.code == code), None)


async def _view(
    session: AsyncSession,
    cart: Order | None,
    now: datetime,
    items: dict[str, MenuItem] | None = None,
) -> CartView | None:
    """A loaded cart's view; `items`: its menu items with their option groups, when at hand."""
    if cart is None or not cart.lines:
        return None
    shop = await catalog.shop(session, merchant_id=cart.merchant_id, now=now)
    required = await _required_groups(session, cart, items)
    missing: list[MissingGroup] = []
    for line in cart.lines:
        if line.item_id is None:  # its item was removed from the menu
            continue
        for code, least in required.get(line.item_id, ()):
            if sum(1 for o in line.options if o.group_code == code) < least:
                full = await _group(session, line.item_id, line.item_code, code, items)
                if full is not None:
                    missing.append(MissingGroup(line_id=line.id, group=full))
    subtotal = sum(line.unit_price * line.quantity for line in cart.lines)
    cart.subtotal = subtotal
    cart.delivery_fee = shop.delivery_fee
    cart.total = subtotal + shop.delivery_fee
    return CartView(
        order_id=cart.id,
        shop=shop,
        lines=tuple(
            LineView(
                id=line.id,
                item_id=line.item_id,
                item_code=line.item_code,
                name=line.name,
                name_en=line.name_en,
                quantity=line.quantity,
                unit_price=line.unit_price,
                options=tuple(
                    LineOptionView(
                        o.group_code, o.choice_code, o.name, o.name_en, o.price, o.amount
                    )
                    for o in line.options
                ),
                excluded=tuple(line.excluded),
                note=line.note,
            )
            for line in cart.lines
        ),
        subtotal=subtotal,
        delivery_fee=shop.delivery_fee,
        missing=tuple(missing),
    )


async def shop_code(session: AsyncSession, merchant_id: int) -> str:
    """The code of an active shop."""
    code = await session.scalar(
        select(Merchant.code).where(Merchant.id == merchant_id, Merchant.active.is_(True))
    )
    if code is None:
        raise NotFound("merchant", merchant_id)
    return code
