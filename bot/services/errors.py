"""Expected failures of the services, carrying data; handlers choose the words."""


class ServiceError(Exception):
    """Base of the expected failures a handler turns into a polite reply."""


class InvalidMenuPack(ServiceError):
    """A menu pack was refused; `problems` lists each one with its path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the menu pack")
        self.problems = problems


class NotFound(ServiceError):
    """A shop, item or order that does not exist (or is no longer offered)."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key!r} not found")
        self.kind = kind
        self.key = key


class ShopUnavailable(ServiceError):
    """The shop is closed now or paused its orders."""

    def __init__(
        self, merchant_id: int, name: str, name_en: str, hours: str, paused: bool
    ) -> None:
        super().__init__(f"shop {name} unavailable")
        self.merchant_id = merchant_id
        self.name = name
        self.name_en = name_en
        self.hours = hours
        self.paused = paused


class SoldOut(ServiceError):
    """An item or a choice is sold out today."""

    def __init__(self, name: str, name_en: str) -> None:
        super().__init__(f"{name} sold out")
        self.name = name
        self.name_en = name_en


class OtherShopInCart(ServiceError):
    """The cart holds another shop's items; the resident must agree to replace them."""

    def __init__(self, current: str, current_en: str, wanted: str, wanted_en: str) -> None:
        super().__init__(f"cart holds {current}, wanted {wanted}")
        self.current = current
        self.current_en = current_en
        self.wanted = wanted
        self.wanted_en = wanted_en


class SeveralShops(ServiceError):
    """One message asked for items of several shops; a cart holds one shop."""

    def __init__(self, names: list[tuple[str, str]]) -> None:
        super().__init__("several shops in one order")
        self.names = names


class CartEmpty(ServiceError):
    """There is nothing to order."""


class OptionsMissing(ServiceError):
    """A line still lacks a required option."""


class BelowMinimumOrder(ServiceError):
    """The items do not reach the shop's minimum order."""

    def __init__(self, min_order: int, shortfall: int) -> None:
        super().__init__(f"below the minimum order of {min_order}")
        self.min_order = min_order
        self.shortfall = shortfall


class OutsideDeliveryArea(ServiceError):
    """The address is not in the shop's delivery area."""

    def __init__(self, dong: str | None, areas: list[str]) -> None:
        super().__init__(f"{dong} outside the delivery area")
        self.dong = dong
        self.areas = areas


class InvalidPhone(ServiceError):
    """Not a Korean phone number."""


class CheckoutIncomplete(ServiceError):
    """Confirming before the address or phone is known."""

    def __init__(self, missing: str) -> None:
        super().__init__(f"checkout lacks {missing}")
        self.missing = missing


class WrongState(ServiceError):
    """The order has moved on: the action no longer applies (a replayed or late button)."""

    def __init__(self, order_id: int, status: str) -> None:
        super().__init__(f"order {order_id} is {status}")
        self.order_id = order_id
        self.status = status


class NotAllowed(ServiceError):
    """This user may not act on this order or shop."""


class InviteInvalid(ServiceError):
    """An invite code that is unknown, used or expired."""


class CouponInvalid(ServiceError):
    """A coupon code that is unknown, not yet valid or expired."""


class CouponLimit(ServiceError):
    """The resident already holds or used this coupon as often as allowed."""


class CouponExhausted(ServiceError):
    """The coupon's budget cannot cover this discount any more."""


class CampaignState(ServiceError):
    """The campaign cannot do this now (started already, texts missing, not scheduled)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"campaign: {reason}")
        self.reason = reason


class BadAdText(ServiceError):
    """An ad text that is empty or longer than an ad may be."""

    def __init__(self, reason: str, length: int) -> None:
        super().__init__(f"ad text {reason} ({length} characters)")
        self.reason = reason
        self.length = length


class TimeInPast(ServiceError):
    """A send time that has already passed."""


class OrdersOpen(ServiceError):
    """The resident has an order under way (waiting for payment, paid, accepted, on its way)."""
