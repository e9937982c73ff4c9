"""The web chat in headless Chromium, with the echo bot polling the sandbox."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, expect

from tests.browser import chromium
from tests.sandbox.conftest import EN_USER, KO_USER, OWNER, Served
from tests.sandbox.test_polling import polling

SEOUL = ZoneInfo("Asia/Seoul")


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless Debian Chromium (never `playwright install`)."""
    async with chromium() as launched:
        yield launched


async def test_chat_api_long_poll(served: Served) -> None:
    sandbox = served.sandbox
    async with httpx.AsyncClient(base_url=served.base) as client:
        listed = (await client.get("/sandbox/api/personas")).json()
        assert listed["time_zone"] == "Asia/Seoul"
        personas = listed["personas"]
        assert [p["key"] for p in personas] == ["jimin", "alex", "hanbit-owner"]
        first = (await client.get(f"/sandbox/api/chat/{KO_USER}?since=0")).json()
        sent = await client.post("/sandbox/api/send", json={"persona": "jimin", "text": "<b>hi"})
        assert sent.json()["ok"]
        after = (await client.get(f"/sandbox/api/chat/{KO_USER}?since={first['version']}")).json()
        [message] = after["messages"]
        assert message["from"] == "user"
        assert message["html"] == "&lt;b&gt;hi"
        located = await client.post("/sandbox/api/location", json={"user_id": EN_USER})
        assert located.json()["ok"]
        bad = await client.post(
            "/sandbox/api/press", json={"user_id": KO_USER, "message_id": 1, "callback_data": "x"}
        )
        assert bad.status_code == 400
    assert sandbox.messages(EN_USER)[0].location == {"latitude": 37.5454, "longitude": 126.676}


@pytest.mark.browser
async def test_web_chat_echo_and_button(served: Served, browser: Browser) -> None:
    sandbox = served.sandbox
    async with polling(served):
        # the browser's own zone and clock format must not be Seoul's: UTC, 12-hour
        page = await browser.new_page(timezone_id="UTC", locale="en-US")
        try:
            await page.goto(f"{served.base}/")
            column = page.locator('[data-persona="jimin"]')
            await expect(column).to_be_visible()
            await expect(page.locator('[data-persona="hanbit-owner"]')).to_be_visible()
            await column.get_by_test_id("input").fill("김치찌개 1개 & 밥")
            await column.get_by_test_id("input").press("Enter")

            echo = column.locator('[data-testid="bubble"][data-from="bot"]')
            await expect(echo.get_by_test_id("bubble-text")).to_have_text("김치찌개 1개 & 밥")
            user_bubble = column.locator('[data-testid="bubble"][data-from="user"]')
            await expect(user_bubble.get_by_test_id("bubble-text")).to_have_text(
                "김치찌개 1개 & 밥"
            )
            await expect(column.get_by_test_id("input")).to_have_value("")
            # times as the personas' phones show them: in Seoul, not the browser's UTC
            sent_at = datetime.fromtimestamp(sandbox.messages(KO_USER)[0].date, SEOUL)
            time_text = await user_bubble.locator(".time").inner_text()
            assert sent_at.strftime("%I:%M") in time_text, time_text
            assert sent_at.astimezone(UTC).strftime("%I:%M") not in time_text

            await column.get_by_test_id("inline-button").click()
            await expect(column.get_by_test_id("toast")).to_have_text("눌렀어요 / pressed")
            await expect(echo.get_by_test_id("bubble-text")).to_have_text("pressed: again")
            await expect(column.get_by_test_id("inline-button")).to_have_count(0)
            assert sandbox.messages(OWNER) == []

            # opened again later, the chat does not replay the answers shown before
            again = await browser.new_page()
            try:
                await again.goto(f"{served.base}/")
                later = again.locator('[data-persona="jimin"]')
                await expect(later.get_by_test_id("bubble-text").first).to_be_visible()
                # drawn with the bubbles, so counted now (awaiting 0 would outlast a toast)
                assert await later.get_by_test_id("toast").count() == 0
            finally:
                await again.close()
        finally:
            await page.close()
