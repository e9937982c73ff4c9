"""First conversation through the real stack: /start, language, help, browsing in ko and en."""

from bot.runner import Stack
from tests.e2e.harness import ChatClient

JIYOUNG = "resident-jiyoung"
ALEX = "resident-alex"


async def test_start_asks_language_then_greets_in_korean(chat: ChatClient) -> None:
    [prompt] = await chat.send(JIYOUNG, "/start")
    assert "언어를 선택해 주세요" in (prompt.text or "")
    assert chat.buttons(JIYOUNG) == ["한국어", "English"]

    greeting, *_ = await chat.press(JIYOUNG, "한국어")
    assert greeting.message_id == prompt.message_id  # edited in place
    assert "지영님, 안녕하세요!" in (greeting.text or "")
    assert "인천 서구 공공배달" in (greeting.text or "")
    assert chat.answers(JIYOUNG) == ["한국어로 설정했어요."]

    # remembered: the next /start skips the question
    [again] = await chat.send(JIYOUNG, "/start")
    assert "지영님, 안녕하세요!" in (again.text or "")


async def test_browse_shops_and_menu_in_korean(chat: ChatClient) -> None:
    await chat.send(JIYOUNG, "/start")
    await chat.press(JIYOUNG, "한국어")
    [categories] = await chat.press(JIYOUNG, "🍽 가게 둘러보기")
    assert "어떤 음식을 찾으세요?" in (categories.text or "")
    assert "🍗 치킨 (2)" in chat.buttons(JIYOUNG)

    [shops] = await chat.press(JIYOUNG, "🍗 치킨 (2)")
    assert "치킨 가게 2곳" in (shops.text or "")
    assert "한빛치킨" in (shops.text or "")
    assert "최소주문" in (shops.text or "")

    shop_button = next(b for b in chat.buttons(JIYOUNG) if "한빛치킨" in b)
    [menu] = await chat.press(JIYOUNG, shop_button)
    assert "후라이드치킨" in (menu.text or "")
    assert "원" in (menu.text or "")
    assert "⬅ 가게 목록" in chat.buttons(JIYOUNG)

    item_button = next(b for b in chat.buttons(JIYOUNG) if b.startswith("후라이드치킨"))
    [item] = await chat.press(JIYOUNG, item_button)
    assert "부위" in (item.text or "")
    assert "순살 +2,000원" in (item.text or "")


async def test_browse_in_english(chat: ChatClient) -> None:
    await chat.send(ALEX, "/start")
    greeting, *_ = await chat.press(ALEX, "English")
    assert "Hello, Alex! This is gongbae, Incheon Seo-gu's public delivery." in (
        greeting.text or ""
    )
    await chat.press(ALEX, "🍽 Browse shops")
    assert any(b.startswith("🍕 Pizza") for b in chat.buttons(ALEX))
    pizza = next(b for b in chat.buttons(ALEX) if b.startswith("🍕 Pizza"))
    [shops] = await chat.press(ALEX, pizza)
    assert "minimum ₩" in (shops.text or "")
    await chat.press(ALEX, chat.buttons(ALEX)[0])
    text = chat.last(ALEX).text or ""
    assert "₩" in text
    assert "⬅ Shops" in chat.buttons(ALEX)


async def test_menu_pages(chat: ChatClient) -> None:
    await chat.send(JIYOUNG, "/start")
    await chat.press(JIYOUNG, "한국어")
    await chat.press(JIYOUNG, "🍽 가게 둘러보기")
    cafe = next(b for b in chat.buttons(JIYOUNG) if "카페" in b)
    await chat.press(JIYOUNG, cafe)
    await chat.press(JIYOUNG, chat.buttons(JIYOUNG)[0])
    first = chat.last(JIYOUNG).text
    assert "다음 ▶" in chat.buttons(JIYOUNG)
    [second] = await chat.press(JIYOUNG, "다음 ▶")
    assert second.text != first
    assert "◀ 이전" in chat.buttons(JIYOUNG)


async def test_help_and_language_change(chat: ChatClient) -> None:
    [help_message] = await chat.send(ALEX, "/help")
    assert "How to use gongbae" in (help_message.text or "")  # Telegram's language_code: en
    await chat.send(ALEX, "/lang")
    await chat.press(ALEX, "한국어")
    [korean_help] = await chat.send(ALEX, "/help")
    assert "공배 사용법" in (korean_help.text or "")


async def test_names_and_odd_input_are_escaped(chat: ChatClient) -> None:
    chat.sandbox.add_user(777001, "<b>Kim</b> & <i>Co", language_code="en")
    await chat.send(777001, "/start")
    greeting, *_ = await chat.press(777001, "English")
    assert "Hello, <b>Kim</b> & <i>Co! This is gongbae" in (greeting.text or "")
    assert greeting.entities == [] or all(e["type"] != "italic" for e in greeting.entities)
    for text in ["<b>주문</b> & <script>", "🍗" * 50, "가" * 4096]:
        replies = await chat.send(777001, text)
        assert replies
        assert all(reply.text for reply in replies)


async def test_forged_and_foreign_buttons_are_refused_politely(
    chat: ChatClient, stack: Stack
) -> None:
    await chat.send(JIYOUNG, "/start")
    prompt = chat.last(JIYOUNG)
    await chat.press_data(JIYOUNG, prompt.message_id, "lg:ko:AAAAAAAA")
    assert (
        chat.answers(JIYOUNG)[-1]
        == "더 이상 사용할 수 없는 버튼이에요. /start 로 다시 시작해 주세요."
    )
    # a button made for Alex's chat does not work in Ji-young's
    await chat.send(ALEX, "/start")
    alex_data = chat.last(ALEX).buttons()[0][1]["callback_data"]
    await chat.press_data(JIYOUNG, prompt.message_id, alex_data)
    assert "더 이상 사용할 수 없는 버튼" in chat.answers(JIYOUNG)[-1]
    await chat.press_data(JIYOUNG, prompt.message_id, "zz:" + "9" * 60)
    assert "더 이상 사용할 수 없는 버튼" in chat.answers(JIYOUNG)[-1]


async def test_commands_are_registered_in_both_languages(stack: Stack) -> None:
    assert stack.sandbox is not None
    ko = [c["description"] for c in stack.sandbox.bot_commands("ko")]
    en = [c["description"] for c in stack.sandbox.bot_commands("en")]
    assert "가게 둘러보기" in ko
    assert "Browse shops" in en


async def test_owners_and_staff_are_shown_their_commands(chat: ChatClient) -> None:
    await chat.send("owner-hanbit-chicken", "/start")
    greeting, *_ = await chat.press("owner-hanbit-chicken", "한국어")
    assert (greeting.text or "").endswith(
        "🏪 사장님: /shop 에서 주문 멈춤·품절 표시, /sales 에서 매출 확인"
    )
    [help_] = await chat.send("owner-hanbit-chicken", "/help")
    assert "<b>사장님 메뉴</b>" not in (help_.text or "")  # markup is rendered, not shown
    assert "사장님 메뉴\n/shop: 주문 잠시 멈추기, 품절 표시\n" in (help_.text or "")
    assert "메뉴 파일(CSV 또는 JSON 메뉴 팩)을 여기로" in (help_.text or "")
    assert "/invite" not in (help_.text or "")

    await chat.send("staff-seo", "/start")
    greeting, *_ = await chat.press("staff-seo", "English")
    assert (greeting.text or "").endswith(
        "🏛 For city staff: /stats, /campaigns, /campaign, /invite"
    )
    [help_] = await chat.send("staff-seo", "/help")
    assert "For city staff\n/stats: the region's figures" in (help_.text or "")

    await chat.send(ALEX, "/start")
    greeting, *_ = await chat.press(ALEX, "English")
    assert "/shop" not in (greeting.text or "")
    assert "/stats" not in (greeting.text or "")
    [help_] = await chat.send(ALEX, "/help")
    assert "For your shop" not in (help_.text or "")
    assert "/stats" not in (help_.text or "")
