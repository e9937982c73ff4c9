"""The demo region and its personas: enough shops and dishes, well-formed codes and options."""

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "demo" / "incheon-seo.json"
PERSONAS = ROOT / "demo" / "personas.json"
CODE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
CATEGORIES = {
    "chicken",
    "chinese",
    "bunsik",
    "cafe",
    "korean",
    "pizza",
    "jokbal",
    "burger",
    "donkatsu",
    "bakery",
}


def _pack() -> dict[str, Any]:
    return json.loads(PACK.read_text(encoding="utf-8"))


def _personas() -> list[dict[str, Any]]:
    return json.loads(PERSONAS.read_text(encoding="utf-8"))["personas"]


def _items(pack: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for merchant in pack["merchants"] for item in merchant["menu"]]


def _unique_codes(objs: list[dict[str, Any]], where: str) -> None:
    codes = [obj["code"] for obj in objs]
    assert all(CODE.match(code) for code in codes), f"{where}: bad code in {codes}"
    assert len(codes) == len(set(codes)), f"{where}: duplicate code in {codes}"


def test_region_has_enough_shops_and_items() -> None:
    pack = _pack()
    assert pack["region"]["code"] == "incheon-seo"
    assert pack["region"]["currency"] == "seoro-eeum"
    assert len(pack["merchants"]) >= 14
    assert len(_items(pack)) >= 230


def test_every_category_is_present() -> None:
    assert {m["category"] for m in _pack()["merchants"]} >= CATEGORIES


def test_common_orders_are_ambiguous_across_shops() -> None:
    merchants = _pack()["merchants"]
    categories = [m["category"] for m in merchants]
    assert categories.count("chicken") >= 2
    assert categories.count("cafe") >= 2
    americano_shops = [m for m in merchants if any(i["name"] == "아메리카노" for i in m["menu"])]
    assert len(americano_shops) >= 2


def test_items_have_names_and_prices() -> None:
    for item in _items(_pack()):
        assert item["name"].strip(), item
        assert item["name_en"].strip(), item
        price = item["price"]
        assert isinstance(price, int), item
        assert not isinstance(price, bool), item
        assert price > 0, item


def test_codes_are_well_formed_and_unique_in_their_scope() -> None:
    pack = _pack()
    _unique_codes(pack["merchants"], "merchants")
    for merchant in pack["merchants"]:
        _unique_codes(merchant["menu"], merchant["code"])
        for item in merchant["menu"]:
            where = f"{merchant['code']}/{item['code']}"
            _unique_codes(item.get("options", []), where)
            for group in item.get("options", []):
                _unique_codes(group["choices"], f"{where}/{group['code']}")


def test_option_groups_are_satisfiable() -> None:
    for item in _items(_pack()):
        for group in item.get("options", []):
            assert 0 <= group["min"] <= group["max"] <= len(group["choices"]), (item, group)
            for choice in group["choices"]:
                assert isinstance(choice.get("price", 0), int), choice
                assert choice.get("price", 0) >= 0, choice


def test_aliases_name_one_item_per_shop() -> None:
    def norm(word: str) -> str:
        return "".join(word.lower().split())

    for merchant in _pack()["merchants"]:
        owner: dict[str, str] = {}
        for item in merchant["menu"]:
            for word in (item["name"], item["name_en"], *item.get("aliases", [])):
                assert owner.setdefault(norm(word), item["code"]) == item["code"], (
                    merchant["code"],
                    word,
                )


def test_every_merchant_has_an_owner_persona() -> None:
    owners = {p["merchant"] for p in _personas() if p["role"] == "merchant"}
    assert {m["code"] for m in _pack()["merchants"]} <= owners
    for persona in _personas():
        if persona["role"] == "merchant":
            assert persona["key"] == f"owner-{persona['merchant']}"


def test_personas_are_distinct_and_cover_every_role() -> None:
    personas = _personas()
    ids = [p["telegram_id"] for p in personas]
    keys = [p["key"] for p in personas]
    assert len(ids) == len(set(ids))
    assert len(keys) == len(set(keys))
    residents = [p for p in personas if p["role"] == "resident"]
    assert len(residents) >= 2
    assert {p["language_code"] for p in residents} >= {"ko", "en"}
    assert all(p["address"]["text"] and p["address"]["dong"] for p in residents)
    staff = [p for p in personas if p["role"] == "staff"]
    assert len(staff) >= 1
    assert all(p["merchant"] is None for p in residents + staff)
