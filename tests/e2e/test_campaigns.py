"""A coupon campaign composed in the chat and sent to 1,000 sandbox residents, by the law.

Residents: 100 never agreed to ads, 100 agreed but blocked the bot, 200 also allow ads at
night, 600 do not. The campaign starts at 21:30: the night owls get it at once, the others
at 08:00; the blocked are marked; one withdraws consent before the morning.
"""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest_asyncio
from sqlalchemy import func, select

from bot.runner import Stack
from bot.sandbox import Limits
from bot.services import campaigns, coupons, users
from models.base import CampaignStatus, CouponKind
from models.campaign import Campaign
from models.coupon import IssuedCoupon
from tests.e2e.conftest import e2e_settings
from tests.e2e.harness import ChatClient
from tests.factories import resident

SEOUL = ZoneInfo("Asia/Seoul")
NIGHT = datetime(2026, 11, 27, 21, 30, tzinfo=SEOUL)
MORNING = datetime(2026, 11, 28, 8, 0, 5, tzinfo=SEOUL)
BASE = 600000
STAFF = "staff-seo"


def kind_of(n: int) -> str:
    """What resident BASE + n is like."""
    return {0: "refused", 1: "blocked", 2: "owl", 3: "owl"}.get(n % 10, "sleeper")


@pytest_asyncio.fixture
async def city(tmp_path: Path) -> AsyncIterator[tuple[Stack, list[datetime]]]:
    """The sandbox with 1,000 residents and a coupon; the clock stands at 21:30."""
    clock = [NIGHT]
    settings = e2e_settings(tmp_path, broadcast_rate=500.0, telegram_max_rate=1000.0)
    limits = Limits(bot_rate=1000.0, bot_burst=1000.0, chat_burst=50)
    async with Stack(settings, sandbox_limits=limits) as stack:
        stack.deps.clock = lambda: clock[0]
        assert stack.sandbox is not None
        async with stack.deps.sessions.begin() as session:
            for n in range(1000):
                telegram_id, kind = BASE + n, kind_of(n)
                locale = "en" if n % 2 else "ko"
                stack.sandbox.add_user(telegram_id, f"Resident {n}", language_code=locale)
                if kind == "blocked":
                    stack.sandbox.block(telegram_id)
                session.add(
                    resident(
                        telegram_id,
                        at=NIGHT,
                        locale=locale,
                        ads=kind != "refused",
                        night=kind == "owl",
                    )
                )
            await coupons.create(
                session,
                code=None,
                name="겨울 치킨 3천원",
                name_en="Winter chicken 3,000 off",
                kind=CouponKind.FIXED,
                value=3000,
                budget=3_000_000,
                valid_from=NIGHT - timedelta(days=1),
                valid_to=NIGHT + timedelta(days=14),
            )
        yield stack, clock


def ads(stack: Stack) -> Counter[int]:
    """How many ads each resident chat holds."""
    assert stack.sandbox is not None
    found: Counter[int] = Counter()
    for n in range(1000):
        for message in stack.sandbox.bot_messages(BASE + n):
            if (message.text or "").startswith("(광고)"):
                found[BASE + n] += 1
    return found


async def settle(stack: Stack, predicate: object, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    assert stack.sandbox is not None
    broadcaster = stack.application.bot_data["broadcaster"]
    async with asyncio.timeout(timeout):
        while not predicate():  # type: ignore[operator]
            broadcaster.wakeup.set()
            await stack.sandbox.wait_changed(stack.sandbox.version, 0.5)


async def test_campaign_to_a_thousand_residents(city: tuple[Stack, list[datetime]]) -> None:
    stack, clock = city
    chat = ChatClient(stack)
    assert stack.sandbox is not None

    # Compose: Korean text (with markup that must come back as text), English, no picture.
    asked = await chat.send(STAFF, "/campaign")
    assert "광고 #1" in (asked[-1].text or "")
    await chat.send(STAFF, "<b>겨울</b> 치킨 3천원 할인 🍗 이번 주말까지!")
    await chat.send(STAFF, "<b>Winter</b> chicken: 3,000 won off 🍗 until Sunday!")
    shown = await chat.press(STAFF, "건너뛰기")  # no picture
    panel = shown[-1].text or ""
    assert "900" in panel  # 1,000 residents minus the 100 who never agreed
    assert "200" in panel  # ... of whom 200 allow night-time ads
    assert "<b>겨울</b>" in panel  # escaped: shown as typed, not as bold

    # Attach the coupon, test-send to myself, then send now (at night).
    await chat.press(STAFF, "🎟 쿠폰")
    await chat.press(STAFF, "겨울 치킨 3천원 · 3,000,000원")
    assert "✓ 겨울 치킨 3천원 · 3,000,000원" in chat.buttons(STAFF)
    shown = await chat.press(STAFF, "⬅ 광고로 돌아가기")
    assert "🎟 쿠폰: 겨울 치킨 3천원" in (shown[-1].text or "")
    staff_id = chat.user_id(STAFF)
    await chat.press(STAFF, "👀 나에게 미리 보내기")
    tests = [
        m for m in stack.sandbox.bot_messages(staff_id) if (m.text or "").startswith("(광고)")
    ]
    assert len(tests) == 2  # Korean and English
    assert "🎟" in (tests[0].text or "")
    confirm = await chat.press(STAFF, "🚀 지금 보내기")
    assert "900명" in (confirm[-1].text or "")
    assert "08:00" in (confirm[-1].text or "")
    await chat.press(STAFF, "✅ 네, 지금 보내요")

    # Night: only the 200 owls get it now; the other 700 wait for the morning.
    async def report() -> campaigns.Report:
        async with stack.deps.sessions() as session:
            return await campaigns.report(session, 1, now=clock[0])

    state: dict[str, campaigns.Report] = {}

    async def poll() -> None:
        state["r"] = await report()

    async def wait_for(check: object) -> None:
        async with asyncio.timeout(30):
            while True:
                await poll()
                if check(state["r"]):  # type: ignore[operator]
                    return
                stack.application.bot_data["broadcaster"].wakeup.set()
                await asyncio.sleep(0.05)

    # (the 100 who blocked the bot show up at 08:00, when a send to them answers 403)
    await wait_for(lambda r: r.sent == 200 and r.morning == 700)
    night = ads(stack)
    assert set(night) == {BASE + n for n in range(1000) if kind_of(n) == "owl"}
    assert set(night.values()) == {1}
    assert state["r"].blocked == 0
    en_ad = stack.sandbox.bot_messages(BASE + 3)[-1]
    assert (en_ad.text or "").startswith("(광고) Ad from gongbae")
    assert "<b>Winter</b>" in (en_ad.text or "")
    labels = [b["text"] for row in en_ad.buttons() for b in row]
    assert "🔕 Stop ads" in labels
    progress = chat.last(STAFF).text or ""
    assert "▓" in progress or "░" in progress

    # An owl opts out in one tap; a sleeper withdraws consent before the morning.
    owl = BASE + 2
    stack.sandbox.press_button(owl, "🔕 광고 그만 받기")
    await settle(
        stack,
        lambda: any(
            "광고" in (a.text or "") for a in stack.sandbox.callback_answers if a.chat_id == owl
        ),
    )
    async with stack.deps.sessions.begin() as session:
        assert not (await users.consents(session, telegram_id=owl)).marketing
        await users.set_consent(
            session, telegram_id=BASE + 4, kind="marketing", given=False, now=clock[0]
        )

    # 08:00: the 599 who still agree get it; the campaign finishes with a report.
    clock[0] = MORNING
    await wait_for(lambda r: r.status == CampaignStatus.DONE)
    final = state["r"]
    assert (final.total, final.sent, final.blocked, final.opted_out, final.failed) == (
        900,
        799,
        100,
        1,
        0,
    )
    everyone = ads(stack)
    expected = {BASE + n for n in range(1000) if kind_of(n) in ("owl", "sleeper")} - {BASE + 4}
    assert set(everyone) == expected
    assert set(everyone.values()) == {1}  # nobody twice
    async with stack.deps.sessions() as session:
        issued = await session.scalar(
            select(func.count(IssuedCoupon.id)).where(IssuedCoupon.campaign_id == 1)
        )
        campaign = await session.get(Campaign, 1)
    assert issued == 799
    assert campaign is not None
    assert campaign.finished_at is not None
    await settle(stack, lambda: "✅" in (chat.last(STAFF).text or ""))
    report_text = chat.last(STAFF).text or ""
    assert "799" in report_text
    assert stack.sandbox.refused[429] == 0


def png() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (64, 48), (240, 120, 40)).save(out, format="PNG")
    return out.getvalue()


async def test_scheduled_campaign_with_a_picture(stack: Stack, chat: ChatClient) -> None:
    """Staff add a picture and a typed time; residents get a photo ad when it is due."""
    clock = [datetime(2026, 11, 27, 19, 0, tzinfo=SEOUL)]
    stack.deps.clock = lambda: clock[0]
    async with stack.deps.sessions.begin() as session:
        for persona in (700001, 700002):
            await users.set_consent(
                session, telegram_id=persona, kind="marketing", given=True, now=clock[0]
            )
    [refused] = await chat.send("resident-alex", "/campaign")
    assert "for the city's staff" in (refused.text or "")

    await chat.send(STAFF, "/campaign")
    [too_long] = await chat.send(STAFF, "가" * 701)
    assert "701자" in (too_long.text or "")
    await chat.send(STAFF, "금요일 밤 족발 할인")
    await chat.send(STAFF, "Friday night jokbal sale")
    [ask_picture] = await chat.send(STAFF, "그림 없이 갈게요")  # text where a picture is asked
    assert "사진으로" in (ask_picture.text or "")
    shown = await chat.send_photo(STAFF, png())
    assert "🖼 이미지: 있음" in (shown[-1].text or "")
    assert "2명" in (shown[-1].text or "")  # 지영 and Alex agreed to ads

    # a resident cannot press the staff's buttons, even with the data copied
    panel = chat.last(STAFF)
    data = panel.buttons()[-1][0]["callback_data"]
    await chat.press_data("resident-alex", refused.message_id, data)
    assert "no longer valid" in chat.answers("resident-alex")[-1]

    await chat.press(STAFF, "⏰ 예약")
    await chat.press(STAFF, "⌨ 날짜와 시간 직접 쓰기")
    [past] = await chat.send(STAFF, "2026-11-27 18:00")
    assert "앞으로의" in (past.text or "")
    scheduled = await chat.send(STAFF, "내일 10:00")
    assert "⏰ 2026-11-28 10:00에 보내요" in (scheduled[-1].text or "")
    assert "예약됨" in (scheduled[-1].text or "")

    jiyoung = chat.user_id("resident-jiyoung")
    before = len(chat.sandbox.bot_messages(jiyoung))
    broadcaster = stack.application.bot_data["broadcaster"]
    await broadcaster.round()
    assert len(chat.sandbox.bot_messages(jiyoung)) == before  # not yet

    clock[0] = datetime(2026, 11, 28, 10, 0, 1, tzinfo=SEOUL)
    alex = chat.user_id("resident-alex")

    def both_have_it() -> bool:
        return all(
            any((m.text or "").startswith("(광고)") for m in chat.sandbox.bot_messages(who))
            for who in (jiyoung, alex)
        )

    await settle(stack, both_have_it)
    ad = chat.sandbox.bot_messages(jiyoung)[-1]
    assert ad.photo is not None
    assert (ad.text or "").startswith("(광고) 공배 · 인천 서구")
    alex_ad = chat.sandbox.last_bot_message(chat.user_id("resident-alex"))
    assert alex_ad is not None
    assert "Friday night jokbal sale" in (alex_ad.text or "")
    await chat.press("resident-alex", "🔕 Stop ads")
    assert "no more ads" in chat.answers("resident-alex")[-1]
    assert [b["text"] for row in chat.last("resident-alex").buttons() for b in row] == [
        "🛍 Order now"
    ]
    # the ad no longer points at the button it lost
    stopped = chat.last("resident-alex").text or ""
    assert stopped.endswith(
        "Friday night jokbal sale\n\n🔕 You will get no more ads; /settings changes that."
    )
    await settle(stack, lambda: "✅" in (chat.last(STAFF).text or ""))
    assert "보냄 2" in (chat.last(STAFF).text or "")


async def test_the_reach_line_counts_one_resident_in_the_singular(
    stack: Stack, chat: ChatClient
) -> None:
    async with stack.deps.sessions.begin() as session:
        await users.set_consent(
            session, telegram_id=700002, kind="marketing", given=True, now=stack.deps.now()
        )
    await chat.send(STAFF, "/start")
    await chat.press(STAFF, "English")
    await chat.send(STAFF, "/campaign")
    await chat.send(STAFF, "12월 할인")
    await chat.send(STAFF, "December sale")
    [draft] = await chat.press(STAFF, "Skip")
    assert "👥 1 resident who agreed to ads (0 of them also at night)" in (draft.text or "")
    [confirm] = await chat.press(STAFF, "🚀 Send now")
    assert (confirm.text or "").startswith("Send campaign #1 to 1 resident now?")
    started = await chat.press(STAFF, "✅ Yes, send now")
    assert any("is starting: 1 recipient." in (m.text or "") for m in started)
    report = await chat.sandbox.wait_for_bot_message(
        chat.user_id(STAFF), contains="every message is out", timeout=10
    )
    assert "\n1 of 1 recipient\n" in (report.text or "")
