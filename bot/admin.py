"""Administrative commands behind the CLI: import a menu pack, migrate the database."""

import logging
import sys
from argparse import Namespace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot
from telegram.error import TelegramError

from bot.config import SANDBOX_BOT_USERNAME, Settings
from bot.services import coupons, menu_pack, merchants, users
from bot.services.errors import InvalidMenuPack, NotFound
from models import db
from models.base import CouponKind

logger = logging.getLogger(__name__)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")


class CommandError(Exception):
    """A command failed for a reason the operator can fix; the message says which."""


async def import_menu(settings: Settings, path: Path) -> int:
    """Validate and import a pack; print every problem and write nothing when it is bad."""
    try:
        pack = menu_pack.load_file(path)
    except InvalidMenuPack as err:
        _say(f"{path}: refused, nothing was written ({len(err.problems)} problems):")
        for problem in err.problems:
            _say(f"  {problem}")
        return 1
    engine = db.create_engine(settings.database_url)
    try:
        await db.upgrade(engine)
        async with db.session_factory(engine).begin() as session:
            report = await menu_pack.import_pack(session, pack)
    except (SQLAlchemyError, OSError) as err:
        raise CommandError(f"database {settings.database_url.split('@')[-1]}: {err}") from None
    finally:
        await engine.dispose()
    if not report.changed:
        _say(f"{path}: already up to date, nothing changed")
        return 0
    created = ", ".join(f"{n} {kind}" for kind, n in report.created.items()) or "nothing"
    updated = ", ".join(f"{n} {kind}" for kind, n in report.updated.items()) or "nothing"
    _say(
        f"{path}: imported. created {created}; updated {updated}; "
        f"{report.deactivated} items hidden; {report.removed} options removed"
    )
    return 0


async def database(settings: Settings, action: str, revision: str | None) -> int:
    """Upgrade, downgrade or show the schema revision."""
    engine = db.create_engine(settings.database_url)
    try:
        if action == "upgrade":
            await db.upgrade(engine, revision or "head")
        elif action == "downgrade":
            await db.downgrade(engine, revision or "base")
        current = await db.current_revision(engine)
    except (SQLAlchemyError, OSError) as err:
        raise CommandError(f"database: {err}") from None
    finally:
        await engine.dispose()
    _say(f"database at revision {current or '(empty)'}; head is {db.head_revision()}")
    return 0


async def merchant_invite(settings: Settings, merchant_code: str) -> int:
    """Print a single-use deep link that links an owner's Telegram account to a shop."""
    engine = db.create_engine(settings.database_url)
    try:
        await db.upgrade(engine)
        async with db.session_factory(engine).begin() as session:
            code = await merchants.create_invite(
                session, merchant_code=merchant_code, now=datetime.now(UTC)
            )
    except NotFound:
        raise CommandError(f"no shop with code {merchant_code!r}") from None
    except (SQLAlchemyError, OSError) as err:
        raise CommandError(f"database: {err}") from None
    finally:
        await engine.dispose()
    username = await _bot_username(settings)
    hours = int(merchants.INVITE_TTL.total_seconds() // 3600)
    _say(f"https://t.me/{username}?start={code}")
    _say(f"(single use, valid for {hours} hours; the owner opens it and presses Start)")
    return 0


async def _bot_username(settings: Settings) -> str:
    """The bot's username: the sandbox's, or asked of the Bot API."""
    if settings.telegram_bot_token is None:
        return SANDBOX_BOT_USERNAME
    base = f"{settings.telegram_api_base_url}/bot" if settings.telegram_api_base_url else None
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(), **({"base_url": base} if base else {})
    )
    try:
        async with bot:
            return bot.username
    except TelegramError as err:
        raise CommandError(f"could not ask Telegram for the bot's name: {err}") from None


async def coupon_create(settings: Settings, args: Namespace) -> int:
    """Create a city-funded coupon that residents claim with /coupon CODE."""
    if (args.won is None) == (args.percent is None):
        raise CommandError("give exactly one of --won or --percent")
    now = datetime.now(UTC)
    engine = db.create_engine(settings.database_url)
    try:
        await db.upgrade(engine)
        async with db.session_factory(engine).begin() as session:
            coupon_id = await coupons.create(
                session,
                code=args.code,
                name=args.name,
                name_en=args.name_en or args.name,
                kind=CouponKind.FIXED if args.won is not None else CouponKind.PERCENT,
                value=args.won if args.won is not None else args.percent,
                max_discount=args.max,
                min_order=args.min_order,
                budget=args.budget,
                valid_from=now,
                valid_to=now + timedelta(days=args.days),
                per_user_limit=args.per_user,
            )
    except NotFound:
        raise CommandError("no region yet: import a menu pack first") from None
    except (SQLAlchemyError, OSError) as err:
        raise CommandError(f"database: {err}") from None
    finally:
        await engine.dispose()
    _say(f"coupon {coupon_id} created: residents claim it with /coupon {args.code.upper()}")
    return 0


async def staff_add(settings: Settings, telegram_id: int) -> int:
    """Give a Telegram account the municipal staff role."""
    engine = db.create_engine(settings.database_url)
    try:
        await db.upgrade(engine)
        async with db.session_factory(engine).begin() as session:
            await users.make_staff(session, telegram_id=telegram_id)
    except (SQLAlchemyError, OSError) as err:
        raise CommandError(f"database: {err}") from None
    finally:
        await engine.dispose()
    _say(f"Telegram account {telegram_id} is now municipal staff")
    return 0
