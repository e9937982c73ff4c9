"""An owner updates the menu by sending a file: refused with every problem, or previewed and
applied on confirmation; a resident's file gets a polite word."""

from sqlalchemy import select

from bot.runner import Stack
from models.region import MenuItem
from tests.e2e.harness import ChatClient
from tests.services.test_menu_upload import GOOD_CSV, csv_file

OWNER = "owner-hanbit-chicken"


async def test_owner_updates_the_menu_with_a_csv(stack: Stack, chat: ChatClient) -> None:
    bad = csv_file(
        "fried,후라이드치킨,Fried Chicken,0,,,,,,,,,,,",
        "<b>x</b>,이름,Name,1000,,,,,,,,,,,",
    )
    refused = await chat.send_file(OWNER, "menu.csv", bad)
    text = refused[-1].text or ""
    assert "2개" in text  # two problems, all listed
    assert "row 2 (fried).price: 1 이상의 정수여야 해요" in text
    assert "<b>x</b>" in text  # shown as written, not as markup
    assert not refused[-1].buttons()

    preview = await chat.send_file(OWNER, "menu.csv", GOOD_CSV)
    text = preview[-1].text or ""
    assert "마늘치킨" in text
    assert "20,000원 → 19,000원" in text
    assert chat.buttons(OWNER) == ["✅ 적용", "✖ 취소"]
    done = await chat.press(OWNER, "✅ 적용")
    assert "한빛치킨" in (done[-1].text or "")
    async with stack.deps.sessions() as session:
        codes = set(
            await session.scalars(
                select(MenuItem.code).where(MenuItem.active, MenuItem.code.in_(["garlic"]))
            )
        )
    assert codes == {"garlic"}
    # the parser knows the new item at once
    ordered = await chat.send("resident-jiyoung", "한빛치킨 마늘치킨 하나")
    assert any("마늘치킨" in (m.text or "") for m in ordered)
    # the confirmation cannot be replayed
    replay = chat.sandbox.bot_messages(chat.user_id(OWNER))[-1]
    assert not replay.buttons()


async def test_cancel_and_a_residents_file(chat: ChatClient) -> None:
    await chat.send_file(OWNER, "menu.csv", GOOD_CSV)
    cancelled = await chat.press(OWNER, "✖ 취소")
    assert "바뀐 것은 없어요" in (cancelled[-1].text or "")
    reply = await chat.send_file("resident-alex", "photo.csv", b"a,b\n")
    assert "cannot read files" in (reply[-1].text or "")


async def test_a_one_item_file_in_english(chat: ChatClient) -> None:
    await chat.send(OWNER, "/start")
    await chat.press(OWNER, "English")
    preview = await chat.send_file(
        OWNER, "menu.csv", csv_file("fried,후라이드치킨,Fried Chicken,19000,,,,,,,,,,,")
    )
    assert "Hanbit Chicken: 1 item, all checked." in (preview[-1].text or "")
