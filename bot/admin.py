"""Administrative commands behind the CLI: import a menu pack, migrate the database."""

import logging
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.services import menu_pack
from bot.services.errors import InvalidMenuPack
from models import db

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
