"""The ORM tables of gongbae; importing this package registers all of them on Base."""

from models import campaign, coupon, order, outbox, payment, region, review, user
from models.base import Base

__all__ = ["Base", "campaign", "coupon", "order", "outbox", "payment", "region", "review", "user"]
