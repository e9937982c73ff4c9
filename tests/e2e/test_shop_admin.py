"""A shop owner's chat: invite link, pausing orders, sold-out items; English happy path."""

from bot.runner import Stack
from bot.services import merchants
from tests.e2e.conftest import EVENING
from tests.e2e.harness import ChatClient
from tests.e2e.test_order_loop import pay, payment_url, until

NEW_OWNER = 720001
ALEX = "resident-alex"


async def test_invite_links_a_new_owner_once(stack: Stack, chat: ChatClient) -> None:
    async with stack.deps.sessions.begin() as session:
        code = await merchants.create_invite(session, merchant_code="pizza-maeul", now=EVENING)
    chat.sandbox.add_user(NEW_OWNER, "Minji", language_code="en")
    [welcome] = await chat.send(NEW_OWNER, f"/start {code}")
    assert "now linked to" in (welcome.text or "")
    [panel] = await chat.send(NEW_OWNER, "/shop")
    assert "taking orders" in (panel.text or "")
    chat.sandbox.add_user(NEW_OWNER + 1, "Someone", language_code="en")
    [refused] = await chat.send(NEW_OWNER + 1, f"/start {code}")
    assert "not valid any more" in (refused.text or "")


async def test_pause_and_sold_out_reach_residents(stack: Stack, chat: ChatClient) -> None:
    owner = "owner-hanbit-chicken"
    [panel] = await chat.send(owner, "/shop")
    assert "한빛치킨" in (panel.text or "")
    await chat.press(owner, "🚫 품절 관리")
    first = chat.buttons(owner)[0]
    assert first == "✅ 후라이드치킨"
    await chat.press(owner, first)
    assert chat.buttons(owner)[0] == "🚫 후라이드치킨"
    await chat.send(ALEX, "/start")
    await chat.press(ALEX, "English")
    replies = await chat.send(ALEX, "한빛치킨 후라이드치킨 하나")
    assert "sold out today" in (replies[0].text or "")
    await chat.send(owner, "/shop")
    await chat.press(owner, "⏸ 주문 잠시 멈춤")
    replies = await chat.send(ALEX, "한빛치킨 양념치킨 하나")
    assert "not taking orders right now" in (replies[0].text or "")
    assert "🍽 Kkokko Old-Style Chicken" in chat.buttons(ALEX)  # the other open chicken shop
    # a resident cannot press the owner's buttons (the tag binds them to the owner's chat)
    data = chat.last(owner).buttons()[0][0]["callback_data"]
    await chat.press_data(ALEX, chat.last(ALEX).message_id, data)
    assert "no longer valid" in chat.answers(ALEX)[-1]


async def test_happy_path_in_english(stack: Stack, chat: ChatClient) -> None:
    owner = "owner-cheongna-banjeom"
    await chat.send(ALEX, "/start")
    await chat.press(ALEX, "English")
    replies = await chat.send(ALEX, "2 jjajangmyeon and a tangsuyuk please")
    cart = replies[0].text or ""
    assert "Your cart · Cheongna Banjeom" in cart
    while "please choose" in (chat.last(ALEX).text or ""):
        await chat.press(ALEX, chat.buttons(ALEX)[0])
    await chat.press(ALEX, next(b for b in chat.buttons(ALEX) if b.startswith("✅ Order")))
    await chat.press(ALEX, "🏃 Pickup (no fee)")
    assert "request" in (chat.last(ALEX).text or "")
    await chat.press(ALEX, "No requests")
    summary = chat.last(ALEX).text or ""
    assert "Pickup at the shop" in summary
    assert "Delivery fee: ₩0" in summary
    await chat.press(ALEX, "✅ Order and pay")
    assert "Seoro e-Eum" in (chat.last(ALEX).text or "")
    await pay(payment_url(chat, ALEX))
    await until(stack, chat, ALEX, "Payment received")
    await until(stack, chat, owner, "새 주문")
    await chat.press(owner, "15분")
    await until(stack, chat, ALEX, "ready in about 15 minutes")
    await chat.press(owner, "🛵 배달 출발 / 준비 완료")
    await until(stack, chat, ALEX, "ready for pickup")
    await chat.press(owner, "✅ 배달 / 픽업 완료")
    await until(stack, chat, ALEX, "Tap the stars to rate it")


async def test_staff_invite_from_the_chat(stack: Stack, chat: ChatClient) -> None:
    [refused] = await chat.send(ALEX, "/invite pizza-maeul")
    assert "for the city's staff" in (refused.text or "")
    [link] = await chat.send("staff-seo", "/invite pizza-maeul")
    text = link.text or ""
    assert "https://t.me/gongbae_sandbox_bot?start=" in text
    code = text.rsplit("start=", 1)[1].strip()
    chat.sandbox.add_user(NEW_OWNER + 5, "Dana", language_code="en")
    [welcome] = await chat.send(NEW_OWNER + 5, f"/start {code}")
    assert "now linked to Pizza" in (welcome.text or "")
    [unknown] = await chat.send("staff-seo", "/invite no-such-shop")
    assert "no-such-shop" in (unknown.text or "")


async def test_staff_invite_staff(chat: ChatClient) -> None:
    [refused] = await chat.send(ALEX, "/invite staff")
    assert "for the city's staff" in (refused.text or "")
    [link] = await chat.send("staff-seo", "/invite staff")
    code = (link.text or "").rsplit("start=", 1)[1].strip()
    chat.sandbox.add_user(NEW_OWNER + 6, "Mina", language_code="en")
    [refused] = await chat.send(NEW_OWNER + 6, "/stats")
    assert "for the city's staff" in (refused.text or "")
    [welcome] = await chat.send(NEW_OWNER + 6, f"/start {code}")
    assert "gongbae team" in (welcome.text or "")
    stats = await chat.send(NEW_OWNER + 6, "/stats")
    assert "statistics" in (stats[0].text or "")
    [again] = await chat.send(ALEX, f"/start {code}")  # single use
    assert "not valid any more" in (again.text or "")
    [still] = await chat.send(ALEX, "/campaign")
    assert "for the city's staff" in (still.text or "")
