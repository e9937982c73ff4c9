"""Reviews (꿀맛 평가): 1-5 stars and an optional text, once per delivered order; the shop's
owner may reply once."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import lifecycle, outbox, users
from bot.services.errors import NotAllowed, NotFound, WrongState
from models.base import OrderStatus
from models.order import Order
from models.region import MerchantMember
from models.review import Review
from models.user import User

TEXT_LIMIT = 500
AWAIT_TEXT = "review_text"
AWAIT_REPLY = "review_reply"


@dataclass(frozen=True)
class ReviewView:
    id: int
    order_id: int
    stars: int
    text: str | None
    reply: str | None
    created_at: datetime


@dataclass(frozen=True)
class Rating:
    average: float
    count: int
    recent: tuple[ReviewView, ...]


def _view(review: Review) -> ReviewView:
    return ReviewView(
        review.id, review.order_id, review.stars, review.text, review.reply, review.created_at
    )


async def rate(
    session: AsyncSession, *, order_id: int, telegram_id: int, stars: int, now: datetime
) -> ReviewView:
    """Give stars to a delivered order of one's own; a second rating is refused."""
    if not 1 <= stars <= 5:
        raise WrongState(order_id, "bad stars")
    user = await users.get(session, telegram_id)
    order = await session.get(Order, order_id)
    if order is None or order.user_id != user.id:
        raise NotAllowed(f"order {order_id} is not the user's")
    if order.status != OrderStatus.DELIVERED:
        raise WrongState(order_id, order.status.value)
    try:
        async with session.begin_nested():
            review = Review(
                order_id=order_id, user_id=user.id, merchant_id=order.merchant_id, stars=stars
            )
            session.add(review)
    except IntegrityError:
        raise WrongState(order_id, "reviewed") from None
    users.expect(user, AWAIT_TEXT, {"review_id": review.id})
    await _tell_shop(session, review, now)
    return _view(review)


async def add_text(
    session: AsyncSession, *, telegram_id: int, text: str | None, now: datetime
) -> ReviewView | None:
    """Attach the awaited review text (None: skip); the owner hears of it."""
    user = await users.get(session, telegram_id)
    data = dict(user.awaiting_data or {})
    users.forget(user)
    review = await session.get(Review, data.get("review_id", 0))
    if review is None or review.user_id != user.id or review.text is not None:
        return None
    if text and text.strip():
        review.text = text.strip()[:TEXT_LIMIT]
        await _tell_shop(session, review, now)
    return _view(review)


async def _tell_shop(session: AsyncSession, review: Review, now: datetime) -> None:
    order = await lifecycle.load(session, review.order_id, lock=False)
    payload = await lifecycle.summary(session, order) | {
        "review_id": review.id,
        "stars": review.stars,
        "text": review.text,
    }
    for chat in await lifecycle.merchant_chats(session, review.merchant_id):
        outbox.enqueue(
            session,
            chat_id=chat,
            kind="merchant_review",
            payload=payload,
            now=now,
            order_id=order.id,
        )


async def ask_reply(session: AsyncSession, *, review_id: int, telegram_id: int) -> None:
    """Wait for the owner's reply to a review."""
    user, review = await _owner_review(session, review_id, telegram_id)
    if review.replied_at is not None:  # /forget may have emptied the reply: still replied
        raise WrongState(review.order_id, "replied")
    users.expect(user, AWAIT_REPLY, {"review_id": review_id})


async def reply(
    session: AsyncSession, *, telegram_id: int, text: str, now: datetime
) -> ReviewView:
    """The owner's one reply; the resident hears of it."""
    user = await users.get(session, telegram_id)
    data = dict(user.awaiting_data or {})
    users.forget(user)
    _, review = await _owner_review(session, data.get("review_id", 0), telegram_id)
    answer = text.strip()[:TEXT_LIMIT]
    updated = await session.execute(
        update(Review)
        .where(Review.id == review.id, Review.replied_at.is_(None))
        .values(reply=answer, replied_at=now)
    )
    if not updated.rowcount:  # another owner account replied first
        raise WrongState(review.order_id, "replied")
    review.reply, review.replied_at = answer, now
    order = await lifecycle.load(session, review.order_id, lock=False)
    await lifecycle.notify(
        session, order, now=now, resident="review_reply", extra={"reply": review.reply}
    )
    return _view(review)


async def _owner_review(
    session: AsyncSession, review_id: int, telegram_id: int
) -> tuple[User, Review]:
    user = await users.get(session, telegram_id)
    review = await session.get(Review, review_id)
    if review is None:
        raise NotFound("review", review_id)
    member = await session.scalar(
        select(MerchantMember.id).where(
            MerchantMember.merchant_id == review.merchant_id, MerchantMember.user_id == user.id
        )
    )
    if member is None:
        raise NotAllowed(f"user {telegram_id} does not own the shop of review {review_id}")
    return user, review


async def rating(session: AsyncSession, *, merchant_id: int, recent: int = 3) -> Rating:
    """A shop's average stars, number of reviews and the latest ones with text."""
    average, count = (
        await session.execute(
            select(func.avg(Review.stars), func.count(Review.id)).where(
                Review.merchant_id == merchant_id
            )
        )
    ).one()
    latest = await session.scalars(
        select(Review)
        .where(Review.merchant_id == merchant_id, Review.text.is_not(None))
        .order_by(Review.id.desc())
        .limit(recent)
    )
    return Rating(float(average or 0), int(count or 0), tuple(_view(r) for r in latest))
