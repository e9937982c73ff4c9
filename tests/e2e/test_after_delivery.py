"""After delivery and beyond: 꿀맛 평가 with the owner's reply, MY배달, 다시 주문, cancelling."""

from bot.runner import Stack
from handlers import callbacks as cb
from tests.e2e.harness import ChatClient
from tests.e2e.test_order_loop import JIYOUNG, OWNER, buttons_gone, order_to_payment, pay, until


async def delivered_order(stack: Stack, chat: ChatClient) -> None:
    await pay(await order_to_payment(chat))
    await until(stack, chat, OWNER, "새 주문")
    await chat.press(OWNER, "30분")
    await chat.press(OWNER, "🛵 배달 출발 / 준비 완료")
    await chat.press(OWNER, "✅ 배달 / 픽업 완료")
    await until(stack, chat, JIYOUNG, "꿀맛 평가")


async def test_review_with_text_and_owner_reply(stack: Stack, chat: ChatClient) -> None:
    await delivered_order(stack, chat)
    rating = chat.last(JIYOUNG)
    stars_data = rating.buttons()[1][1]["callback_data"]
    rated, prompt = await chat.press(JIYOUNG, "⭐⭐⭐⭐⭐")
    # the stars given take the question's place
    assert (rated.text or "").endswith("맛있게 드세요!\n\n내 평가: ⭐⭐⭐⭐⭐")
    assert not rated.buttons()
    assert "한 줄 후기" in (prompt.text or "")
    await chat.send(JIYOUNG, "바삭하고 맛있어요 <최고>")
    alert = await until(stack, chat, OWNER, "바삭하고 맛있어요 <최고>")
    assert "⭐⭐⭐⭐⭐" in alert
    await chat.press(OWNER, "💬 답글 달기")
    await chat.send(OWNER, "감사합니다! 또 주문해 주세요")
    await until(stack, chat, JIYOUNG, "감사합니다! 또 주문해 주세요")
    # once per order: the same stars button pressed again is refused politely
    await chat.press_data(JIYOUNG, rating.message_id, stars_data)
    assert chat.answers(JIYOUNG)[-1] == "이미 평가하신 주문이에요. 고마워요!"
    # the shop's menu shows the rating and the review
    await chat.send(JIYOUNG, "/shops")
    await chat.press(JIYOUNG, "🍗 치킨 (2)")
    [menu] = await chat.press(JIYOUNG, next(b for b in chat.buttons(JIYOUNG) if "한빛치킨" in b))
    assert "⭐ 5.0 (후기 1개)" in (menu.text or "")
    assert "바삭하고 맛있어요 <최고>" in (menu.text or "")
    assert "사장님: 감사합니다!" in (menu.text or "")


async def test_my_orders_and_order_again(stack: Stack, chat: ChatClient) -> None:
    await delivered_order(stack, chat)
    [orders] = await chat.send(JIYOUNG, "/orders")
    assert "MY배달" in (orders.text or "")
    assert "배달 완료" in (orders.text or "")
    [detail] = await chat.press(JIYOUNG, chat.buttons(JIYOUNG)[0])
    assert "양념치킨" in (detail.text or "")
    assert "❌ 주문 취소" not in chat.buttons(JIYOUNG)  # delivered: too late to cancel
    replies = await chat.press(JIYOUNG, "🔁 다시 주문")
    assert any("장바구니 · 한빛치킨" in (m.text or "") for m in replies)


async def test_cancel_before_the_shop_accepts_refunds(stack: Stack, chat: ChatClient) -> None:
    await pay(await order_to_payment(chat))
    assert stack.sandbox is not None
    alert = await stack.sandbox.wait_for_bot_message(chat.user_id(OWNER), contains="새 주문")
    accept = alert.buttons()[0][0]["callback_data"]
    await chat.send(JIYOUNG, "/orders")
    await chat.press(JIYOUNG, chat.buttons(JIYOUNG)[0])
    [done] = await chat.press(JIYOUNG, "❌ 주문 취소")
    assert "환불했어요" in (done.text or "")
    await until(stack, chat, OWNER, "주문하신 분이 취소")
    await buttons_gone(stack, chat, OWNER, alert.message_id)  # nothing left to accept
    await chat.press_data(OWNER, alert.message_id, accept)  # pressed anyway (a replay)
    assert "이미 처리된 주문이에요" in chat.answers(OWNER)[-1]


async def test_stats_for_staff_and_sales_for_the_shop(stack: Stack, chat: ChatClient) -> None:
    await delivered_order(stack, chat)
    [refused] = await chat.send(JIYOUNG, "/stats")
    assert "구청 담당자만" in (refused.text or "")
    [report] = await chat.send("staff-seo", "/stats 30")
    text = report.text or ""
    assert "주문: 1건" in text
    assert "🍗 치킨: 1" in text
    assert "아낀 수수료" in text
    await chat.press("staff-seo", "📄 CSV 내려받기")
    document = chat.sandbox.bot_messages(chat.user_id("staff-seo"))[-1].document
    assert document is not None
    assert document.data is not None
    assert b"total_orders,1" in document.data
    [sales] = await chat.send(OWNER, "/sales")
    assert "우리 가게 매출" in (sales.text or "")
    assert "주문: 1건" in (sales.text or "")


async def test_stats_chart_for_staff_and_for_the_shop(stack: Stack, chat: ChatClient) -> None:
    await delivered_order(stack, chat)
    await chat.send("staff-seo", "/stats 30")
    assert "📈 차트 보기" in chat.buttons("staff-seo")
    await chat.press("staff-seo", "📈 차트 보기")
    photo = chat.sandbox.bot_messages(chat.user_id("staff-seo"))[-1].photo
    assert photo is not None
    assert photo.data is not None
    assert photo.data.startswith(b"\x89PNG")
    assert (photo.width, photo.height) == (800, 450)
    assert len(photo.data) < 150_000
    # the shop's owner gets a chart of the shop's own sales
    [sales] = await chat.send(OWNER, "/sales 7")
    await chat.press(OWNER, "📈 차트 보기")
    shop_photo = chat.sandbox.bot_messages(chat.user_id(OWNER))[-1].photo
    assert shop_photo is not None
    assert shop_photo.data is not None
    assert shop_photo.data.startswith(b"\x89PNG")
    # but not the city's chart, even with a forged button
    before = len(chat.sandbox.bot_messages(chat.user_id(OWNER)))
    await chat.press_data(
        OWNER,
        sales.message_id,
        cb.StatsChart(30, "city").pack(stack.deps.signer, chat.user_id(OWNER)),
    )
    assert chat.answers(OWNER)[-1] == "구청 담당자만 쓸 수 있는 명령이에요."
    assert len(chat.sandbox.bot_messages(chat.user_id(OWNER))) == before
