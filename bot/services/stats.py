"""Statistics for the city and for shops: orders, sales, repeat rate, fees saved."""

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import OrderStatus
from models.order import Order
from models.region import Merchant, MerchantMember
from models.user import User

COUNTED = (
    OrderStatus.PAID,
    OrderStatus.ACCEPTED,
    OrderStatus.DISPATCHED,
    OrderStatus.DELIVERED,
)


@dataclass(frozen=True)
class DayRow:
    day: date
    orders: int
    sales: int


@dataclass(frozen=True)
class CategoryRow:
    category: str
    orders: int
    sales: int


@dataclass(frozen=True)
class Figures:
    start: date
    end: date  # inclusive
    orders: int
    sales: int  # what residents paid (GMV)
    active_shops: int
    average_order: int
    repeat_rate: float  # residents with 2+ orders among those with any
    fees_saved: int  # what a private app's commission would have taken from the shops
    by_day: tuple[DayRow, ...]
    by_category: tuple[CategoryRow, ...]


async def figures(
    session: AsyncSession,
    *,
    start: date,
    end: date,
    tz: ZoneInfo,
    commission_percent: float,
    merchant_ids: list[int] | None = None,
) -> Figures:
    """Paid, not refunded orders from `start` to `end` (local dates, inclusive)."""
    since = datetime.combine(start, time.min, tz)
    until = datetime.combine(end + timedelta(days=1), time.min, tz)
    query = (
        select(Order, Merchant.category)
        .join(Merchant, Merchant.id == Order.merchant_id)
        .where(Order.status.in_(COUNTED), Order.paid_at >= since, Order.paid_at < until)
    )
    if merchant_ids is not None:
        query = query.where(Order.merchant_id.in_(merchant_ids))
    rows = list(await session.execute(query))
    days: dict[date, list[int]] = {
        start + timedelta(days=n): [0, 0] for n in range((end - start).days + 1)
    }
    categories: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_resident: Counter[int] = Counter()
    shops: set[int] = set()
    sales = items = 0
    for order, category in rows:
        assert order.paid_at is not None  # noqa: S101 (counted orders are paid)
        day = order.paid_at.astimezone(tz).date()
        days.setdefault(day, [0, 0])
        days[day][0] += 1
        days[day][1] += order.total
        categories[category][0] += 1
        categories[category][1] += order.total
        if order.user_id is not None:
            per_resident[order.user_id] += 1
        shops.add(order.merchant_id)
        sales += order.total
        items += order.subtotal
    count = len(rows)
    repeaters = sum(1 for n in per_resident.values() if n >= 2)
    return Figures(
        start=start,
        end=end,
        orders=count,
        sales=sales,
        active_shops=len(shops),
        average_order=sales // count if count else 0,
        repeat_rate=repeaters / len(per_resident) if per_resident else 0.0,
        fees_saved=round(items * commission_percent / 100),
        by_day=tuple(DayRow(d, o, s) for d, (o, s) in sorted(days.items())),
        by_category=tuple(
            CategoryRow(c, o, s)
            for c, (o, s) in sorted(categories.items(), key=lambda kv: -kv[1][1])
        ),
    )


def to_csv(result: Figures) -> bytes:
    """The figures by day and by category, as UTF-8 CSV with a BOM (Excel reads Hangul)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["date", "orders", "sales_won"])
    for row in result.by_day:
        writer.writerow([row.day.isoformat(), row.orders, row.sales])
    writer.writerow([])
    writer.writerow(["category", "orders", "sales_won"])
    for cat in result.by_category:
        writer.writerow([cat.category, cat.orders, cat.sales])
    writer.writerow([])
    writer.writerow(["total_orders", result.orders])
    writer.writerow(["total_sales_won", result.sales])
    writer.writerow(["fees_saved_won", result.fees_saved])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


async def merchant_ids_of(session: AsyncSession, telegram_id: int) -> list[int]:
    """The shops a Telegram account runs."""
    return list(
        await session.scalars(
            select(MerchantMember.merchant_id)
            .join(User, User.id == MerchantMember.user_id)
            .where(User.telegram_id == telegram_id)
        )
    )
