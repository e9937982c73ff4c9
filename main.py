"""gongbae command line: run the bot, import menus, manage the database, parse text."""

import argparse
import asyncio
import os
import sys
from pathlib import Path

os.environ.setdefault("PTB_TIMEDELTA", "1")  # opt in to PTB 23's timedelta retry_after

from bot import logs
from bot.config import SettingsError, load_settings

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python main.py",
        description="gongbae (공배): chat ordering for municipal public delivery.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run", help="run the bot (no TELEGRAM_BOT_TOKEN: local sandbox with demo data)"
    )
    run.add_argument("--port", type=int, help="web port (default WEB_PORT, 8080)")
    imp = commands.add_parser("import-menu", help="import a menu pack (JSON) in one transaction")
    imp.add_argument("file", type=Path)
    dbp = commands.add_parser("db", help="database migrations")
    dbp.add_argument("action", choices=["upgrade", "downgrade", "current"])
    dbp.add_argument("revision", nargs="?", help="target revision (default head / base)")
    merchant = commands.add_parser("merchant", help="shop owners: invite links")
    merchant_commands = merchant.add_subparsers(dest="merchant_command", required=True)
    invite = merchant_commands.add_parser("invite", help="print a deep link that links a shop")
    invite.add_argument("shop_code")
    staff = commands.add_parser("staff", help="municipal staff accounts")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_commands.add_parser("add", help="give a Telegram account the staff role")
    add.add_argument("telegram_id", type=int)
    coupon = commands.add_parser("coupon", help="city-funded coupons")
    coupon_commands = coupon.add_subparsers(dest="coupon_command", required=True)
    create = coupon_commands.add_parser("create", help="create a coupon claimed by code")
    create.add_argument("--code", required=True, help="what residents type: /coupon CODE")
    create.add_argument("--name", required=True, help="Korean name shown to residents")
    create.add_argument("--name-en", help="English name (default: the Korean one)")
    create.add_argument("--won", type=int, help="fixed discount in won")
    create.add_argument("--percent", type=int, help="percent off the items")
    create.add_argument("--max", type=int, help="cap of a percent discount, in won")
    create.add_argument("--min-order", type=int, default=0, help="minimum items total")
    create.add_argument("--budget", type=int, required=True, help="total won the city funds")
    create.add_argument("--days", type=int, default=30, help="valid for this many days")
    create.add_argument("--per-user", type=int, default=1, help="claims per resident")
    commands.add_parser(
        "parse", help="parse order text against a menu pack (see: parse --help)", add_help=False
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; errors are one clear line on stderr and exit status 2."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["parse"]:
        from bot.nlu.cli import run_cli

        return run_cli(argv[1:])
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as err:
        print(err, file=sys.stderr)
        return EXIT_USAGE
    logs.configure(settings.log_level, settings.log_format)
    command = args.command or "run"
    try:
        if command == "run":
            from bot import runner

            if args.port is not None:
                settings = settings.model_copy(update={"web_port": args.port})
            asyncio.run(runner.serve(settings))
            return 0
        from bot import admin

        if command == "import-menu":
            return asyncio.run(admin.import_menu(settings, args.file))
        if command == "staff":
            return asyncio.run(admin.staff_add(settings, args.telegram_id))
        if command == "coupon":
            return asyncio.run(admin.coupon_create(settings, args))
        if command == "merchant":
            return asyncio.run(admin.merchant_invite(settings, args.shop_code))
        return asyncio.run(admin.database(settings, args.action, args.revision))
    except KeyboardInterrupt:
        return 0
    except admin_errors() as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE


def admin_errors() -> tuple[type[BaseException], ...]:
    """Failures that deserve one line, not a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.admin import CommandError
    from bot.services.errors import ServiceError

    return (CommandError, OSError, SQLAlchemyError, ServiceError)


if __name__ == "__main__":
    sys.exit(main())
