"""The cart through the real stack: free text, questions with buttons, edits, ko and en."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from telegram.error import TimedOut

from bot.runner import Stack
from bot.services import ordering
from models.region import Merchant
from tests.e2e.conftest import EVENING
from tests.e2e.harness import ChatClient

SEOUL = ZoneInfo("Asia/Seoul")
AFTERNOON = datetime(2026, 11, 27, 13, 0, tzinfo=SEOUL)
DAWN = datetime(2026, 11, 27, 5, 0, tzinfo=SEOUL)

JIYOUNG = "resident-jiyoung"
ALEX = "resident-alex"


async def korean(chat: ChatClient) -> None:
    await chat.send(JIYOUNG, "/start")
    await chat.press(JIYOUNG, "한국어")


async def english(chat: ChatClient) -> None:
    await chat.send(ALEX, "/start")
    await chat.press(ALEX, "English")


async def test_free_text_to_cart_in_korean(chat: ChatClient) -> None:
    await korean(chat)
    replies = await chat.send(JIYOUNG, "한빛치킨 양념치킨 두 마리랑 콜라 하나")
    cart = replies[0].text or ""
    assert "장바구니 · 한빛치킨" in cart
    assert "양념치킨 × 2" in cart
    assert "콜라 × 1" in cart
    assert "배달팁" in cart
    assert "합계" in cart
    # a required option left open is asked with buttons
    if len(replies) > 1:
        question = replies[1].text or ""
        assert "골라 주세요" in question
        await chat.press(JIYOUNG, chat.buttons(JIYOUNG)[0])
    replies = await chat.send(JIYOUNG, "콜라 하나 더")
    assert "콜라 × 2" in (replies[0].text or "")


async def test_shop_question_then_cart(chat: ChatClient) -> None:
    await korean(chat)
    [question] = await chat.send(JIYOUNG, "후라이드 두 마리")
    assert "어느 가게" in (question.text or "")
    shop = next(b for b in chat.buttons(JIYOUNG) if "꼬꼬" in b)
    first_choice = question.buttons()[0][0]["callback_data"]
    replies = await chat.press(JIYOUNG, shop)
    texts = [m.text or "" for m in replies]
    assert any("꼬꼬옛날통닭" in t and "× 2" in t for t in texts)
    # answering the same question twice changes nothing
    before = len(chat.sandbox.messages(chat.user_id(JIYOUNG)))
    await chat.press_data(JIYOUNG, question.message_id, first_choice)
    assert chat.answers(JIYOUNG)[-1] == "이미 답하신 질문이에요."
    assert len(chat.sandbox.messages(chat.user_id(JIYOUNG))) == before


async def test_cart_buttons_change_quantities(chat: ChatClient) -> None:
    await english(chat)
    await chat.send(ALEX, "한빛치킨 콜라 두 개")
    [edited] = await chat.press(ALEX, "➕")
    assert "Coke × 3" in (edited.text or "") or "× 3" in (edited.text or "")
    [edited] = await chat.press(ALEX, "🗑")
    assert edited.text == "Your cart is empty."


async def test_other_shop_asks_before_replacing(chat: ChatClient) -> None:
    await korean(chat)
    await chat.send(JIYOUNG, "한빛치킨 콜라 하나")
    [question] = await chat.send(JIYOUNG, "청라반점 짜장면 하나")
    assert "한빛치킨" in (question.text or "")
    assert "비우고" in (question.text or "")
    replies = await chat.press(JIYOUNG, "비우고 담기")
    assert any("청라반점" in (m.text or "") for m in replies)


async def test_unknown_dish_and_chit_chat(chat: ChatClient) -> None:
    await english(chat)
    replies = await chat.send(ALEX, "one lobster thermidor please")
    assert any("No shop here sells" in (m.text or "") for m in replies)
    [reply] = await chat.send(ALEX, "thanks!")
    assert "Tell me what you would like" in (reply.text or "")


async def test_clear_by_text(chat: ChatClient) -> None:
    await korean(chat)
    await chat.send(JIYOUNG, "한빛치킨 콜라 하나")
    [reply] = await chat.send(JIYOUNG, "전부 취소")
    assert reply.text == "장바구니를 비웠어요."


async def test_the_shop_question_marks_shops_closed_now(stack: Stack, chat: ChatClient) -> None:
    await korean(chat)
    await english(chat)
    stack.deps.clock = lambda: AFTERNOON  # 꼬꼬옛날통닭 opened at 12:00, 한빛치킨 opens at 15:00
    [question] = await chat.send(JIYOUNG, "후라이드 두 마리")
    assert chat.buttons(JIYOUNG) == ["꼬꼬옛날통닭", "💤 한빛치킨 · 15:00-02:00"]  # open first
    assert question.text == (
        "여러 가게에서 팔아요. 어느 가게에서 주문할까요?\n"
        "💤 지금은 주문을 받지 않는 가게 (닫은 가게는 영업시간 표시)"
    )
    stack.deps.clock = lambda: DAWN  # every demo shop is closed at 05:00
    [question] = await chat.send(ALEX, "two fried chicken")
    assert question.text == (
        "Several shops sell that, but none of them takes orders now "
        "(the buttons say why: opening hours, or paused)."
    )
    assert chat.buttons(ALEX) == [
        "💤 Hanbit Chicken · 15:00-02:00",
        "💤 Kkokko Old-Style Chicken · 12:00-24:00",
    ]
    stack.deps.clock = lambda: AFTERNOON
    async with stack.deps.sessions.begin() as session:  # its owner paused orders
        await session.execute(
            update(Merchant).where(Merchant.code == "kkokko-tongdak").values(paused=True)
        )
    await chat.send(JIYOUNG, "후라이드 두 마리")
    assert chat.buttons(JIYOUNG) == [
        "💤 한빛치킨 · 15:00-02:00",
        "💤 꼬꼬옛날통닭 · 잠시 주문을 쉬고 있어요",  # open by its hours, but paused
    ]


async def test_an_extra_choice_reads_well_in_english(chat: ChatClient) -> None:
    await english(chat)
    [cart] = await chat.send(ALEX, "large pepperoni pizza and 2 cokes pls, extra cheese")
    assert "   · Large (+₩6,000)\n   · Extra Cheese (+₩2,000)\n" in (cart.text or "")


async def test_a_text_whose_reply_failed_is_read_once(
    stack: Stack, chat: ChatClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cart took the text, then its reply failed (Telegram timed out): the resident gets
    one apology, and no later handler reads the same text again (a second coke)."""
    await korean(chat)

    async def timed_out(*_args: object, **_kwargs: object) -> None:
        raise TimedOut

    monkeypatch.setattr("handlers.cart.reply_outcome", timed_out)
    replies = await chat.send(JIYOUNG, "한빛치킨 콜라 하나")
    assert len(replies) == 1
    assert "문제가 생겼어요" in (replies[0].text or "")
    async with stack.deps.reads() as session:
        view = await ordering.view(session, telegram_id=chat.user_id(JIYOUNG), now=EVENING)
    assert view is not None
    assert [(line.item_code, line.quantity) for line in view.lines] == [("cola", 1)]


async def test_a_text_whose_apology_failed_too_is_read_once(
    stack: Stack, chat: ChatClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither the reply nor the apology could be sent (the shared rate limiter's Redis was
    down, say): still no later handler reads the text again."""
    await korean(chat)

    async def down(*_args: object, **_kwargs: object) -> None:
        raise ConnectionError("redis down")

    monkeypatch.setattr("handlers.cart.reply_outcome", down)
    monkeypatch.setattr("handlers.errors._explain", down)
    assert await chat.send(JIYOUNG, "한빛치킨 콜라 하나") == []
    async with stack.deps.reads() as session:
        view = await ordering.view(session, telegram_id=chat.user_id(JIYOUNG), now=EVENING)
    assert view is not None
    assert [(line.item_code, line.quantity) for line in view.lines] == [("cola", 1)]


async def test_removing_what_the_cart_does_not_hold_orders_nothing(chat: ChatClient) -> None:
    await korean(chat)
    [reply] = await chat.send(JIYOUNG, "콜라 하나 빼줘")  # was read as an order of coke
    assert (
        reply.text == "장바구니가 비어 있어요. 주문 내역과 진행 상황은 /orders 에서 볼 수 있어요."
    )
    await chat.send(JIYOUNG, "한빛치킨 양념치킨 하나랑 콜라 두 개")
    said, shown, *_ = await chat.send(JIYOUNG, "후라이드 빼줘")  # was "not understood"
    assert said.text == "장바구니에 없어요: 후라이드"
    cart = shown.text or ""
    assert "양념치킨 × 1" in cart
    assert "콜라 × 2" in cart
    assert "후라이드" not in cart
    await english(chat)
    [reply] = await chat.send(ALEX, "remove the fries")
    assert reply.text == "Your cart is empty. Your orders and their state are in /orders."
    await chat.send(ALEX, "한빛치킨 양념치킨 하나랑 콜라 두 개")
    said, shown, *_ = await chat.send(ALEX, "remove the fried chicken")  # added one before
    assert said.text == "Not in your cart: fried chicken"
    assert "Fried" not in (shown.text or "")
