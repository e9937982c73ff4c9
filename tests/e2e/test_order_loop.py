"""The whole order through the real stack: cart, checkout, local-currency payment, shop."""

import re

import httpx

from bot.runner import Stack
from handlers import callbacks as cb
from tests.e2e.harness import ChatClient

JIYOUNG = "resident-jiyoung"
ALEX = "resident-alex"
OWNER = "owner-hanbit-chicken"


async def until(stack: Stack, chat: ChatClient, who: str, text: str) -> str:
    """Wait for a bot message containing `text` (outbox messages come asynchronously)."""
    assert stack.sandbox is not None
    chat_id = chat.user_id(who)
    message = await stack.sandbox.wait_for_bot_message(chat_id, contains=text, timeout=10)
    return message.text or ""


async def buttons_gone(stack: Stack, chat: ChatClient, who: str, message_id: int) -> str:
    """Wait for the outbox to take the buttons off one of the bot's messages; its text."""
    assert stack.sandbox is not None
    [record] = [
        m for m in stack.sandbox.bot_messages(chat.user_id(who)) if m.message_id == message_id
    ]
    await stack.sandbox.wait_for(
        lambda: not record.buttons(), 10, what=f"buttons off message #{message_id}"
    )
    return record.text or ""


def payment_url(chat: ChatClient, who: str) -> str:
    buttons = chat.last(who).buttons()
    return buttons[0][0]["url"]


async def pay(url: str, decision: str = "approve") -> str:
    async with httpx.AsyncClient() as client:
        page = await client.get(url)
        assert page.status_code == 200
        answer = await client.post(url, data={"decision": decision})
    return answer.text


async def order_to_payment(chat: ChatClient) -> str:
    await chat.send(JIYOUNG, "/start")
    await chat.press(JIYOUNG, "한국어")
    await chat.send(JIYOUNG, "한빛치킨 양념치킨 한 마리랑 콜라 하나")
    await chat.choose_options(JIYOUNG)  # any required option still open
    order_button = next(b for b in chat.buttons(JIYOUNG) if b.startswith("✅ 주문하기"))
    await chat.press(JIYOUNG, order_button)
    assert "어떻게 받으실까요?" in (chat.last(JIYOUNG).text or "")
    await chat.press(JIYOUNG, next(b for b in chat.buttons(JIYOUNG) if b.startswith("🛵")))
    assert "어디로 배달할까요?" in (chat.last(JIYOUNG).text or "")
    await chat.press(JIYOUNG, next(b for b in chat.buttons(JIYOUNG) if "청라" in b))
    assert "요청사항" in (chat.last(JIYOUNG).text or "")  # phone is saved for the persona
    [summary] = await chat.send(JIYOUNG, "문 앞에 놔주세요 <부탁>")
    text = summary.text or ""
    assert "주문 내용을 확인해 주세요" in text
    assert "문 앞에 놔주세요 <부탁>" in text
    assert "합계" in text
    await chat.press(JIYOUNG, "✅ 주문하고 결제하기")
    link = chat.last(JIYOUNG)
    assert "서로e음" in (link.text or "")
    return payment_url(chat, JIYOUNG)


async def test_happy_path_in_korean(stack: Stack, chat: ChatClient) -> None:
    url = await order_to_payment(chat)
    link = chat.last(JIYOUNG)
    assert "결제가 완료됐어요" in await pay(url)
    paid = await until(stack, chat, JIYOUNG, "결제가 완료됐어요")
    closed = await buttons_gone(stack, chat, JIYOUNG, link.message_id)  # no 💳 once paid
    # above the "paid" message: it points there rather than read as a failure
    assert re.fullmatch(
        r"주문 #\d+: [\d,]+원 결제 링크는 더 이상 쓸 수 없어요\. 아래 안내를 확인해 주세요\.",
        closed,
    )
    order_id = re.search(r"#(\d+)", paid)
    assert order_id is not None
    alert = await until(stack, chat, OWNER, "새 주문")
    assert "양념치킨" in alert
    assert "문 앞에 놔주세요 <부탁>" in alert
    assert "010-" in alert
    [answered] = await chat.press(OWNER, "30분")
    # the alert's question is gone once answered; the answer takes its place
    assert (answered.text or "").endswith("(중개수수료 없음)\n\n✅ 접수 완료: 30분 후 준비 예정")
    await until(stack, chat, JIYOUNG, "약 30분")
    await chat.press(OWNER, "🛵 배달 출발 / 준비 완료")
    await until(stack, chat, JIYOUNG, "배달을 시작했어요")
    await chat.press(OWNER, "✅ 배달 / 픽업 완료")
    await until(stack, chat, JIYOUNG, "배달이 완료됐어요")


async def test_reject_refunds(stack: Stack, chat: ChatClient) -> None:
    url = await order_to_payment(chat)
    await pay(url)
    await until(stack, chat, OWNER, "새 주문")
    await chat.press(OWNER, "거절")
    await chat.press(OWNER, "품절")
    text = await until(stack, chat, JIYOUNG, "취소됐어요")
    assert "환불" in text
    assert stack.deps.payments is not None
    assert len(stack.deps.payments.refunds) == 1  # type: ignore[attr-defined]
    # a replayed accept button after the rejection changes nothing
    alert = chat.last(OWNER)
    assert "거절" in (alert.text or "")
    assert "조리 시간을 골라" not in (alert.text or "")


async def test_declined_payment_can_be_paid_again(stack: Stack, chat: ChatClient) -> None:
    url = await order_to_payment(chat)
    await pay(url, "decline")
    await until(stack, chat, JIYOUNG, "결제가 취소됐어요")
    declined = chat.last(JIYOUNG)
    [link] = [m for m in await chat.press(JIYOUNG, "💳 다시 결제하기") if m.buttons()]
    assert "서로e음" in (link.text or "")
    await buttons_gone(stack, chat, JIYOUNG, declined.message_id)  # pressed: it is used up


async def test_a_stranger_cannot_press_the_shop_buttons(stack: Stack, chat: ChatClient) -> None:
    url = await order_to_payment(chat)
    await pay(url)
    alert = await stack.sandbox.wait_for_bot_message(chat.user_id(OWNER), contains="새 주문")  # type: ignore[union-attr]
    data = alert.buttons()[0][0]["callback_data"]
    # the same data pressed in another chat fails the tag check
    await chat.send(ALEX, "/start")
    await chat.press_data(ALEX, chat.last(ALEX).message_id, data)
    assert "no longer valid" in chat.answers(ALEX)[-1]


async def test_rider_from_the_delivery_agency(stack: Stack, chat: ChatClient) -> None:
    await pay(await order_to_payment(chat))
    await until(stack, chat, OWNER, "새 주문")
    await chat.press(OWNER, "45분")
    [alert] = await chat.press(OWNER, "🛵 라이더 호출 (조리 완료)")
    assert chat.buttons(OWNER) == ["🛵 배달 출발 / 준비 완료"]  # if no rider ever comes
    await until(stack, chat, JIYOUNG, "라이더님이")
    await until(stack, chat, JIYOUNG, "배달을 시작했어요")
    # the rider took it: the shop's own "out for delivery" button no longer applies
    await buttons_gone(stack, chat, OWNER, alert.message_id)
    await until(stack, chat, JIYOUNG, "꿀맛 평가")
    await until(stack, chat, OWNER, "라이더가 배달 완료")
    # calling a second rider for the same order is refused
    await chat.press_data(
        OWNER,
        chat.sandbox.bot_messages(chat.user_id(OWNER))[0].message_id,
        cb.CallRider(1).pack(stack.deps.signer, chat.user_id(OWNER)),
    )
    assert "이미 처리된 주문이에요" in chat.answers(OWNER)[-1]


async def test_double_tap_on_accept_is_harmless(stack: Stack, chat: ChatClient) -> None:
    await pay(await order_to_payment(chat))
    alert = await stack.sandbox.wait_for_bot_message(chat.user_id(OWNER), contains="새 주문")  # type: ignore[union-attr]
    accept_30 = alert.buttons()[0][1]["callback_data"]
    reject = alert.buttons()[1][0]["callback_data"]
    await chat.press_data(OWNER, alert.message_id, accept_30)
    await chat.press_data(OWNER, alert.message_id, accept_30)
    assert await chat.press_data(OWNER, alert.message_id, reject) == []  # nothing redrawn
    assert chat.answers(OWNER)[-3:] == [
        "접수했어요.",
        "이미 처리된 주문이에요 (현재 상태: 접수됨).",
        "이미 처리된 주문이에요 (현재 상태: 접수됨).",  # no reasons to reject it with
    ]
    assert chat.buttons(OWNER) == ["🛵 라이더 호출 (조리 완료)", "🛵 배달 출발 / 준비 완료"]
    await until(stack, chat, JIYOUNG, "약 30분")
    accepted = [
        m for m in chat.sandbox.bot_messages(chat.user_id(JIYOUNG)) if "약 30분" in (m.text or "")
    ]
    assert len(accepted) == 1


async def test_very_long_and_emoji_only_messages(stack: Stack, chat: ChatClient) -> None:
    await chat.send(JIYOUNG, "/start")
    await chat.press(JIYOUNG, "한국어")
    [long_reply] = await chat.send(JIYOUNG, "치킨 " * 2000)
    assert "너무 길어요" in (long_reply.text or "")
    replies = await chat.send(JIYOUNG, "🍗🍗🍗🥤")
    assert replies
    assert all(m.text for m in replies)


async def test_coupon_at_checkout(stack: Stack, chat: ChatClient) -> None:
    from datetime import timedelta

    from bot.services import coupons
    from models.base import CouponKind
    from tests.e2e.conftest import EVENING

    async with stack.deps.sessions.begin() as session:
        await coupons.create(
            session,
            code="SEOGU3000",
            name="서구 배달 3천원",
            name_en="Seo-gu 3,000 won off",
            kind=CouponKind.FIXED,
            value=3000,
            budget=300000,
            min_order=15000,
            valid_from=EVENING - timedelta(days=1),
            valid_to=EVENING + timedelta(days=30),
        )
    await chat.send(JIYOUNG, "/start")
    await chat.press(JIYOUNG, "한국어")
    [claimed] = await chat.send(JIYOUNG, "/coupon seogu3000")
    assert "서구 배달 3천원" in (claimed.text or "")
    [again] = await chat.send(JIYOUNG, "/coupon seogu3000")
    assert "이미 받은 쿠폰" in (again.text or "")
    await chat.send(JIYOUNG, "한빛치킨 양념치킨 한 마리랑 콜라 하나")
    await chat.choose_options(JIYOUNG)
    await chat.press(
        JIYOUNG, next(b for b in chat.buttons(JIYOUNG) if b.startswith("✅ 주문하기"))
    )
    await chat.press(JIYOUNG, next(b for b in chat.buttons(JIYOUNG) if b.startswith("🛵")))
    await chat.press(JIYOUNG, next(b for b in chat.buttons(JIYOUNG) if "청라" in b))
    await chat.press(JIYOUNG, "요청사항 없음")
    before = chat.last(JIYOUNG).text or ""
    [summary] = await chat.press(
        JIYOUNG, next(b for b in chat.buttons(JIYOUNG) if b.startswith("🎟"))
    )
    assert "🎟 서구 배달 3천원: −3,000원" in (summary.text or "")
    assert before != summary.text
    total = re.search(r"합계: ([\d,]+원)", summary.text or "")
    assert total is not None
    items = re.search(r"주문금액: ([\d,]+)원", summary.text or "")
    fee = re.search(r"배달팁: ([\d,]+)원", summary.text or "")
    assert items is not None
    assert fee is not None
    expected = int(items[1].replace(",", "")) + int(fee[1].replace(",", "")) - 3000
    assert total[1] == f"{expected:,}원"
    await chat.press(JIYOUNG, "✅ 주문하고 결제하기")
    assert f"{expected:,}원" in (chat.last(JIYOUNG).text or "")
    await pay(payment_url(chat, JIYOUNG))
    alert = await until(stack, chat, OWNER, "새 주문")
    assert f"결제 금액: {expected:,}원" in alert


async def test_a_shared_location_is_the_address_once_asked(stack: Stack, chat: ChatClient) -> None:
    await chat.send(ALEX, "/start")
    await chat.press(ALEX, "English")
    [early] = await chat.send_location(ALEX, 37.5454, 126.676)
    assert early.text == "Thanks! Send a location when I ask for the address."

    await chat.send(JIYOUNG, "/start")
    await chat.press(JIYOUNG, "한국어")
    await chat.send(JIYOUNG, "한빛치킨 후라이드치킨 한 마리")
    await chat.press(JIYOUNG, "뼈")
    await chat.press(
        JIYOUNG, next(b for b in chat.buttons(JIYOUNG) if b.startswith("✅ 주문하기"))
    )
    await chat.press(JIYOUNG, next(b for b in chat.buttons(JIYOUNG) if b.startswith("🛵")))
    await chat.press(JIYOUNG, "✏️ 다른 주소")  # she has saved addresses; this one is new
    assert "위치" in (chat.last(JIYOUNG).text or "")
    got, question = await chat.send_location(JIYOUNG, 37.5454, 126.676)
    assert got.text == "📍 위치를 받았어요."
    assert question.text == "어느 동인가요? (이 가게는 아래 동에만 배달해요.)"
    dong = next(b for b in chat.buttons(JIYOUNG) if "청라" in b)
    await chat.press(JIYOUNG, dong)
    assert "요청사항" in (chat.last(JIYOUNG).text or "")
    [summary] = await chat.send(JIYOUNG, "없어요")
    assert dong in (summary.text or "")
    assert "📍 37.54540, 126.67600" in (summary.text or "")


async def test_saved_addresses_outside_the_area_are_not_offered(chat: ChatClient) -> None:
    await chat.send(ALEX, "/start")
    await chat.press(ALEX, "English")
    await chat.send(ALEX, "two iced americanos and two croissants")  # Ara Bakery, 아라동...
    await chat.press(ALEX, next(b for b in chat.buttons(ALEX) if b.startswith("✅ Order")))
    *_, ask = await chat.press(ALEX, next(b for b in chat.buttons(ALEX) if b.startswith("🛵")))
    text = ask.text or ""
    assert text.startswith("None of your saved addresses is in this shop's delivery area.\n")
    assert "This shop delivers to: 아라동" in text
    assert not ask.buttons()  # no Home (가정1동) button to be refused after the press
    got, _next = await chat.send(ALEX, "인천 서구 아라동 <12> 3층")
    assert got.text == "🛵 Deliver to: 인천 서구 아라동 <12> 3층"
    assert chat.sandbox.reply_keyboard(chat.user_id(ALEX)) is None  # no location button left


async def test_a_pickup_asks_nothing_of_a_rider(stack: Stack, chat: ChatClient) -> None:
    chat.sandbox.add_user(700777, "Sam", language_code="en")
    await chat.send(700777, "/start")
    await chat.press(700777, "English")
    await chat.send(700777, "large pepperoni pizza")
    await chat.press(700777, next(b for b in chat.buttons(700777) if b.startswith("✅ Order")))
    *_, phone = await chat.press(700777, "🏃 Pickup (no fee)")
    assert phone.text == "Which phone number can the shop call? Tap the button or type it."
    got, note = await chat.send(700777, "010-2222-3333")
    assert got.text == "📞 010-2222-3333"
    assert chat.sandbox.reply_keyboard(chat.user_id(700777)) is None  # no contact button left
    assert note.text == "Any request for the shop? (e.g. “덜 맵게 해 주세요”, “less spicy”)"
    [summary] = await chat.send(700777, "no onions please")
    assert "🏃 Pickup" in (summary.text or "")
    await chat.press(700777, "✅ Order and pay")
    await pay(chat.last(700777).buttons()[0][0]["url"])
    await until(stack, chat, "owner-pizza-maeul", "새 주문")
    await chat.press("owner-pizza-maeul", "30분")
    [ready] = await chat.press("owner-pizza-maeul", "🛵 배달 출발 / 준비 완료")
    assert (ready.text or "").endswith("\n🛍 포장 준비됐어요.")  # nothing is on its way
    await until(stack, chat, 700777, "ready for pickup")
    [done] = await chat.press("owner-pizza-maeul", "✅ 배달 / 픽업 완료")
    assert (done.text or "").endswith("\n✅ 포장 주문 전달 완료. 수고하셨어요!")
    await until(stack, chat, 700777, "You picked up order #")


async def test_a_cart_button_pressed_after_ordering_says_the_cart_is_gone(
    chat: ChatClient,
) -> None:
    await order_to_payment(chat)
    messages = chat.sandbox.bot_messages(chat.user_id(JIYOUNG))
    cart = next(m for m in reversed(messages) if "➕" in str(m.buttons()))
    replies = await chat.press(JIYOUNG, "➕")
    assert not cart.buttons()  # no more buttons that cannot work
    assert "이미 주문했거나 비운 장바구니예요" in (replies[-1].text or "")


async def test_a_button_of_an_older_cart_message_shows_the_cart_as_it_is(
    chat: ChatClient,
) -> None:
    chat.sandbox.add_user(700778, "Kim", language_code="en")
    await chat.send(700778, "/start")
    await chat.press(700778, "English")
    [older] = [m for m in await chat.send(700778, "one cola from hanbit") if m.buttons()]
    [newer] = [m for m in await chat.send(700778, "one cider") if m.buttons()]
    await chat.press_data(700778, newer.message_id, newer.buttons()[0][0]["callback_data"])
    # ➕ on the older message's cola line, removed since: the cart itself is still open
    replies = await chat.press_data(
        700778, older.message_id, older.buttons()[0][2]["callback_data"]
    )
    assert not older.buttons()
    assert "🛒 Your cart" in (replies[-1].text or "")
    assert "already ordered" not in (replies[-1].text or "")
