"""How the cart and the questions about an order look in the chat."""

from html import escape

from bot.i18n import Translator
from bot.services.ordering import CartView, LineView, MissingGroup
from bot.services.text_orders import ItemOption, Outcome, ShopOption, Unclear
from handlers import callbacks as cb
from handlers.render import Keyboard

NOTE_LIMIT = 200


def line_details(line: LineView, tr: Translator) -> list[str]:
    """The chosen options, leave-outs and note of a line, one per row."""
    details = []
    for option in line.options:
        name = escape(tr.pick(option.name, option.name_en))
        if option.amount == "extra":
            name = tr("Extra {choice}", choice=name)
        elif option.amount == "light":
            name = tr("Light {choice}", choice=name)
        price = f" (+{tr.money(option.price)})" if option.price else ""
        details.append(f"   · {name}{price}")
    if line.excluded:
        details.append("   · " + tr("without {items}", items=escape(", ".join(line.excluded))))
    if line.note:
        details.append("   · " + tr("request: {note}", note=escape(line.note[:NOTE_LIMIT])))
    return details


def cart_text(cart: CartView, tr: Translator) -> str:
    """The cart with every line, its price and the totals."""
    shop = escape(tr.pick(cart.shop.name, cart.shop.name_en))
    rows = [tr("🛒 <b>Your cart · {shop}</b>", shop=shop), ""]
    for number, line in enumerate(cart.lines, start=1):
        name = escape(tr.pick(line.name, line.name_en))
        rows.append(
            tr(
                "{number}. {name} × {quantity}: {amount}",
                number=number,
                name=name,
                quantity=line.quantity,
                amount=tr.money(line.total),
            )
        )
        rows.extend(line_details(line, tr))
    rows += [
        "",
        tr("Items: {amount}", amount=tr.money(cart.subtotal)),
        tr("Delivery fee: {amount}", amount=tr.money(cart.delivery_fee)),
        tr("<b>Total: {amount}</b>", amount=tr.money(cart.total)),
    ]
    if cart.shortfall:
        rows.append(
            tr(
                "Add {amount} more to reach the minimum order of {minimum}.",
                amount=tr.money(cart.shortfall),
                minimum=tr.money(cart.shop.min_order),
            )
        )
    return "\n".join(rows)


def cart_keyboard(cart: CartView, tr: Translator, kb: Keyboard) -> Keyboard:
    """Buttons to change quantities, remove lines, add more and empty the cart."""
    for line in cart.lines:
        name = tr.pick(line.name, line.name_en)
        label = name if len(name) <= 14 else name[:13] + "…"
        kb.row(
            ("➖", cb.LineQuantity(line.id, line.quantity - 1)),
            (f"{label} {line.quantity}", cb.ShowCart()),
            ("➕", cb.LineQuantity(line.id, line.quantity + 1)),
            ("🗑", cb.LineQuantity(line.id, 0)),
        )
    kb.row((tr("➕ Add more"), cb.ShopMenu(cart.shop.id)), (tr("🗑 Empty cart"), cb.ClearCart()))
    kb.row((tr("✅ Order · {total}", total=tr.money(cart.total)), cb.Checkout()))
    return kb


def option_question(missing: MissingGroup, cart: CartView, tr: Translator, kb: Keyboard) -> str:
    """Ask for a required option the resident left open, with a button per choice."""
    line = next(ln for ln in cart.lines if ln.id == missing.line_id)
    group = missing.group
    for choice in group.choices:
        if choice.sold_out:
            continue
        price = f" +{tr.money(choice.price)}" if choice.price else ""
        kb.row(
            (f"{tr.pick(choice.name, choice.name_en)}{price}", cb.ChooseOption(line.id, choice.id))
        )
    return tr(
        "<b>{item}</b>: please choose the {group}.",
        item=escape(tr.pick(line.name, line.name_en)),
        group=escape(tr.pick(group.name, group.name_en)),
    )


def item_label(option: ItemOption, tr: Translator, with_shop: bool) -> str:
    """A button label for a candidate item: shop, name and price."""
    name = tr.pick(option.name, option.name_en)
    if with_shop:
        name = f"{tr.pick(option.shop, option.shop_en)} · {name}"
    return f"{name} {tr.money(option.price)}"


def shop_question(shops: tuple[ShopOption, ...], tr: Translator, kb: Keyboard) -> str:
    """Ask which shop the message is for; a shop closed now is marked 💤 with its hours."""
    for shop in shops:
        name = tr.pick(shop.name, shop.name_en)
        label = name
        if shop.paused:  # its hours may be now: they would not say why it takes no orders
            label = f"💤 {name} · {tr('paused for now')}"
        elif not shop.open_now:
            label = f"💤 {name} · {shop.hours}"
        kb.row((label, cb.PickShop(shop.merchant_id)))
    if not any(shop.open_now for shop in shops):
        return tr(
            "Several shops sell that, but none of them takes orders now "
            "(the buttons say why: opening hours, or paused)."
        )
    question = tr("Several shops sell that. Which shop would you like to order from?")
    if all(shop.open_now for shop in shops):
        return question
    return question + "\n" + tr("💤 takes no orders now (closed: its opening hours)")


def replace_question(outcome: Outcome, tr: Translator, kb: Keyboard) -> str:
    """Ask before emptying a cart of another shop."""
    assert outcome.replace is not None  # noqa: S101 (the caller checked)
    err = outcome.replace
    kb.row((tr("Empty it and add"), cb.ReplaceCart(1)), (tr("Keep my cart"), cb.ReplaceCart(0)))
    return tr(
        "Your cart holds items from {current}. An order comes from one shop: "
        "empty the cart and add from {wanted}?",
        current=escape(tr.pick(err.current, err.current_en)),
        wanted=escape(tr.pick(err.wanted, err.wanted_en)),
    )


def unclear_question(unclear: Unclear, tr: Translator, kb: Keyboard) -> str:
    """Ask which item an unclear phrase meant."""
    shops = {option.merchant for option in unclear.items}
    for option in unclear.items[:8]:
        kb.row(
            (item_label(option, tr, len(shops) > 1), cb.AddItem(option.item_id, unclear.quantity))
        )
    return tr("Which one did you mean by “{text}”?", text=escape(unclear.text))


def unmatched_text(outcome: Outcome, tr: Translator, kb: Keyboard) -> str:
    """Say that no shop sells it, and offer the nearest items."""
    phrases = ", ".join(f"“{escape(p)}”" for p in outcome.unmatched)
    for option in outcome.suggestions:
        kb.row((item_label(option, tr, True), cb.AddItem(option.item_id, 1)))
    if outcome.suggestions:
        return tr("No shop here sells {phrases}. Did you mean one of these?", phrases=phrases)
    return tr("No shop here sells {phrases}.", phrases=phrases)


def not_understood(tr: Translator) -> str:
    """The reply to a message that orders nothing."""
    return tr(
        "Tell me what you would like, e.g. “양념치킨 두 마리랑 콜라” or “two tteokbokki”, "
        "or browse the shops."
    )
