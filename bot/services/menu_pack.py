"""Validate a menu pack (DESIGN.md "Formats") and upsert it by code in one transaction."""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.i18n import N_
from bot.services.errors import InvalidMenuPack
from models.base import TimestampMixin, utcnow
from models.region import MenuItem, Merchant, OptionChoice, OptionGroup, Region

IMPORT_BATCH = 100  # merchants upserted and flushed at a time
MENU_ROWS = (Merchant, MenuItem, OptionGroup, OptionChoice)
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
HOURS_RE = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")

Check = Callable[[Any], str | None]

# The fixed reasons a problem gives after "path: ", marked for translation: the chat shows
# them in the reader's language (paths and codes stay as they are in the file).
REASONS = frozenset(
    {
        N_("must be a code of lowercase letters, digits and '-' (at most 64)"),
        N_("must be a non-empty string"),
        N_("must be at most 255 characters"),
        N_("must be a string"),
        N_("must be a positive integer"),
        N_("must be an integer of 0 or more"),
        N_("must be a list of non-empty strings"),
        N_("must look like 11:00-24:00"),
        N_("must be an object"),
        N_("is required"),
        N_("unknown field"),
        N_("must be a non-empty list"),
        N_("must be a list"),
        N_("must not be greater than max"),
        N_("must not exceed the number of choices"),
        N_("item_code is required"),
        N_("CSV must be saved as UTF-8"),
        N_("send the menu as a .json or .csv file"),
        N_("the file holds no shop"),
        N_("must be a menu pack or one shop's object"),
    }
)


def _code(value: Any) -> str | None:
    if not isinstance(value, str) or not CODE_RE.match(value):
        return "must be a code of lowercase letters, digits and '-' (at most 64)"
    return None


def _text(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "must be a non-empty string"
    if len(value) > 255:
        return "must be at most 255 characters"
    return None


def _optional_text(value: Any, limit: int = 2000) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        return "must be a string"
    return None if len(value) <= limit else f"must be at most {limit} characters"


def _category(value: Any) -> str | None:
    """A shop category: a code short enough for the category buttons' callback_data."""
    if (reason := _code(value)) is not None:
        return reason
    return None if len(value) <= 32 else "must be at most 32 characters"


def _positive_int(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return "must be a positive integer"
    return None


def _non_negative_int(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return "must be an integer of 0 or more"
    return None


def _strings(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return "must be a list of non-empty strings"
    return None


def _bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _hours(value: Any) -> str | None:
    match = HOURS_RE.match(value) if isinstance(value, str) else None
    if match is None:
        return "must look like 11:00-24:00"
    for hour, minute in (match.group(1, 2), match.group(3, 4)):
        if int(hour) == 24 and int(minute) != 0:
            return "must look like 11:00-24:00"
    return None


REGION_FIELDS: dict[str, tuple[Check, bool]] = {
    "code": (_code, True),
    "name": (_text, True),
    "name_en": (_text, True),
    "currency": (_code, True),
}
MERCHANT_FIELDS: dict[str, tuple[Check, bool]] = {
    "code": (_code, True),
    "name": (_text, True),
    "name_en": (_text, True),
    "category": (_category, True),
    "min_order": (_non_negative_int, True),
    "delivery_fee": (_non_negative_int, True),
    "hours": (_hours, True),
    "aliases": (_strings, False),
    "description": (_optional_text, False),
    "description_en": (_optional_text, False),
    "address": (lambda v: _optional_text(v, 255), False),
    "phone": (lambda v: _optional_text(v, 32), False),
    "delivery_areas": (_strings, False),
    "menu": (lambda v: None, True),
}
ITEM_FIELDS: dict[str, tuple[Check, bool]] = {
    "code": (_code, True),
    "name": (_text, True),
    "name_en": (_text, True),
    "price": (_positive_int, True),
    "aliases": (_strings, False),
    "category": (_code, False),
    "description": (_optional_text, False),
    "description_en": (_optional_text, False),
    "popular": (_bool, False),
    "options": (lambda v: None, False),
}
GROUP_FIELDS: dict[str, tuple[Check, bool]] = {
    "code": (_code, True),
    "name": (_text, True),
    "name_en": (_text, True),
    "min": (_non_negative_int, True),
    "max": (_positive_int, True),
    "aliases": (_strings, False),
    "choices": (lambda v: None, True),
}
CHOICE_FIELDS: dict[str, tuple[Check, bool]] = {
    "code": (_code, True),
    "name": (_text, True),
    "name_en": (_text, True),
    "price": (_non_negative_int, False),
    "aliases": (_strings, False),
}


def _check_object(
    obj: Any, path: str, fields: dict[str, tuple[Check, bool]], problems: list[str]
) -> bool:
    """Check one object's fields; False when it is not an object at all."""
    if not isinstance(obj, dict):
        problems.append(f"{path}: must be an object")
        return False
    for name, (check, required) in fields.items():
        if name not in obj:
            if required:
                problems.append(f"{path}.{name}: is required")
            continue
        if (reason := check(obj[name])) is not None:
            problems.append(f"{path}.{name}: {reason}")
    problems.extend(f"{path}.{name}: unknown field" for name in obj if name not in fields)
    return True


def _check_list(value: Any, path: str, problems: list[str]) -> list[Any]:
    """Return the list at `path`, or note that it must be a non-empty list."""
    if not isinstance(value, list) or not value:
        problems.append(f"{path}: must be a non-empty list")
        return []
    return value


def _check_unique(objs: list[Any], path: str, problems: list[str]) -> None:
    seen: set[str] = set()
    for index, obj in enumerate(objs):
        code = obj.get("code") if isinstance(obj, dict) else None
        if isinstance(code, str) and code in seen:
            problems.append(f"{path}[{index}].code: duplicate code {code!r}")
        if isinstance(code, str):
            seen.add(code)


def validate(pack: Any) -> list[str]:
    """List every problem of a pack, each prefixed by its path; empty when it is valid."""
    problems: list[str] = []
    if not isinstance(pack, dict):
        return ["pack: must be a JSON object with region and merchants"]
    problems.extend(f"{key}: unknown field" for key in pack if key not in {"region", "merchants"})
    if "region" not in pack:
        problems.append("region: is required")
    else:
        _check_object(pack["region"], "region", REGION_FIELDS, problems)
    merchants = _check_list(pack.get("merchants"), "merchants", problems)
    _check_unique(merchants, "merchants", problems)
    for m_index, merchant in enumerate(merchants):
        m_path = f"merchants[{m_index}]"
        if not _check_object(merchant, m_path, MERCHANT_FIELDS, problems):
            continue
        items = _check_list(merchant.get("menu"), f"{m_path}.menu", problems)
        _check_unique(items, f"{m_path}.menu", problems)
        for i_index, item in enumerate(items):
            i_path = f"{m_path}.menu[{i_index}]"
            if not _check_object(item, i_path, ITEM_FIELDS, problems):
                continue
            groups = item.get("options", [])
            if not isinstance(groups, list):
                problems.append(f"{i_path}.options: must be a list")
                continue
            _check_unique(groups, f"{i_path}.options", problems)
            for g_index, group in enumerate(groups):
                _validate_group(group, f"{i_path}.options[{g_index}]", problems)
    return problems


def _validate_group(group: Any, path: str, problems: list[str]) -> None:
    if not _check_object(group, path, GROUP_FIELDS, problems):
        return
    choices = _check_list(group.get("choices"), f"{path}.choices", problems)
    _check_unique(choices, f"{path}.choices", problems)
    for c_index, choice in enumerate(choices):
        _check_object(choice, f"{path}.choices[{c_index}]", CHOICE_FIELDS, problems)
    low, high = group.get("min"), group.get("max")
    if all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)):
        if low > high:
            problems.append(f"{path}.min: must not be greater than max")
        elif choices and high > len(choices):
            problems.append(f"{path}.max: must not exceed the number of choices")


def load_file(path: Path) -> dict[str, Any]:
    """Read and validate a pack file; raise InvalidMenuPack listing every problem."""
    try:
        pack = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidMenuPack([f"{path}: no such file"]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InvalidMenuPack([f"{path}: not valid UTF-8 JSON ({err})"]) from None
    if problems := validate(pack):
        raise InvalidMenuPack(problems)
    return pack


@dataclass
class ImportReport:
    """What an import changed, per kind of row."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    deactivated: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        """True when the import wrote anything."""
        return bool(sum(self.created.values()) + sum(self.updated.values())) or bool(
            self.deactivated or self.removed
        )

    def count(self, table: dict[str, int], kind: str) -> None:
        table[kind] = table.get(kind, 0) + 1


def _assign(row: Any, values: dict[str, Any]) -> bool:
    """Set only the attributes that differ, so an identical import writes nothing."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


async def import_pack(session: AsyncSession, pack: dict[str, Any]) -> ImportReport:
    """Upsert a validated pack by code: region, merchants, items, option groups, choices."""
    if problems := validate(pack):
        raise InvalidMenuPack(problems)
    report = ImportReport()
    region_data = pack["region"]
    region = await session.scalar(select(Region).where(Region.code == region_data["code"]))
    region_values = {k: region_data[k] for k in ("name", "name_en", "currency")}
    if region is None:
        region = Region(code=region_data["code"], **region_values)
        session.add(region)
        report.count(report.created, "region")
        await session.flush()
    elif _assign(region, region_values):
        report.count(report.updated, "region")

    region_id = region.id
    merchants = pack["merchants"]
    for start in range(0, len(merchants), IMPORT_BATCH):
        batch = merchants[start : start + IMPORT_BATCH]
        written = await _import_merchants(session, region_id, batch, start, report)
        await _number_new_rows(session)
        await session.flush()
        for merchant in written:  # with their menus: a region is never held all at once
            session.expunge(merchant)
    if report.changed:
        await menu_changed(session, region_id)
    return report


async def _import_merchants(
    session: AsyncSession,
    region_id: int,
    batch: list[dict[str, Any]],
    first_position: int,
    report: ImportReport,
) -> list[Merchant]:
    """Upsert a batch of a pack's merchants, which come at `first_position` in it."""
    existing = {
        m.code: m
        for m in await session.scalars(
            select(Merchant)
            .where(Merchant.region_id == region_id, Merchant.code.in_([d["code"] for d in batch]))
            .options(
                selectinload(Merchant.items)
                .selectinload(MenuItem.option_groups)
                .selectinload(OptionGroup.choices)
            )
        )
    }
    written = []
    for position, data in enumerate(batch, first_position):
        merchant = existing.get(data["code"])
        values = {
            "name": data["name"],
            "name_en": data["name_en"],
            "category": data["category"],
            "min_order": data["min_order"],
            "delivery_fee": data["delivery_fee"],
            "hours": data["hours"],
            "aliases": data.get("aliases", []),
            "description": data.get("description"),
            "description_en": data.get("description_en"),
            "address": data.get("address"),
            "phone": data.get("phone"),
            "delivery_areas": data.get("delivery_areas", []),
            "position": position,
            "active": True,
        }
        if merchant is None:
            merchant = Merchant(region_id=region_id, code=data["code"], items=[], **values)
            session.add(merchant)
            report.count(report.created, "merchant")
        elif _assign(merchant, values):
            report.count(report.updated, "merchant")
        _upsert_items(merchant, data["menu"], report)
        written.append(merchant)
    return written


async def _number_new_rows(session: AsyncSession) -> None:
    """On SQLite, give the rows about to be inserted their ids, as SQLite itself would (one
    past the largest). SQLite cannot tell which new id went to which row of a multi-row
    INSERT, so SQLAlchemy inserts rows it must learn the ids of one statement at a time:
    ~200,000 round trips for 2,250 shops. No one else takes an id meanwhile: write sessions
    begin with BEGIN IMMEDIATE (models/db.py), so this transaction holds SQLite's write lock
    from its first statement."""
    if session.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL returns the ids of a multi-row INSERT in order
    new: dict[type, list[Any]] = {}
    with session.no_autoflush:  # numbered before anything is written
        for row in session.new:
            if isinstance(row, MENU_ROWS) and row.id is None:
                new.setdefault(type(row), []).append(row)
        for model, rows in new.items():
            largest = await session.scalar(select(func.max(model.id)))
            for number, row in enumerate(rows, (largest or 0) + 1):
                row.id = number
                if isinstance(row, TimestampMixin):  # else fetched back: one row at a time
                    row.created_at = row.updated_at = utcnow()


async def menu_changed(session: AsyncSession, region_id: int) -> None:
    """Mark the region's menus as changed: every instance rebuilds its parser index."""
    await session.execute(update(Region).where(Region.id == region_id).values(updated_at=utcnow()))


async def with_menu(session: AsyncSession, merchant_id: int) -> Merchant:
    """A shop with its items, option groups and choices loaded."""
    found = await session.scalar(
        select(Merchant)
        .where(Merchant.id == merchant_id)
        .options(
            selectinload(Merchant.items)
            .selectinload(MenuItem.option_groups)
            .selectinload(OptionGroup.choices)
        )
    )
    if found is None:
        raise InvalidMenuPack([f"merchant {merchant_id}: no such shop"])
    return found


async def import_menu(
    session: AsyncSession, merchant_id: int, menu: list[dict[str, Any]]
) -> ImportReport:
    """Upsert one shop's menu (validated by the caller) by code; the shop's own fields, its
    place in the list and whether it is listed stay as they are."""
    report = ImportReport()
    merchant = await with_menu(session, merchant_id)
    _upsert_items(merchant, menu, report)
    await session.flush()
    if report.changed:
        await menu_changed(session, merchant.region_id)
    return report


def _upsert_items(merchant: Merchant, menu: list[dict[str, Any]], report: ImportReport) -> None:
    by_code = {item.code: item for item in merchant.items}
    for position, data in enumerate(menu):
        item = by_code.pop(data["code"], None)
        values = {
            "name": data["name"],
            "name_en": data["name_en"],
            "price": data["price"],
            "aliases": data.get("aliases", []),
            "category": data.get("category"),
            "description": data.get("description"),
            "description_en": data.get("description_en"),
            "popular": data.get("popular", False),
            "position": position,
            "active": True,
        }
        if item is None:
            item = MenuItem(code=data["code"], option_groups=[], **values)
            merchant.items.append(item)
            report.count(report.created, "item")
        elif _assign(item, values):
            report.count(report.updated, "item")
        _upsert_groups(item, data.get("options", []), report)
    for item in by_code.values():  # gone from the pack: kept for order history, hidden
        if item.active:
            item.active = False
            report.deactivated += 1


def _upsert_groups(item: MenuItem, groups: list[dict[str, Any]], report: ImportReport) -> None:
    by_code = {group.code: group for group in item.option_groups}
    for position, data in enumerate(groups):
        group = by_code.pop(data["code"], None)
        values = {
            "name": data["name"],
            "name_en": data["name_en"],
            "min_select": data["min"],
            "max_select": data["max"],
            "position": position,
        }
        if group is None:
            group = OptionGroup(code=data["code"], choices=[], **values)
            item.option_groups.append(group)
            report.count(report.created, "option_group")
        elif _assign(group, values):
            report.count(report.updated, "option_group")
        choices = {choice.code: choice for choice in group.choices}
        for c_position, c_data in enumerate(data["choices"]):
            choice = choices.pop(c_data["code"], None)
            c_values = {
                "name": c_data["name"],
                "name_en": c_data["name_en"],
                "price": c_data.get("price", 0),
                "aliases": c_data.get("aliases", []),
                "position": c_position,
            }
            if choice is None:
                group.choices.append(OptionChoice(code=c_data["code"], **c_values))
                report.count(report.created, "choice")
            elif _assign(choice, c_values):
                report.count(report.updated, "choice")
        for choice in choices.values():
            group.choices.remove(choice)
            report.removed += 1
    for group in by_code.values():
        item.option_groups.remove(group)
        report.removed += 1
