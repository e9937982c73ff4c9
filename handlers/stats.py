"""/stats for municipal staff and /sales for shops: figures for a period, as CSV or a chart."""

import asyncio
from datetime import timedelta
from html import escape
from typing import TYPE_CHECKING

from telegram import CallbackQuery, Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.i18n import Translator
from bot.services import stats, users
from handlers import callbacks as cb
from handlers.context import Ctx
from handlers.render import Keyboard, category_name

if TYPE_CHECKING:
    from bot.services import stats_chart

DEFAULT_DAYS = 7
MAX_DAYS = 366


def period_days(args: list[str] | None) -> int:
    """The number of days asked for (/stats 30), within sensible bounds."""
    if args and args[0].isdigit():
        return max(1, min(int(args[0]), MAX_DAYS))
    return DEFAULT_DAYS


def figures_text(result: stats.Figures, tr: Translator, title: str) -> str:
    """The figures as a short report."""
    rows = [
        f"<b>{escape(title)}</b>",
        tr("{start} to {end}", start=result.start.isoformat(), end=result.end.isoformat()),
        "",
        tr("Orders: {n}", n=tr.number(result.orders)),
        tr("Sales: {amount}", amount=tr.money(result.sales)),
        tr("Average order: {amount}", amount=tr.money(result.average_order)),
        tr("Active shops: {n}", n=result.active_shops),
        tr("Repeat rate: {percent}%", percent=f"{result.repeat_rate * 100:.1f}"),
        tr("Fees saved against a private app: {amount}", amount=tr.money(result.fees_saved)),
    ]
    if result.by_category:
        rows += ["", tr("<b>By category</b>")]
        for cat in result.by_category:
            name = category_name(cat.category, tr)
            rows.append(f"{name}: {tr.number(cat.orders)} · {tr.money(cat.sales)}")
    busy = [day for day in result.by_day if day.orders]
    if busy:
        rows += ["", tr("<b>By day</b>")]
        for day in busy[-14:]:
            rows.append(
                f"{day.day.strftime('%m/%d')}: {tr.number(day.orders)} · {tr.money(day.sales)}"
            )
    return "\n".join(rows)


async def _figures(context: Ctx, days: int, merchant_ids: list[int] | None) -> stats.Figures:
    end = context.deps.now().date()
    async with context.deps.reads() as session:
        return await stats.figures(
            session,
            start=end - timedelta(days=days - 1),
            end=end,
            tz=context.deps.settings.tz,
            commission_percent=context.deps.settings.private_app_commission_percent,
            merchant_ids=merchant_ids,
        )


async def city_stats(update: Update, context: Ctx) -> None:
    """/stats [days]: the region's figures, for staff only."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    async with context.deps.reads() as session:
        tr = await context.translator_for(user, session)
        role = await users.role_of(session, user.id)
    if role != "staff":
        await message.reply_text(tr("This command is for the city's staff."))
        return
    days = period_days(context.args)
    result = await _figures(context, days, None)
    kb = Keyboard(context.deps.signer, message.chat_id).row(
        (tr("📄 CSV"), cb.StatsCsv(days, "city")),
        (tr("📈 Chart"), cb.StatsChart(days, "city")),
    )
    await message.reply_text(
        figures_text(result, tr, tr("gongbae statistics")), reply_markup=kb.markup()
    )


async def shop_sales(update: Update, context: Ctx) -> None:
    """/sales [days]: the figures of the shops this account runs."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    async with context.deps.reads() as session:
        tr = await context.translator_for(user, session)
        shops = await stats.merchant_ids_of(session, user.id)
    if not shops:
        await message.reply_text(
            tr("This account is not linked to a shop. Ask the city's staff for an invite link.")
        )
        return
    days = period_days(context.args)
    result = await _figures(context, days, shops)
    kb = Keyboard(context.deps.signer, message.chat_id).row(
        (tr("📄 CSV"), cb.StatsCsv(days, "shop")),
        (tr("📈 Chart"), cb.StatsChart(days, "shop")),
    )
    await message.reply_text(figures_text(result, tr, tr("Your sales")), reply_markup=kb.markup())


async def _requested_figures(
    update: Update, context: Ctx, kind: type[cb.StatsCsv] | type[cb.StatsChart]
) -> tuple[CallbackQuery, Message, Translator, cb.StatsCsv | cb.StatsChart, stats.Figures] | None:
    """The figures a CSV or chart button asks for; None (answered) when it may not see them."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return None
    action = kind.unpack(query.data or "", context.deps.signer, query.message.chat_id)
    async with context.deps.reads() as session:
        tr = await context.translator_for(user, session)
        role = await users.role_of(session, user.id)
        shops = await stats.merchant_ids_of(session, user.id)
    if action.scope == "city" and role != "staff":
        await query.answer(tr("This command is for the city's staff."), show_alert=True)
        return None
    result = await _figures(
        context, max(1, min(action.days, MAX_DAYS)), None if action.scope == "city" else shops
    )
    return query, query.message, tr, action, result


async def export_csv(update: Update, context: Ctx) -> None:
    """Send the figures as a CSV file."""
    requested = await _requested_figures(update, context, cb.StatsCsv)
    if requested is None:
        return
    query, message, _tr, action, result = requested
    await query.answer()
    name = f"gongbae-{action.scope}-{result.start.isoformat()}-{result.end.isoformat()}.csv"
    await message.reply_document(stats.to_csv(result), filename=name)


def chart_labels(result: stats.Figures, tr: Translator, scope: str) -> "stats_chart.ChartLabels":
    """The chart's words in the user's language."""
    from bot.services import stats_chart  # matplotlib (~86 MB) loads when a chart is asked for

    title = tr("gongbae statistics") if scope == "city" else tr("Your sales")
    period = tr("{start} to {end}", start=result.start.isoformat(), end=result.end.isoformat())
    return stats_chart.ChartLabels(
        title=f"{title}\n{period}",
        sales=tr("Sales (won)"),
        orders=tr("Orders"),
        empty=tr("No orders in this period"),
    )


async def export_chart(update: Update, context: Ctx) -> None:
    """Send the figures as a PNG chart: sales per day as bars, orders per day as a line."""
    requested = await _requested_figures(update, context, cb.StatsChart)
    if requested is None:
        return
    query, message, tr, action, result = requested
    await query.answer()
    labels = chart_labels(result, tr, action.scope)
    from bot.services import stats_chart

    png = await asyncio.to_thread(stats_chart.render_png, result, labels)
    await message.reply_photo(png, caption=escape(labels.title.replace("\n", " · ")))


HANDLERS = [
    CommandHandler("stats", city_stats),
    CommandHandler("sales", shop_sales),
    CallbackQueryHandler(export_csv, pattern=cb.StatsCsv.pattern()),
    CallbackQueryHandler(export_chart, pattern=cb.StatsChart.pattern()),
]
