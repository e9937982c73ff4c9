"""callback_data codec: `prefix:field:...:tag`, at most 64 bytes, HMAC-tagged per chat.

The tag proves we made the button for this chat; services still re-check who may press
it now and in which state, so a replayed button gets "already done", never a second effect.
"""

import base64
import dataclasses
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, ClassVar, Self

MAX_BYTES = 64
TAG_BYTES = 6  # 8 base64url characters


class InvalidCallback(Exception):
    """callback_data that we did not make for this chat, or cannot read."""


class Signer:
    """Makes and checks the short tags on callback_data."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def tag(self, chat_id: int, body: str) -> str:
        """The tag binding `body` to `chat_id`."""
        digest = hmac.new(self._secret, f"{chat_id}:{body}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:TAG_BYTES]).decode()

    def check(self, chat_id: int, data: str) -> str:
        """Return the body of tagged data, or raise InvalidCallback."""
        body, sep, tag = data.rpartition(":")
        if not sep or not hmac.compare_digest(tag, self.tag(chat_id, body)):
            raise InvalidCallback(data[:MAX_BYTES])
        return body


_REGISTRY: dict[str, type["Callback"]] = {}


@dataclass(frozen=True)
class Callback:
    """Base of one button action: a prefix and typed int/str fields."""

    prefix: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.prefix in _REGISTRY:
            raise TypeError(f"callback prefix {cls.prefix!r} used twice")
        _REGISTRY[cls.prefix] = cls

    @classmethod
    def pattern(cls) -> str:
        """The CallbackQueryHandler pattern for this action."""
        return f"^{cls.prefix}(:|$)"

    def pack(self, signer: Signer, chat_id: int) -> str:
        """Encode as tagged callback_data, refusing anything over 64 bytes."""
        parts = [self.prefix]
        for field in dataclasses.fields(self):
            value = str(getattr(self, field.name))
            if ":" in value:
                raise ValueError(f"{field.name} may not contain ':'")
            parts.append(value)
        body = ":".join(parts)
        data = f"{body}:{signer.tag(chat_id, body)}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback_data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def unpack(cls, data: str, signer: Signer, chat_id: int) -> Self:
        """Decode tagged callback_data made for this chat, or raise InvalidCallback."""
        parts = signer.check(chat_id, data).split(":")
        fields = dataclasses.fields(cls)
        if parts[0] != cls.prefix or len(parts) != len(fields) + 1:
            raise InvalidCallback(data)
        values: dict[str, Any] = {}
        for field, raw in zip(fields, parts[1:], strict=True):
            try:
                values[field.name] = int(raw) if field.type in (int, "int") else raw
            except ValueError:
                raise InvalidCallback(data) from None
        return cls(**values)


@dataclass(frozen=True)
class SetLanguage(Callback):
    prefix = "lg"
    locale: str


@dataclass(frozen=True)
class Home(Callback):
    prefix = "hm"


@dataclass(frozen=True)
class Categories(Callback):
    prefix = "cs"


@dataclass(frozen=True)
class Category(Callback):
    prefix = "ct"
    code: str
    page: int = 0


@dataclass(frozen=True)
class ShopMenu(Callback):
    prefix = "sh"
    merchant_id: int
    page: int = 0


@dataclass(frozen=True)
class ItemDetail(Callback):
    prefix = "it"
    item_id: int
    page: int = 0


@dataclass(frozen=True)
class Noop(Callback):
    """A label-only button (page counter): pressing it does nothing."""

    prefix = "no"


@dataclass(frozen=True)
class AddItem(Callback):
    prefix = "ai"
    item_id: int
    quantity: int = 1


@dataclass(frozen=True)
class PickShop(Callback):
    """Read the awaited text against this shop."""

    prefix = "ps"
    merchant_id: int


@dataclass(frozen=True)
class ReplaceCart(Callback):
    prefix = "rc"
    replace: int  # 1: empty the cart and add; 0: keep the cart


@dataclass(frozen=True)
class LineQuantity(Callback):
    prefix = "lq"
    line_id: int
    quantity: int


@dataclass(frozen=True)
class ChooseOption(Callback):
    prefix = "co"
    line_id: int
    choice_id: int


@dataclass(frozen=True)
class ShowCart(Callback):
    prefix = "sc"


@dataclass(frozen=True)
class ClearCart(Callback):
    prefix = "cc"


@dataclass(frozen=True)
class Checkout(Callback):
    prefix = "ck"


@dataclass(frozen=True)
class Fulfil(Callback):
    prefix = "fl"
    kind: str  # "delivery" or "pickup"


@dataclass(frozen=True)
class UseAddress(Callback):
    prefix = "ua"
    address_id: int


@dataclass(frozen=True)
class NewAddress(Callback):
    prefix = "na"


@dataclass(frozen=True)
class PickDong(Callback):
    """The 동 of a shared location, by its position in the shop's delivery areas."""

    prefix = "pd"
    position: int


@dataclass(frozen=True)
class SkipNote(Callback):
    prefix = "sn"


@dataclass(frozen=True)
class ConfirmOrder(Callback):
    prefix = "cf"


@dataclass(frozen=True)
class PayAgain(Callback):
    prefix = "pa"
    order_id: int


@dataclass(frozen=True)
class AcceptOrder(Callback):
    prefix = "oa"
    order_id: int
    eta: int


@dataclass(frozen=True)
class RejectMenu(Callback):
    prefix = "rm"
    order_id: int


@dataclass(frozen=True)
class RejectOrder(Callback):
    prefix = "or"
    order_id: int
    reason: str


@dataclass(frozen=True)
class DispatchOrder(Callback):
    prefix = "od"
    order_id: int


@dataclass(frozen=True)
class DeliveredOrder(Callback):
    prefix = "dv"
    order_id: int


@dataclass(frozen=True)
class RateOrder(Callback):
    prefix = "rv"
    order_id: int
    stars: int


@dataclass(frozen=True)
class SkipReviewText(Callback):
    prefix = "rs"


@dataclass(frozen=True)
class ReplyReview(Callback):
    prefix = "rr"
    review_id: int


@dataclass(frozen=True)
class MyOrders(Callback):
    prefix = "mo"


@dataclass(frozen=True)
class OrderDetail(Callback):
    prefix = "od2"
    order_id: int


@dataclass(frozen=True)
class Reorder(Callback):
    prefix = "ro"
    order_id: int


@dataclass(frozen=True)
class CancelOrder(Callback):
    prefix = "xo"
    order_id: int


@dataclass(frozen=True)
class ShopPanel(Callback):
    prefix = "sp"
    merchant_id: int


@dataclass(frozen=True)
class PauseShop(Callback):
    prefix = "pz"
    merchant_id: int
    paused: int


@dataclass(frozen=True)
class SoldOutList(Callback):
    prefix = "sl"
    merchant_id: int
    page: int = 0


@dataclass(frozen=True)
class ToggleSoldOut(Callback):
    prefix = "ts"
    item_id: int
    merchant_id: int
    page: int
    sold_out: int  # the state the press asks for, so a double tap does not undo it


@dataclass(frozen=True)
class CallRider(Callback):
    prefix = "cr"
    order_id: int


@dataclass(frozen=True)
class UseCoupon(Callback):
    prefix = "uc"
    issued_id: int  # 0: no coupon


@dataclass(frozen=True)
class SetConsent(Callback):
    prefix = "cn"
    kind: str  # "marketing" or "night"
    given: int


@dataclass(frozen=True)
class Settings(Callback):
    prefix = "st"


@dataclass(frozen=True)
class StatsCsv(Callback):
    prefix = "sv"
    days: int
    scope: str  # "city" or "shop"


@dataclass(frozen=True)
class CampaignAction(Callback):
    """A staff member's button on a campaign: `action` names it, `arg` carries its value."""

    prefix = "ca"
    campaign_id: int
    action: str
    arg: str = "-"


@dataclass(frozen=True)
class StopAds(Callback):
    """🔕 under an ad: withdraw advertising consent."""

    prefix = "sa"


@dataclass(frozen=True)
class StatsChart(Callback):
    """📈 under /stats or /sales: the period's chart as a PNG."""

    prefix = "sg"
    days: int
    scope: str


@dataclass(frozen=True)
class MenuFile(Callback):
    """Apply (1) or drop (0) the menu file the owner just sent."""

    prefix = "mf"
    apply: int
    file: str  # the start of the file's fingerprint: a button applies only its own preview


@dataclass(frozen=True)
class Forget(Callback):
    """/forget: delete (1) or keep (0) the resident's personal data."""

    prefix = "fg"
    confirm: int
