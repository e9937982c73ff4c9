"""The whole order in the web chat, as people do it: a resident orders and pays in a browser
tab, the shop owner accepts and delivers in the next column."""

from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Locator, Page, expect

from bot.runner import Stack

DOCS = Path(__file__).resolve().parents[2] / "docs"

pytestmark = pytest.mark.browser


async def say(column: Locator, text: str) -> None:
    await column.get_by_test_id("input").fill(text)
    await column.get_by_test_id("send").click()


def last_bot(column: Locator) -> Locator:
    return column.locator('[data-testid="bubble"][data-from="bot"]').last


async def press(column: Locator, label: str) -> None:
    await column.get_by_test_id("inline-button").filter(has_text=label).last.click()


async def test_order_pay_and_deliver_in_the_web_chat(
    stack: Stack, context: BrowserContext
) -> None:
    page: Page = await context.new_page()
    await page.goto(f"{stack.url}/#resident-jiyoung,owner-hanbit-chicken")
    resident = page.locator('[data-persona="resident-jiyoung"]')
    owner = page.locator('[data-persona="owner-hanbit-chicken"]')
    await expect(owner).to_be_visible()

    await say(resident, "/start")
    await press(resident, "한국어")
    await expect(last_bot(resident)).to_contain_text("광고성 정보")
    await press(resident, "받지 않을래요")
    await expect(last_bot(resident)).to_contain_text("설정")
    await say(resident, "한빛치킨 양념치킨 한 마리랑 콜라 두 개")
    await expect(resident.get_by_text("장바구니 · 한빛치킨").last).to_be_visible()
    # 양념치킨 has a required 부위 (뼈/순살): the bot asks right after the cart
    await expect(last_bot(resident)).to_contain_text("골라 주세요")
    await resident.get_by_test_id("inline-button").last.click()
    await expect(last_bot(resident)).not_to_contain_text("골라 주세요")
    await press(resident, "✅ 주문하기")
    await press(resident, "🛵 배달")
    await press(resident, "청라")
    await expect(last_bot(resident)).to_contain_text("요청사항")
    await say(resident, "문 앞에 놔주세요")
    await expect(last_bot(resident)).to_contain_text("주문 내용을 확인해 주세요")
    await page.screenshot(path=DOCS / "order-summary.png")
    await press(resident, "✅ 주문하고 결제하기")

    async with context.expect_page() as popup:
        await resident.get_by_role("link", name="서로e음").last.click()
    payment = await popup.value
    await expect(payment.get_by_test_id("amount")).to_contain_text("원")
    await payment.screenshot(path=DOCS / "payment-page.png")
    await payment.get_by_test_id("approve").click()
    await expect(payment.get_by_test_id("result")).to_contain_text("결제가 완료됐어요")
    await payment.close()

    await expect(last_bot(owner)).to_contain_text("새 주문", timeout=10000)
    await press(owner, "30분")
    await expect(resident.get_by_text("약 30분 후 준비돼요")).to_be_visible(timeout=10000)
    await press(owner, "배달 출발")
    await press(owner, "배달 / 픽업 완료")
    await expect(resident.get_by_text("꿀맛 평가")).to_be_visible(timeout=10000)
    await press(resident, "⭐⭐⭐⭐⭐")
    await expect(last_bot(resident)).to_contain_text("한 줄 후기")
    await page.screenshot(path=DOCS / "order-flow.png")
