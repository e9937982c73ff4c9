"""A shop owner sends a menu file (JSON pack or CSV): checked, previewed, applied on confirm.

Between the preview and the confirmation the bot keeps only the file's Telegram file_id
and fingerprint with the owner (users.expect); the confirmation downloads it again and
applies exactly the file that was previewed.
"""

from html import escape

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.i18n import Translator
from bot.services import menu_pack, menu_upload, users
from bot.services.errors import InvalidMenuPack, NotAllowed
from handlers import callbacks as cb
from handlers.context import Ctx
from handlers.render import Keyboard

MAX_LISTED = 12


def problem_line(problem: str, tr: Translator) -> str:
    """One problem, "where: why", with a known reason in the reader's language."""
    where, sep, why = problem.partition(": ")
    if sep and why in menu_pack.REASONS:
        return f"{where}: {tr(why)}"
    return problem


def problems_text(problems: list[str], tr: Translator) -> str:
    """Every problem of a refused file (the first ones, and how many more)."""
    rows = [
        tr.plural(
            "❌ The menu file has {n} problem; nothing was changed:",
            "❌ The menu file has {n} problems; nothing was changed:",
            len(problems),
        )
    ]
    rows += [f"• {escape(problem_line(p, tr))}" for p in problems[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        rows.append(tr("… and {n} more.", n=len(problems) - MAX_LISTED))
    rows.append(tr("Fix the file and send it again."))
    return "\n".join(rows)


def preview_text(found: menu_upload.Preview, tr: Translator) -> str:
    """What the file would change, item by item (the first few of each kind)."""

    def names(pairs: list[tuple[str, str]]) -> str:
        listed = ", ".join(escape(tr.pick(ko, en)) for ko, en in pairs[:MAX_LISTED])
        return listed + (" …" if len(pairs) > MAX_LISTED else "")

    shop = escape(tr.pick(found.name, found.name_en))
    rows = [
        tr.plural(
            "📄 Menu file for {shop}: {count} item, all checked.",
            "📄 Menu file for {shop}: {count} items, all checked.",
            found.items,
            shop=shop,
            count=tr.number(found.items),
        )
    ]
    if not found.changed:
        rows.append(tr("It matches your menu: there is nothing to change."))
        return "\n".join(rows)
    if found.added:
        rows.append(tr("➕ New ({n}): {names}", n=len(found.added), names=names(found.added)))
    if found.removed:
        rows.append(
            tr(
                "➖ Taken off the menu ({n}): {names}",
                n=len(found.removed),
                names=names(found.removed),
            )
        )
    if found.repriced:
        rows.append(tr("💰 New prices ({n}):", n=len(found.repriced)))
        for ko, en, old, new in found.repriced[:MAX_LISTED]:
            rows.append(f"  {escape(tr.pick(ko, en))}: {tr.money(old)} → {tr.money(new)}")
    if found.edited:
        rows.append(
            tr(
                "✏️ Names, options or descriptions ({n}): {names}",
                n=len(found.edited),
                names=names(found.edited),
            )
        )
    rows += ["", tr("Apply these changes to your menu?")]
    return "\n".join(rows)


async def received(update: Update, context: Ctx) -> None:
    """A document in a private chat: a shop's menu file, or a polite word for anyone else."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.document is None:
        return
    tr = await context.translator_for(user)
    document = message.document
    name = document.file_name or "menu"
    if document.file_size and document.file_size > menu_upload.MAX_BYTES:
        await message.reply_text(
            problems_text(
                [f"file: {document.file_size:,} bytes; at most {menu_upload.MAX_BYTES:,}"], tr
            )
        )
        return
    async with context.deps.reads() as session:
        try:
            await menu_upload.shop_of(session, user.id, name)
        except NotAllowed:
            await message.reply_text(
                tr(
                    "I cannot read files here. To order, just write what you would like, "
                    "or browse the shops with /start."
                )
            )
            return
        except InvalidMenuPack:
            pass  # reported with the file's other problems below
    data = bytes(await (await document.get_file()).download_as_bytearray())
    try:
        async with context.deps.reads() as session:
            merchant, pack = await menu_upload.read(
                session, telegram_id=user.id, filename=name, data=data
            )
            found = await menu_upload.preview(session, merchant, pack)
    except InvalidMenuPack as err:
        await message.reply_text(problems_text(err.problems, tr))
        return
    kb = Keyboard(context.deps.signer, message.chat_id)
    if found.changed:
        async with context.deps.sessions.begin() as session:
            owner = await users.get(session, user.id)
            users.expect(
                owner,
                menu_upload.AWAIT_CONFIRM,
                {"file_id": document.file_id, "name": name, "digest": menu_upload.digest(data)},
            )
        mark = menu_upload.digest(data)[:8]
        kb.row((tr("✅ Apply"), cb.MenuFile(1, mark)), (tr("✖ Cancel"), cb.MenuFile(0, mark)))
    await message.reply_text(preview_text(found, tr), reply_markup=kb.markup())


async def confirm(update: Update, context: Ctx) -> None:
    """✅ Apply or ✖ Cancel under a preview."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    message = query.message
    action = cb.MenuFile.unpack(query.data or "", context.deps.signer, message.chat_id)
    tr = await context.translator_for(user)
    expired = tr("This preview has expired. Please send the file again.")
    async with context.deps.reads() as session:
        awaiting, data = await users.expected(session, user.id)
    if awaiting != menu_upload.AWAIT_CONFIRM or not str(data.get("digest", "")).startswith(
        action.file
    ):
        await query.answer(expired, show_alert=True)
        await query.edit_message_reply_markup(None)
        return
    if not action.apply:
        async with context.deps.sessions.begin() as session:
            users.forget(await users.get(session, user.id))
        await query.answer()
        await message.edit_text(tr("Nothing was changed."))
        return
    file = await context.bot.get_file(str(data["file_id"]))
    content = bytes(await file.download_as_bytearray())
    if menu_upload.digest(content) != data.get("digest"):
        await query.answer(expired, show_alert=True)
        return
    try:
        async with context.deps.sessions.begin() as session:
            merchant, pack = await menu_upload.read(
                session, telegram_id=user.id, filename=str(data["name"]), data=content
            )
            await menu_upload.apply(session, merchant, pack)
            users.forget(await users.get(session, user.id))
            name = tr.pick(merchant.name, merchant.name_en)
    except (InvalidMenuPack, NotAllowed):
        await query.answer(expired, show_alert=True)
        return
    await context.deps.load_menu_index()  # the parser learns the new menu
    await query.answer(tr("Menu updated."))
    await message.edit_text(
        tr("✅ The menu of {shop} is updated. Residents see it now.", shop=escape(name))
    )


HANDLERS = [
    MessageHandler(filters.Document.ALL & filters.ChatType.PRIVATE, received),
    CallbackQueryHandler(confirm, pattern=cb.MenuFile.pattern()),
]
