"""A shop's menu file sent in the chat: read (JSON pack or CSV), validated, previewed, applied.

The JSON is the pack format (DESIGN.md "Formats"): a whole pack holding only this shop, or
the shop's own object. The CSV has one row per item, or per option choice of an item:

    item_code,name,name_en,price,category,aliases,description,description_en,popular,
    group_code,group_name,group_name_en,group_min,group_max,choice_code,choice_name,
    choice_name_en,choice_price

(aliases separated by "|"; item columns may be left empty on an item's later rows). The
shop's hours, fees and areas stay as they are. Every problem is listed (with its row);
nothing is written until the owner confirms the preview, and then all in one transaction.
"""

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import menu_pack
from bot.services.errors import InvalidMenuPack, NotAllowed
from models.region import MenuItem, Merchant, MerchantMember, Region
from models.user import User

MAX_BYTES = 1_000_000
AWAIT_CONFIRM = "menu_upload"
ITEM_COLUMNS = ("item_code", "name", "name_en", "price")
CSV_COLUMNS = (
    *ITEM_COLUMNS,
    "category",
    "aliases",
    "description",
    "description_en",
    "popular",
    "group_code",
    "group_name",
    "group_name_en",
    "group_min",
    "group_max",
    "choice_code",
    "choice_name",
    "choice_name_en",
    "choice_price",
)


@dataclass
class Preview:
    """What applying a menu file would change."""

    merchant_code: str
    name: str
    name_en: str
    items: int
    added: list[tuple[str, str]] = field(default_factory=list)  # (ko, en) names
    removed: list[tuple[str, str]] = field(default_factory=list)
    repriced: list[tuple[str, str, int, int]] = field(default_factory=list)
    edited: list[tuple[str, str]] = field(default_factory=list)  # names, options, text

    @property
    def changed(self) -> bool:
        """True when the file differs from the menu in the database."""
        return bool(self.added or self.removed or self.repriced or self.edited)


def digest(data: bytes) -> str:
    """A short fingerprint of the file, to apply exactly what was previewed."""
    return hashlib.sha256(data).hexdigest()[:32]


async def shop_of(session: AsyncSession, telegram_id: int, filename: str) -> Merchant:
    """The shop this account may update: its only one, or the one the file is named after."""
    shops = list(
        await session.scalars(
            select(Merchant)
            .join(MerchantMember, MerchantMember.merchant_id == Merchant.id)
            .join(User, User.id == MerchantMember.user_id)
            .where(User.telegram_id == telegram_id)
            .order_by(Merchant.id)
        )
    )
    if not shops:
        raise NotAllowed("not a shop account")
    if len(shops) == 1:
        return shops[0]
    stem = filename.rsplit(".", 1)[0].lower()
    for shop in shops:
        if shop.code == stem:
            return shop
    raise InvalidMenuPack(
        [
            "file name: you run several shops; name the file after one: "
            + ", ".join(s.code for s in shops)
        ]
    )


def _header(merchant: Merchant) -> dict[str, Any]:
    """The shop's own fields, as the pack format has them (kept as they are)."""
    header: dict[str, Any] = {
        "code": merchant.code,
        "name": merchant.name,
        "name_en": merchant.name_en,
        "category": merchant.category,
        "min_order": merchant.min_order,
        "delivery_fee": merchant.delivery_fee,
        "hours": merchant.hours,
        "aliases": list(merchant.aliases),
        "delivery_areas": list(merchant.delivery_areas),
    }
    for name in ("description", "description_en", "address", "phone"):
        if getattr(merchant, name):
            header[name] = getattr(merchant, name)
    return header


def _from_json(data: bytes, merchant: Merchant) -> list[Any]:
    try:
        loaded = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InvalidMenuPack([f"file: not valid UTF-8 JSON ({err})"]) from None
    if isinstance(loaded, dict) and "merchants" in loaded:
        shops = loaded["merchants"] if isinstance(loaded["merchants"], list) else []
        others = [
            f"merchants[{i}]: only {merchant.code} can be updated from this chat"
            for i, shop in enumerate(shops)
            if not isinstance(shop, dict) or shop.get("code") != merchant.code
        ]
        if others or not shops:
            raise InvalidMenuPack(others or ["merchants: the file holds no shop"])
        loaded = shops[0]
    if not isinstance(loaded, dict):
        raise InvalidMenuPack(["file: must be a menu pack or one shop's object"])
    if loaded.get("code", merchant.code) != merchant.code:
        raise InvalidMenuPack([f"code: this chat can only update {merchant.code}"])
    return loaded.get("menu")  # type: ignore[no-any-return]


def _int(value: str) -> int | str:
    value = value.strip().replace(",", "")
    return int(value) if value.lstrip("-").isdigit() else value


def _from_csv(data: bytes) -> tuple[list[Any], list[str]]:
    """The menu in a CSV and the problems of rows that could not be read (the rest of the
    file is still checked, so that every problem is listed at once)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidMenuPack(["file: CSV must be saved as UTF-8"]) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ITEM_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidMenuPack([f"header: missing column(s) {', '.join(missing)}"])
    unknown = [c for c in reader.fieldnames or [] if c not in CSV_COLUMNS]
    if unknown:
        raise InvalidMenuPack([f"header: unknown column(s) {', '.join(unknown)}"])
    items: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for number, row in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in row.items() if k}
        code = row.get("item_code", "")
        if not code:
            problems.append(f"row {number}: item_code is required")
            continue
        item = items.get(code)
        if item is None:
            item = items[code] = {"code": code, "_row": number}
            for column in ("name", "name_en", "category", "description", "description_en"):
                if row.get(column):
                    item[column] = row[column]
            if row.get("price"):
                item["price"] = _int(row["price"])
            if row.get("aliases"):
                item["aliases"] = [a.strip() for a in row["aliases"].split("|") if a.strip()]
            if row.get("popular"):
                item["popular"] = row["popular"].lower() in ("1", "true", "yes", "y")
        if row.get("group_code"):
            groups = item.setdefault("options", [])
            group = next((g for g in groups if g["code"] == row["group_code"]), None)
            if group is None:
                group = {
                    "code": row["group_code"],
                    "name": row.get("group_name", ""),
                    "name_en": row.get("group_name_en", ""),
                    "min": _int(row.get("group_min", "") or "0"),
                    "max": _int(row.get("group_max", "") or "1"),
                    "choices": [],
                }
                groups.append(group)
            choice: dict[str, Any] = {
                "code": row.get("choice_code", ""),
                "name": row.get("choice_name", ""),
                "name_en": row.get("choice_name_en", ""),
            }
            if row.get("choice_price"):
                choice["price"] = _int(row["choice_price"])
            group["choices"].append(choice)
    return list(items.values()), problems


def _with_rows(problems: list[str], menu: list[Any]) -> list[str]:
    """Name CSV rows instead of pack paths where we know them."""
    rows = {
        f"merchants[0].menu[{i}]": f"row {item['_row']} ({item.get('code')})"
        for i, item in enumerate(menu)
        if isinstance(item, dict) and "_row" in item
    }
    named = []
    for problem in problems:
        for path, row in rows.items():
            if problem.startswith(path + ".") or problem.startswith(path + ":"):
                problem = row + problem[len(path) :]
                break
        else:
            problem = problem.removeprefix("merchants[0].")
        named.append(problem)
    return named


async def read(
    session: AsyncSession, *, telegram_id: int, filename: str, data: bytes
) -> tuple[Merchant, dict[str, Any]]:
    """Read and validate a menu file for the sender's shop; return the shop and the pack to
    import. Raise InvalidMenuPack listing every problem, NotAllowed for non-shop accounts."""
    merchant = await shop_of(session, telegram_id, filename)
    if len(data) > MAX_BYTES:
        raise InvalidMenuPack([f"file: {len(data):,} bytes; at most {MAX_BYTES:,}"])
    kind = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    unreadable: list[str] = []
    if kind == "json":
        menu = _from_json(data, merchant)
    elif kind == "csv":
        menu, unreadable = _from_csv(data)
    else:
        raise InvalidMenuPack(["file: send the menu as a .json or .csv file"])
    region = await session.get(Region, merchant.region_id)
    assert region is not None  # noqa: S101 (a merchant always has its region)
    pack = {
        "region": {
            "code": region.code,
            "name": region.name,
            "name_en": region.name_en,
            "currency": region.currency,
        },
        "merchants": [{**_header(merchant), "menu": menu}],
    }
    # (a file of unreadable rows only gets those listed, not "menu: must be a non-empty list")
    problems = menu_pack.validate(_without_rows(pack)) if menu or not unreadable else []
    problems = unreadable + _with_rows(problems, menu if isinstance(menu, list) else [])
    if problems:
        raise InvalidMenuPack(problems)
    return merchant, _without_rows(pack)


def _without_rows(pack: dict[str, Any]) -> dict[str, Any]:
    menu = pack["merchants"][0]["menu"]
    if isinstance(menu, list):
        menu = [
            {k: v for k, v in i.items() if k != "_row"} if isinstance(i, dict) else i for i in menu
        ]
    return {**pack, "merchants": [{**pack["merchants"][0], "menu": menu}]}


async def preview(session: AsyncSession, merchant: Merchant, pack: dict[str, Any]) -> Preview:
    """Compare the file with the shop's menu (nothing is written)."""
    current = await menu_pack.with_menu(session, merchant.id)
    old = {item.code: item for item in current.items if item.active}
    new_menu = pack["merchants"][0]["menu"]
    result = Preview(merchant.code, merchant.name, merchant.name_en, len(new_menu))
    for data in new_menu:
        item = old.pop(data["code"], None)
        if item is None:
            result.added.append((data["name"], data["name_en"]))
        elif item.price != data["price"]:
            result.repriced.append((data["name"], data["name_en"], item.price, data["price"]))
        elif _snapshot(item) != _wanted(data):
            result.edited.append((data["name"], data["name_en"]))
    result.removed = [(item.name, item.name_en) for item in old.values()]
    return result


def _snapshot(item: MenuItem) -> Any:
    return (
        item.name,
        item.name_en,
        list(item.aliases),
        item.category,
        item.description,
        item.description_en,
        item.popular,
        [
            (
                g.code,
                g.name,
                g.name_en,
                g.min_select,
                g.max_select,
                [(c.code, c.name, c.name_en, c.price, list(c.aliases)) for c in g.choices],
            )
            for g in item.option_groups
        ],
    )


def _wanted(data: dict[str, Any]) -> Any:
    return (
        data["name"],
        data["name_en"],
        data.get("aliases", []),
        data.get("category"),
        data.get("description"),
        data.get("description_en"),
        data.get("popular", False),
        [
            (
                g["code"],
                g["name"],
                g["name_en"],
                g["min"],
                g["max"],
                [
                    (c["code"], c["name"], c["name_en"], c.get("price", 0), c.get("aliases", []))
                    for c in g["choices"]
                ],
            )
            for g in data.get("options", [])
        ],
    )


async def apply(session: AsyncSession, merchant: Merchant, pack: dict[str, Any]) -> None:
    """Write the menu in the caller's transaction (the shop's own fields stay as they are)."""
    await menu_pack.import_menu(session, merchant.id, pack["merchants"][0]["menu"])
