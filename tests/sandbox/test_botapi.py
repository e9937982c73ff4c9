"""The Bot API emulator driven by a real python-telegram-bot Bot over loopback."""

import httpx
import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter

from bot.sandbox import Limits
from tests.sandbox.conftest import EN_USER, KO_USER, Served, make_sandbox, serve

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x03\x08\x02\x00\x00\x00"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d)] for d in data])


async def test_get_me_and_bad_token(served: Served) -> None:
    async with served.bot() as bot:
        assert bot.username == "gongbae_sandbox_bot"
    with pytest.raises(InvalidToken):
        async with served.bot("999:WRONG"):
            pass


async def test_send_and_edit_message(served: Served) -> None:
    sandbox = served.sandbox
    async with served.bot() as bot:
        first = await bot.send_message(
            KO_USER,
            "<b>주문</b> &amp; <i>결제</i>",
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard("oa:1:20"),
        )
        second = await bot.send_message(KO_USER, "two")
        assert (first.message_id, second.message_id) == (1, 2)
        assert first.text == "주문 & 결제"
        assert first.from_user is not None
        assert first.from_user.is_bot
        record = sandbox.last_bot_message(KO_USER)
        assert record is not None
        assert record.text == "two"
        assert sandbox.messages(KO_USER)[0].html == "<b>주문</b> &amp; <i>결제</i>"

        edited = await bot.edit_message_text(
            "<b>주문</b> 접수",
            KO_USER,
            first.message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard("x"),
        )
        assert edited.edit_date is not None
        assert sandbox.messages(KO_USER)[0].edited
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_text(
                "<b>주문</b> 접수",
                KO_USER,
                first.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard("x"),
            )
        await bot.edit_message_reply_markup(KO_USER, first.message_id, reply_markup=None)
        assert sandbox.messages(KO_USER)[0].reply_markup is None
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("x", KO_USER, 99)
        assert await bot.delete_message(KO_USER, second.message_id)
        assert sandbox.messages(KO_USER)[1].deleted
        with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
            await bot.delete_message(KO_USER, second.message_id)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        (
            {"text": "1 < 2", "parse_mode": ParseMode.HTML},
            r"(?i)can't parse entities: Unsupported start tag",
        ),
        (
            {"text": "<b>x", "parse_mode": ParseMode.HTML},
            r"(?i)can't parse entities: Can't find end tag",
        ),
        ({"text": "x" * 4097}, r"(?i)message is too long"),
        ({"text": "   "}, r"(?i)message text is empty"),
        ({"text": "x", "reply_markup": keyboard("가" * 22)}, r"(?i)BUTTON_DATA_INVALID"),
        ({"text": "x", "chat_id": 424242}, r"(?i)chat not found"),
    ],
    ids=["lt", "unclosed", "too-long", "empty", "65-bytes", "unknown-chat"],
)
async def test_send_message_errors(served: Served, kwargs: dict[str, object], error: str) -> None:
    async with served.bot() as bot:
        with pytest.raises(BadRequest, match=error):
            await bot.send_message(**{"chat_id": KO_USER, **kwargs})  # type: ignore[arg-type]
    assert served.sandbox.messages(KO_USER) == []


async def test_limits_of_text_and_callback_data(served: Served) -> None:
    async with served.bot() as bot:
        await bot.send_message(KO_USER, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
        await bot.send_message(KO_USER, "x", reply_markup=keyboard("a" * 64))
        await bot.send_message(
            KO_USER,
            "x",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("site", url="https://example.org")]]
            ),
        )


async def test_raw_form_and_json_bodies(served: Served) -> None:
    url = f"{served.api}{served.sandbox.token}"
    async with httpx.AsyncClient() as client:
        form = await client.post(
            f"{url}/sendMessage", data={"chat_id": str(KO_USER), "text": "123"}
        )
        body = await client.post(f"{url}/sendMessage", json={"chat_id": KO_USER, "text": "json"})
        missing = await client.post(f"{url}/noSuchMethod")
        lone = await client.post(
            f"{url}/sendMessage",
            content=b'{"chat_id": %d, "text": "a\\ud83d"}' % KO_USER,
            headers={"content-type": "application/json"},
        )
    assert lone.status_code == 400  # a lone surrogate, as the Bot API answers it
    assert lone.json()["description"] == "Bad Request: text must be encoded in UTF-8"
    assert form.json()["result"]["text"] == "123"
    assert body.json()["result"]["message_id"] == 2
    assert missing.status_code == 404
    assert missing.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_reply_keyboard_is_stored_per_chat(served: Served) -> None:
    sandbox = served.sandbox
    async with served.bot() as bot:
        await bot.send_message(
            KO_USER,
            "연락처를 보내 주세요",
            reply_markup=ReplyKeyboardMarkup(
                [[KeyboardButton("📞 연락처", request_contact=True)], ["취소"]],
                resize_keyboard=True,
                one_time_keyboard=True,
            ),
        )
        shown = sandbox.reply_keyboard(KO_USER)
        assert shown is not None
        assert shown["keyboard"][0][0]["request_contact"] is True
        assert sandbox.reply_keyboard(EN_USER) is None
        sandbox.send_contact(KO_USER, "+82 10-1234-5678")
        assert sandbox.reply_keyboard(KO_USER) is None  # one-time keyboard hides after use
        await bot.send_message(KO_USER, "again", reply_markup=ReplyKeyboardMarkup([["a"]]))
        await bot.send_message(KO_USER, "gone", reply_markup=ReplyKeyboardRemove())
        assert sandbox.reply_keyboard(KO_USER) is None


async def test_answer_callback_query_once(served: Served) -> None:
    sandbox = served.sandbox
    async with served.bot() as bot:
        sent = await bot.send_message(KO_USER, "pick", reply_markup=keyboard("yes", "no"))
        update = sandbox.press_button(KO_USER, "yes")
        query_id = update["callback_query"]["id"]
        assert update["callback_query"]["message"]["message_id"] == sent.message_id
        assert await bot.answer_callback_query(query_id, "접수했어요", show_alert=True)
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await bot.answer_callback_query(query_id)
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await bot.answer_callback_query("123")
    [answer] = sandbox.callback_answers
    assert (answer.text, answer.show_alert, answer.data) == ("접수했어요", True, "yes")


async def test_photo_upload_and_file_download(served: Served) -> None:
    sandbox = served.sandbox
    async with served.bot() as bot:
        sent = await bot.send_photo(KO_USER, PNG, caption="<i>메뉴</i>", parse_mode=ParseMode.HTML)
        assert sent.caption == "메뉴"
        assert (sent.photo[-1].width, sent.photo[-1].height) == (2, 3)
        again = await bot.send_photo(EN_USER, sent.photo[-1].file_id)
        assert again.photo[-1].file_id == sent.photo[-1].file_id
        with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
            await bot.send_photo(KO_USER, PNG, caption="x" * 1025)
        with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
            await bot.send_photo(KO_USER, "nonsense")

        update = sandbox.send_document(KO_USER, "menu.csv", "이름,가격\n".encode())
        document = update["message"]["document"]
        file = await bot.get_file(document["file_id"])
        assert bytes(await file.download_as_bytearray()) == "이름,가격\n".encode()
    record = sandbox.messages(KO_USER)[0]
    assert record.photo is not None
    assert record.photo.data == PNG


async def test_blocked_user_is_forbidden(served: Served) -> None:
    served.sandbox.block(KO_USER)
    async with served.bot() as bot:
        with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
            await bot.send_message(KO_USER, "hi")
        served.sandbox.unblock(KO_USER)
        await bot.send_message(KO_USER, "hi")


async def test_flood_limits_answer_429(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # PTB 22 warns on retry_after as int otherwise
    now = [1000.0]
    sandbox = make_sandbox(
        limits=Limits(chat_rate=1.0, chat_burst=4, bot_rate=30, bot_burst=6), clock=lambda: now[0]
    )
    async with serve(sandbox) as served, served.bot() as bot:
        for _ in range(4):
            await bot.send_message(KO_USER, "burst")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(KO_USER, "one too many")
        assert caught.value.retry_after.total_seconds() == 1
        await bot.send_message(EN_USER, "other chat")
        await bot.send_message(EN_USER, "other chat")
        with pytest.raises(RetryAfter):  # the bot-wide bucket (6) is empty now
            await bot.send_message(EN_USER, "bot-wide")
        now[0] += 1.0
        await bot.send_message(KO_USER, "after a second")


async def test_commands(served: Served) -> None:
    async with served.bot() as bot:
        await bot.set_my_commands([("start", "시작"), ("cart", "장바구니")], language_code="ko")
        assert [c.command for c in await bot.get_my_commands(language_code="ko")] == [
            "start",
            "cart",
        ]
        assert await bot.get_my_commands() == ()
        assert [c["command"] for c in served.sandbox.bot_commands("ko")] == ["start", "cart"]
        await bot.delete_my_commands(language_code="ko")
        assert await bot.get_my_commands(language_code="ko") == ()
        with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
            await bot.set_my_commands([("Bad-Name", "x")])
        assert await bot.send_chat_action(KO_USER, "typing")
        assert served.sandbox.chats[KO_USER].action == "typing"
