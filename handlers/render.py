"""Text and keyboards the bot shows; every user- or merchant-supplied value is escaped."""

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, Translator
from bot.services.catalog import CategoryView, ItemView, MenuView, Page, ShopView
from bot.services.reviews import Rating
from handlers import callbacks as cb
from handlers.callbacks import Callback, Signer
from models.base import Role

CATEGORY_NAMES = {
    "chicken": N_("Chicken"),
    "chinese": N_("Chinese"),
    "bunsik": N_("Bunsik (snacks)"),
    "cafe": N_("Café & dessert"),
    "korean": N_("Korean"),
    "pizza": N_("Pizza"),
    "jokbal": N_("Jokbal & bossam"),
    "burger": N_("Burgers"),
    "donkatsu": N_("Donkatsu & Japanese"),
    "bakery": N_("Bakery"),
    "jjim": N_("Braised dishes (jjim)"),
    "tang": N_("Soups & stews (tang)"),
    "night": N_("Late-night snacks"),
    "western": N_("Western"),
    "asian": N_("Asian"),
}
CATEGORY_ICONS = {
    "chicken": "🍗",
    "chinese": "🥟",
    "bunsik": "🍢",
    "cafe": "☕",
    "korean": "🍚",
    "pizza": "🍕",
    "jokbal": "🐖",
    "burger": "🍔",
    "donkatsu": "🍱",
    "bakery": "🥐",
    "jjim": "🍲",
    "tang": "🍲",
    "night": "🌙",
    "western": "🍝",
    "asian": "🍜",
}


STATUS_NAMES = {
    "paid": N_("paid, waiting for the shop"),
    "accepted": N_("accepted"),
    "rejected": N_("rejected"),
    "cancelled": N_("cancelled"),
    "dispatched": N_("on its way"),
    "delivered": N_("delivered"),
    "expired": N_("expired"),
    "awaiting_payment": N_("waiting for payment"),
}


def status_name(status: str, tr: Translator) -> str:
    """An order status in words (a status we do not name is shown as is)."""
    return tr(STATUS_NAMES[status]) if status in STATUS_NAMES else escape(status)


class Keyboard:
    """Builds an inline keyboard whose buttons are tagged for one chat."""

    def __init__(self, signer: Signer, chat_id: int) -> None:
        self.signer = signer
        self.chat_id = chat_id
        self.rows: list[list[InlineKeyboardButton]] = []

    def button(self, label: str, action: Callback) -> InlineKeyboardButton:
        """One button that triggers `action`."""
        return InlineKeyboardButton(label, callback_data=action.pack(self.signer, self.chat_id))

    def row(self, *buttons: tuple[str, Callback]) -> "Keyboard":
        """Append a row of (label, action) buttons."""
        self.rows.append([self.button(label, action) for label, action in buttons])
        return self

    def markup(self) -> InlineKeyboardMarkup | None:
        """The finished keyboard, or None when it has no button."""
        return InlineKeyboardMarkup(self.rows) if self.rows else None


def category_name(code: str, tr: Translator) -> str:
    """The localized name of a shop category, with its icon."""
    icon = CATEGORY_ICONS.get(code, "🍽")
    name = tr(CATEGORY_NAMES[code]) if code in CATEGORY_NAMES else escape(code)
    return f"{icon} {name}"


def language_prompt(kb: Keyboard) -> tuple[str, Keyboard]:
    """The language question, in both languages since we do not know which yet."""
    kb.row(("한국어", cb.SetLanguage("ko")), ("English", cb.SetLanguage("en")))
    return "언어를 선택해 주세요.\nPlease choose your language.", kb


def without_ending(html: str, ending: str) -> str | None:
    """A message's text without its known last line (and the blank before it); None when
    it does not end so (written in another language, or an older wording)."""
    return html.removesuffix(ending).rstrip() if html.endswith(ending) else None


def welcome(
    tr: Translator, name: str | None, region: str, kb: Keyboard, role: str = Role.RESIDENT
) -> tuple[str, Keyboard]:
    """The greeting with the main menu; shop owners and staff are shown their commands."""
    who = escape(name) if name else tr("neighbour")
    text = tr(
        "Hello, {name}! This is gongbae, {region}'s public delivery.\n\n"
        "Shops pay no brokerage fee and you pay with local currency. "
        "Browse the shops below, or just write what you would like to eat.",
        name=who,
        region=escape(region),
    )
    if role == Role.MERCHANT:
        text += "\n\n" + tr(
            "🏪 For your shop: /shop to pause orders or mark sold-outs, /sales for your sales"
        )
    elif role == Role.STAFF:
        text += "\n\n" + tr("🏛 For city staff: /stats, /campaigns, /campaign, /invite")
    return text, main_menu(tr, kb)


def main_menu(tr: Translator, kb: Keyboard) -> Keyboard:
    """The main menu buttons."""
    kb.row((tr("🍽 Browse shops"), cb.Categories()), (tr("🧾 My orders"), cb.MyOrders()))
    kb.row((tr("🌐 Language"), cb.SetLanguage("ask")))
    return kb


def help_text(tr: Translator, role: str = Role.RESIDENT) -> str:
    """What the bot can do and its commands (with a shop owner's or staff's own)."""
    text = tr(
        "<b>How to use gongbae</b>\n"
        "• Browse shops by category and look at their menus and prices.\n"
        "• Write what you want, e.g. “치킨 두 마리랑 콜라” or “two fried chicken and a coke”.\n\n"
        "<b>Commands</b>\n"
        "/start: main menu\n"
        "/shops: browse shops\n"
        "/orders: your orders (MY배달)\n"
        "/lang: change the language\n"
        "/settings: language and the messages you receive\n"
        "/forget: delete your data\n"
        "/help: this help"
    )
    if role == Role.MERCHANT:
        text += "\n\n" + tr(
            "<b>For your shop</b>\n"
            "/shop: pause orders, mark items sold out\n"
            "/sales: sales, and the fees you saved (/sales 30: the last 30 days)\n"
            "To change your menu, send its file here (CSV or a JSON menu pack)."
        )
    elif role == Role.STAFF:
        text += "\n\n" + tr(
            "<b>For city staff</b>\n"
            "/stats: the region's figures (/stats 30: the last 30 days)\n"
            "/campaigns: coupon campaigns and their broadcasts\n"
            "/campaign: write a new campaign\n"
            "/invite SHOP_CODE: a link that connects an owner's chat to their shop"
        )
    return text


def categories_view(
    tr: Translator, region: str, cats: list[CategoryView], kb: Keyboard
) -> tuple[str, Keyboard]:
    """The category picker."""
    text = tr("<b>{region}</b>: which kind of food?", region=escape(region))
    buttons = [
        (
            tr("{category} ({count})", category=category_name(c.code, tr), count=c.shops),
            cb.Category(c.code),
        )
        for c in cats
    ]
    for start in range(0, len(buttons), 2):
        kb.row(*buttons[start : start + 2])
    kb.row((tr("⬅ Main menu"), cb.Home()))
    return text, kb


def _pager(
    tr: Translator, page: Page, make: "type[cb.Category] | type[cb.ShopMenu]", key: int | str
) -> list[tuple[str, Callback]]:
    if page.pages <= 1:
        return []
    row: list[tuple[str, Callback]] = []
    if page.page > 0:
        row.append((tr("◀ Previous"), make(key, page.page - 1)))  # type: ignore[arg-type]
    row.append((f"{page.page + 1}/{page.pages}", cb.Noop()))
    if page.page + 1 < page.pages:
        row.append((tr("Next ▶"), make(key, page.page + 1)))  # type: ignore[arg-type]
    return row


def shop_status(shop: ShopView, tr: Translator) -> str:
    """Open, paused or closed, with the hours."""
    if shop.paused:
        return tr("paused for now")
    if shop.open_now:
        return tr("open · {hours}", hours=shop.hours)
    return tr("closed now · hours {hours}", hours=shop.hours)


def shop_terms(shop: ShopView, tr: Translator) -> str:
    """Minimum order and delivery fee in one line."""
    fee = (
        tr("free delivery")
        if shop.delivery_fee == 0
        else tr("delivery {fee}", fee=tr.money(shop.delivery_fee))
    )
    return tr("minimum {amount} · {fee}", amount=tr.money(shop.min_order), fee=fee)


def shops_view(
    tr: Translator, category: str, page: Page[ShopView], kb: Keyboard
) -> tuple[str, Keyboard]:
    """A page of shops in a category."""
    label = category_name(category, tr)
    lines = [
        tr.plural(
            "<b>{category}</b>: {n} shop",
            "<b>{category}</b>: {n} shops",
            page.total,
            category=label,
        ),
        "",
    ]
    for shop in page.items:
        lines.append(
            f"<b>{escape(tr.pick(shop.name, shop.name_en))}</b> · {shop_status(shop, tr)}"
        )
        lines.append(shop_terms(shop, tr))
        lines.append("")
        mark = "" if shop.open_now and not shop.paused else "💤 "
        kb.row((f"{mark}{tr.pick(shop.name, shop.name_en)}", cb.ShopMenu(shop.id)))
    if pager := _pager(tr, page, cb.Category, category):
        kb.row(*pager)
    kb.row((tr("⬅ Categories"), cb.Categories()))
    return "\n".join(lines).strip(), kb


def menu_view(
    tr: Translator, menu: MenuView, rating: Rating, kb: Keyboard
) -> tuple[str, Keyboard]:
    """A page of a shop's menu with prices, and its reviews on the first page."""
    shop = menu.shop
    lines = [
        f"<b>{escape(tr.pick(shop.name, shop.name_en))}</b> · {shop_status(shop, tr)}",
        shop_terms(shop, tr),
    ]
    if rating.count:
        lines.append(
            tr.plural(
                "⭐ {average} ({n} review)",
                "⭐ {average} ({n} reviews)",
                rating.count,
                average=f"{rating.average:.1f}",
            )
        )
        if menu.items.page == 0:
            for review in rating.recent:
                text = (review.text or "")[:80]
                lines.append(f"  “{escape(text)}” {'⭐' * review.stars}")
                if review.reply:
                    lines.append("  ↳ " + tr("owner: {reply}", reply=escape(review.reply[:80])))
    description = tr.pick(shop.description or "", shop.description_en)
    if description:
        lines.append(f"<i>{escape(description)}</i>")
    lines.append("")
    for number, item in enumerate(menu.items.items, start=menu.items.first + 1):
        name = escape(tr.pick(item.name, item.name_en))
        star = "⭐ " if item.popular else ""
        sold = tr(" (sold out)") if item.sold_out else ""
        lines.append(f"{number}. {star}{name}{sold}: {tr.money(item.price)}")
        kb.row(
            (
                f"{tr.pick(item.name, item.name_en)} · {tr.money(item.price)}",
                cb.ItemDetail(item.id, menu.items.page),
            )
        )
    if pager := _pager(tr, menu.items, cb.ShopMenu, shop.id):
        kb.row(*pager)
    kb.row((tr("⬅ Shops"), cb.Category(shop.category)))
    return "\n".join(lines), kb


def item_view(
    tr: Translator, item: ItemView, merchant_id: int, page: int, kb: Keyboard
) -> tuple[str, Keyboard]:
    """One item with its option groups and the price of each choice."""
    lines = [f"<b>{escape(tr.pick(item.name, item.name_en))}</b>: {tr.money(item.price)}"]
    if item.sold_out:
        lines.append(tr("Sold out today."))
    description = tr.pick(item.description or "", item.description_en)
    if description:
        lines.append(f"<i>{escape(description)}</i>")
    for group in item.groups:
        lines.append("")
        if group.min_select > 0:
            rule = tr.plural("required, choose {n}", "required, choose {n}", group.min_select)
        else:
            rule = tr.plural("optional, up to {n}", "optional, up to {n}", group.max_select)
        lines.append(f"<b>{escape(tr.pick(group.name, group.name_en))}</b> ({rule})")
        for choice in group.choices:
            price = f" +{tr.money(choice.price)}" if choice.price else ""
            sold = tr(" (sold out)") if choice.sold_out else ""
            lines.append(f"· {escape(tr.pick(choice.name, choice.name_en))}{price}{sold}")
    if not item.sold_out:
        kb.row((tr("🛒 Add to cart"), cb.AddItem(item.id, 1)))
    kb.row((tr("⬅ Menu"), cb.ShopMenu(merchant_id, page)))
    return "\n".join(lines), kb
