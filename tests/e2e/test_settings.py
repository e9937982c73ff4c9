"""Advertising consent asked in plain words at /start, recorded with its time, changed in
/settings (정보통신망법 제50조); staff accounts from the CLI."""

from sqlalchemy import select

from bot.runner import Stack
from models.user import User
from tests.e2e.harness import ChatClient

JIYOUNG = "resident-jiyoung"


async def test_consent_is_asked_once_and_can_be_changed(stack: Stack, chat: ChatClient) -> None:
    await chat.send(JIYOUNG, "/start")
    _, question = await chat.press(JIYOUNG, "한국어")
    assert "광고성 정보" in (question.text or "")
    assert "/settings" in (question.text or "")
    assert chat.buttons(JIYOUNG) == ["네, 받을게요", "받지 않을래요"]
    [saved] = await chat.press(JIYOUNG, "네, 받을게요")
    assert "광고성 정보 수신: 동의" in (saved.text or "")
    async with stack.deps.sessions() as session:
        user = await session.scalar(select(User).where(User.telegram_id == chat.user_id(JIYOUNG)))
        assert user is not None
        assert user.marketing_consent
        assert user.marketing_consent_at is not None
        assert not user.night_consent
    await chat.press(JIYOUNG, "밤에도 받기")
    [off] = await chat.press(JIYOUNG, "광고성 정보 받지 않기")
    assert "광고성 정보 수신: 동의 안 함" in (off.text or "")
    assert "밤 9시~아침 8시 수신: 동의 안 함" in (off.text or "")  # withdrawn with it
    # the question is not asked again after a language change
    await chat.send(JIYOUNG, "/lang")
    replies = await chat.press(JIYOUNG, "English")
    assert all("advertising" not in (m.text or "") for m in replies)
    [settings] = await chat.send(JIYOUNG, "/settings")
    assert "Advertising messages: no" in (settings.text or "")
    assert "also between 21:00 and 08:00: no (since" in (settings.text or "")  # withdrawn


async def test_no_night_question_for_who_took_no_ads(chat: ChatClient) -> None:
    await chat.send("resident-alex", "/start")
    await chat.press("resident-alex", "English")
    [saved] = await chat.press("resident-alex", "No, thanks")
    assert "Advertising messages: no (since" in (saved.text or "")
    assert "21:00" not in (saved.text or "")  # nothing to say about ads at night


async def test_forget_deletes_the_residents_data(chat: ChatClient) -> None:
    await chat.send("resident-jiyoung", "/start")
    await chat.press("resident-jiyoung", "한국어")
    [asked] = await chat.send("resident-jiyoung", "/forget")
    assert "되돌릴 수 없어요" in (asked.text or "")
    kept = await chat.press("resident-jiyoung", "그대로 둘게요")
    assert "삭제하지 않았어요" in (kept[-1].text or "")
    await chat.send("resident-jiyoung", "/forget")
    done = await chat.press("resident-jiyoung", "🗑 내 정보 삭제")
    assert "삭제했어요" in (done[-1].text or "")
    again = await chat.send("resident-jiyoung", "/start")  # a new resident: language first
    assert "Please choose your language" in (again[-1].text or "")
    [refused] = await chat.send("owner-hanbit-chicken", "/forget")
    await chat.press("owner-hanbit-chicken", "🗑 내 정보 삭제")
    assert "구청 담당자" in chat.answers("owner-hanbit-chicken")[-1]
    assert refused.text


async def test_writing_again_after_forget_starts_afresh(chat: ChatClient) -> None:
    await chat.send("resident-alex", "/start")
    await chat.press("resident-alex", "English")
    await chat.send("resident-alex", "/forget")
    await chat.press("resident-alex", "🗑 Delete my data")
    # no /start first: the order is read, not refused as a stale button
    [cart] = await chat.send("resident-alex", "large pepperoni pizza")
    assert (cart.text or "").startswith("🛒 Your cart · Pizza Maeul")
    # nor for someone who never pressed /start
    chat.sandbox.add_user(700888, "Min", language_code="ko")
    [question] = await chat.send(700888, "떡볶이 1인분")
    assert question.text == "여러 가게에서 팔아요. 어느 가게에서 주문할까요?"
    chat.sandbox.add_user(700889, "Kim", language_code="en")
    [orders] = await chat.send(700889, "/orders")
    assert orders.text == "You have no orders yet. Write what you would like, or browse the shops."
