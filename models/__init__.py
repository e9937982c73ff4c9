"""The ORM tables of gongbae; importing this package registers all of them on Base."""

from models import campaign, coupon, inbox, order, outbox, payment, region, review, user
from models.base import Base

__all__ = [
    "Base",
    "campaign",
    "coupon",
    "inbox",
    "order",
    "outbox",
    "payment",
    "region",
    "review",
    "user",
]
