"""Staff and shop work in the web chat: an owner sends a menu file with 📎, a staff member
composes an ad with a picture and sends it; a resident opts out under it."""

from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from bot.runner import Stack
from bot.services import users
from tests.e2e.test_campaigns import png
from tests.e2e.test_webchat_order_browser import last_bot, press, say
from tests.services.test_menu_upload import GOOD_CSV

DOCS = Path(__file__).resolve().parents[2] / "docs"

pytestmark = pytest.mark.browser


async def test_menu_file_and_campaign_in_the_web_chat(
    stack: Stack, context: BrowserContext, tmp_path: Path
) -> None:
    async with stack.deps.sessions.begin() as session:
        await users.set_consent(
            session, telegram_id=700001, kind="marketing", given=True, now=stack.deps.now()
        )
    page: Page = await context.new_page()
    await page.goto(f"{stack.url}/#owner-hanbit-chicken,staff-seo,resident-jiyoung")
    owner = page.locator('[data-persona="owner-hanbit-chicken"]')
    staff = page.locator('[data-persona="staff-seo"]')
    resident = page.locator('[data-persona="resident-jiyoung"]')
    await expect(resident).to_be_visible()

    menu = tmp_path / "menu.csv"
    menu.write_bytes(GOOD_CSV)
    await owner.get_by_test_id("file").set_input_files(menu)
    await expect(last_bot(owner)).to_contain_text("가격 변경")
    await press(owner, "✅ 적용")
    await expect(last_bot(owner)).to_contain_text("메뉴를 바꿨어요")

    await say(staff, "/campaign")
    await expect(last_bot(staff)).to_contain_text("한국어 광고 문구")
    await say(staff, "이번 주말 한빛치킨 마늘치킨 출시! 🍗")
    await expect(last_bot(staff)).to_contain_text("영어로")
    await say(staff, "New at Hanbit Chicken this weekend: garlic chicken! 🍗")
    await expect(last_bot(staff)).to_contain_text("이미지")
    picture = tmp_path / "ad.png"
    picture.write_bytes(png())
    await staff.get_by_test_id("file").set_input_files(picture)
    await expect(last_bot(staff)).to_contain_text("이미지: 있음")
    await page.screenshot(path=DOCS / "campaign-draft.png")
    await press(staff, "🚀 지금 보내기")
    await press(staff, "✅ 네, 지금 보내요")
    await expect(last_bot(staff)).to_contain_text("발송 완료", timeout=15000)
    await expect(last_bot(resident)).to_contain_text("(광고) 공배 · 인천 서구", timeout=10000)
    await expect(last_bot(resident).locator("img")).to_be_visible()
    await page.screenshot(path=DOCS / "campaign-sent.png")
    await press(resident, "🔕 광고 그만 받기")
    await expect(resident.get_by_text("광고 수신을 거부했어요")).to_be_visible()
