"""The sandbox web chat in headless Chromium: a resident browses shops in ko and en."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Locator, Page, expect

from bot.runner import Stack
from tests.browser import chromium

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "webchat.png"

pytestmark = pytest.mark.browser


@pytest_asyncio.fixture
async def page() -> AsyncIterator[Page]:
    """A wide page in headless Chromium, room for four chat columns."""
    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 1500, "height": 900})
        yield await context.new_page()


async def _say(column: Locator, text: str) -> None:
    await column.get_by_test_id("input").fill(text)
    await column.get_by_test_id("send").click()


def _last_bot_text(column: Locator) -> Locator:
    return column.locator('[data-testid="bubble"][data-from="bot"]').last


async def test_resident_browses_in_korean_and_english(stack: Stack, page: Page) -> None:
    await page.goto(f"{stack.url}/")
    jiyoung = page.locator('[data-persona="resident-jiyoung"]')
    alex = page.locator('[data-persona="resident-alex"]')
    await expect(jiyoung).to_be_visible()
    await expect(alex).to_be_visible()

    await _say(jiyoung, "/start")
    await jiyoung.get_by_role("button", name="한국어").click()
    await expect(jiyoung.get_by_text("지영님, 안녕하세요!")).to_be_visible()
    await expect(_last_bot_text(jiyoung)).to_contain_text("광고성 정보")
    await jiyoung.get_by_role("button", name="받지 않을래요").click()
    await expect(_last_bot_text(jiyoung)).to_contain_text("광고성 정보 수신: 동의 안 함")
    await _say(jiyoung, "/shops")
    await jiyoung.get_by_role("button", name="🍗 치킨 (2)").click()
    await expect(_last_bot_text(jiyoung)).to_contain_text("최소주문")
    await jiyoung.get_by_role("button", name="한빛치킨").click()
    await expect(_last_bot_text(jiyoung)).to_contain_text("후라이드치킨")
    await expect(_last_bot_text(jiyoung)).to_contain_text("원")

    await _say(alex, "/start")
    await alex.get_by_role("button", name="English").click()
    await expect(alex.get_by_text("Hello, Alex!")).to_be_visible()
    await alex.get_by_role("button", name="Yes, send me offers").click()
    await expect(_last_bot_text(alex)).to_contain_text("Advertising messages: yes")
    await _say(alex, "/shops")
    await alex.get_by_role("button", name="☕ Café & dessert (2)").click()
    await expect(_last_bot_text(alex)).to_contain_text("minimum ₩")
    await alex.get_by_role("button", name="Canal Coffee").click()
    await expect(_last_bot_text(alex)).to_contain_text("Americano")

    SCREENSHOT.parent.mkdir(exist_ok=True)
    await page.screenshot(path=SCREENSHOT)
