"""Build the menu index of a region once: name keys, parts, 초성, romanised and typo keys."""

import marshal
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from bot.nlu import lexicon
from bot.nlu.normalize import (
    choseong,
    is_hangul,
    key,
    latin_words,
    loose_jamo,
    romanize,
    skeleton,
)
from bot.nlu.typos import TypoTable

EXTRA_AFFIXES = ("추가", "extra", "add", "more")
SHOP_SUFFIXES = (
    "치킨",
    "피자",
    "커피",
    "분식",
    "반점",
    "짬뽕",
    "버거",
    "밥상",
    "식당",
    "카페",
    "김밥",
    "족발",
    "보쌈",
    "떡볶이",
    "국수",
    "베이커리",
    "빵집",
    "포차",
    "chicken",
    "pizza",
    "coffee",
    "cafe",
    "café",
    "bakery",
    "burger",
    "banjeom",
    "bunsik",
    "kitchen",
    "chinese",
)
SIZE_SUFFIX = re.compile(
    r"\s*\d+(?:\.\d+)?\s*(?:l|ml|리터|cm|인치|g|kg|oz|개|조각|pcs)\s*$", re.IGNORECASE
)
ENGLISH_HEADS = (
    "burger",
    "shake",
    "cake",
    "ball",
    "balls",
    "bread",
    "roll",
    "rolls",
    "wings",
    "fries",
    "soup",
    "stew",
    "rice",
    "noodles",
    "pizza",
    "latte",
    "tea",
    "ade",
    "smoothie",
    "juice",
    "coke",
    "pie",
    "bowl",
    "chicken",
    "dog",
    "sandwich",
)
GENERIC_WORDS = frozenset(
    {w for words in lexicon.CATEGORY_WORDS.values() for w in words} | set(ENGLISH_HEADS)
)
REMOVAL_WORDS = ("remove", "without", "exclude", "빼기", "빼고", "제외")
MIN_FUZZY_JAMO = 4
# words that never stand for an item by being part of its name: markers, fillers, choices
NOT_PARTS = frozenset(
    key(w)
    for w in (
        lexicon.EXTRA
        | lexicon.LIGHT
        | lexicon.EXCLUDE
        | lexicon.FILLER
        | lexicon.ORDER
        | lexicon.PART_STOP
        | {w for group in lexicon.SYNONYMS for w in group}
    )
)
MIN_FUZZY_LATIN = 5


class ParseError(ValueError):
    """A menu pack or request the parser cannot use; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class ChoiceRef:
    """A choice of one of an item's option groups, as a key names it."""

    group: str
    choice: str
    single: bool  # the group takes one choice at most (size, temperature ...)
    removal: bool  # a group of things to leave out (빼기): only a leave-out picks it
    order: int  # position in the pack, for a stable output order


@dataclass(frozen=True, slots=True)
class Item:
    """One menu item of one shop."""

    merchant: int
    code: str
    name_key: str
    category: str | None
    choices: dict[str, tuple[ChoiceRef, ...]]  # shared between items with the same options


@dataclass(frozen=True, slots=True)
class Merchant:
    """One shop: its code and the range of its items' ids."""

    code: str
    category: str
    first: int
    last: int  # one past the last item id


@dataclass(frozen=True, slots=True)
class MenuIndex:
    """Everything parse needs to read a message against a region's menus."""

    merchants: tuple[Merchant, ...]
    items: tuple[Item, ...]
    merchant_codes: dict[str, int]
    merchant_keys: dict[str, tuple[int, ...]]
    names: dict[str, list[int]]  # exact name or alias key -> item ids, ascending
    heads: dict[str, str | tuple[str, ...]]  # the head of names (치킨, pizza) -> those names
    parts: dict[str, str | tuple[str, ...]]  # another part of names (치킨 in 치킨무) -> them
    choice_keys: frozenset[str]
    initials: dict[str, str | tuple[str, ...]]  # 초성 -> name keys
    part_initials: dict[str, str | tuple[str, ...]]  # 초성 -> part keys
    choice_sounds: dict[str, str]  # sound skeleton of a Hangul choice key -> that key
    name_choices: dict[str, frozenset[str]]  # name key -> choice keys of the items so named
    romans: dict[str, str | tuple[str, ...]]  # sound skeleton -> name or part keys
    part_romans: dict[str, str | tuple[str, ...]]  # sound skeleton of a Hangul part -> part keys
    typo_hangul: TypoTable  # jamo with one left out -> jamo of keys
    typo_latin: TypoTable  # skeleton with one left out -> skeletons
    jamo_keys: dict[str, str | tuple[str, ...]]  # loose jamo string -> keys
    max_key_len: int

    def ids_in(self, ids: list[int], merchant: int | None) -> list[int]:
        """Return the ids of a sorted list that belong to a merchant (all when None)."""
        if merchant is None:
            return ids
        shop = self.merchants[merchant]
        return ids[bisect_left(ids, shop.first) : bisect_left(ids, shop.last)]

    def known(self, word_key: str) -> bool:
        """Tell whether a key names an item, part, choice or shop of the region."""
        return (
            word_key in self.names
            or word_key in self.heads
            or word_key in self.parts
            or word_key in self.choice_keys
            or word_key in self.merchant_keys
        )


def _fail(path: str, problem: str) -> ParseError:
    return ParseError(f"menu pack {path}: {problem}")


def _text(obj: dict[str, Any], field: str, path: str, required: bool = True) -> str | None:
    value = obj.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"{path}.{field}", "must be a non-empty string")
    return value


def _aliases(obj: dict[str, Any], path: str) -> list[str]:
    value = obj.get("aliases", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(f"{path}.aliases", "must be a list of strings")
    return [v for v in value if v.strip()]


def _list(obj: dict[str, Any], field: str, path: str, required: bool = True) -> list[Any]:
    value = obj.get(field)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise _fail(f"{path}.{field}", "must be a list")
    return value


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, "must be an object")
    return value


def _choice_surfaces(choice: dict[str, Any], path: str) -> tuple[set[str], set[str]]:
    """Return the keys that name a choice: (its own names and aliases, their synonyms)."""
    surfaces = [_text(choice, "name", path), _text(choice, "name_en", path, False)]
    surfaces += _aliases(choice, path)
    own = {key(s) for s in surfaces if s}
    for k in list(own):
        for affix in EXTRA_AFFIXES:  # "샷추가" is also named by "샷"
            if k.endswith(affix) and len(k) > len(affix):
                own.add(k[: -len(affix)])
            if k.startswith(affix) and len(k) > len(affix):
                own.add(k[len(affix) :])
    derived: set[str] = set()
    for group in _synonym_keys():
        if group & own:
            derived |= group
    own.discard("")
    return own, derived - own - {""}


@cache
def _synonym_keys() -> tuple[frozenset[str], ...]:
    return tuple(frozenset(key(word) for word in group) for group in lexicon.SYNONYMS)


def _choice_table(groups: list[Any], path: str) -> dict[str, tuple[ChoiceRef, ...]]:
    table: dict[str, list[ChoiceRef]] = defaultdict(list)
    synonyms: dict[str, list[ChoiceRef]] = defaultdict(list)
    order = 0
    for g_index, raw_group in enumerate(groups):
        g_path = f"{path}.options[{g_index}]"
        group = _object(raw_group, g_path)
        group_code = _text(group, "code", g_path)
        assert group_code is not None  # noqa: S101 - _text raised otherwise
        single = group.get("max") == 1
        label = " ".join(str(group.get(f, "")) for f in ("code", "name", "name_en")).lower()
        removal = any(word in label for word in REMOVAL_WORDS)
        for c_index, raw_choice in enumerate(_list(group, "choices", g_path)):
            c_path = f"{g_path}.choices[{c_index}]"
            choice = _object(raw_choice, c_path)
            choice_code = _text(choice, "code", c_path)
            assert choice_code is not None  # noqa: S101
            own, derived = _choice_surfaces(choice, c_path)
            ref = ChoiceRef(group_code, choice_code, single, removal, order)
            for choice_key in own:
                table[choice_key].append(ref)
            for choice_key in derived:  # a synonym names it only after the choices it names
                synonyms[choice_key].append(ref)
            order += 1
    for choice_key, refs in synonyms.items():
        table[choice_key].extend(refs)
    return {k: tuple(v) for k, v in table.items()}


def _name_parts(name: str, name_key: str) -> tuple[set[str], set[str]]:
    """Return the parts of a name a person may say alone: (heads, other parts).

    Names are head-final in Korean and English: "치킨" heads 후라이드치킨 but only starts 치킨무.
    """
    heads: set[str] = set()
    parts: set[str] = set()
    words = latin_words(name)
    if words and all(w.isascii() for w in words):
        last = words[-1]
        for head in ENGLISH_HEADS:  # "milkshake" is a shake, "cheeseburger" a burger
            if last.endswith(head) and len(last) > len(head) + 2:
                heads.add(head)
        for size in range(1, len(words)):
            for start in range(len(words) - size + 1):
                piece = words[start : start + size]
                if any(w in lexicon.EN_STOP or w.isdigit() for w in piece):
                    continue
                part = "".join(piece)
                if part not in NOT_PARTS:
                    (heads if start + size == len(words) else parts).add(part)
        return heads, parts - heads
    hangul = "".join(c for c in name_key if is_hangul(c))
    for cut in range(2, len(hangul)):
        parts.add(hangul[:cut])
        heads.add(hangul[-cut:])
    if len(hangul) >= 2 and hangul != name_key:  # "코카콜라 1.25L": 코카콜라
        heads.add(hangul)
    spaced = name.split()
    for position, word in enumerate(spaced):
        word_key = key(word)
        if len(word_key) >= 2 and word_key != name_key:
            (heads if position == len(spaced) - 1 else parts).add(word_key)
    heads.discard(name_key)
    parts.discard(name_key)
    return heads - NOT_PARTS, parts - heads - NOT_PARTS


def build_index(pack: dict[str, Any]) -> MenuIndex:
    """Build the menu index of all shops of a parsed menu pack; ParseError when it is bad."""
    if not isinstance(pack, dict):
        raise ParseError("menu pack: must be a JSON object with region and merchants")
    raw_merchants = _list(pack, "merchants", "pack")
    if not raw_merchants:
        raise _fail("merchants", "must be a non-empty list")
    builder = IndexBuilder()
    for raw_merchant in raw_merchants:
        builder.add(raw_merchant)
    return builder.finish()


class IndexBuilder:
    """Build a MenuIndex one shop at a time, so a large region need not be held whole
    (bot/services/catalog.py reads it from the database a batch of shops at a time)."""

    def __init__(self) -> None:
        self.merchants: list[Merchant] = []
        self.items: list[Item] = []
        self.merchant_codes: dict[str, int] = {}
        self.merchant_keys: dict[str, list[int]] = defaultdict(list)
        self.names: dict[str, list[int]] = defaultdict(list)
        self.display: dict[str, str] = {}  # name key -> a name as written, for its parts
        self.choice_keys: set[str] = set()
        self.tables: dict[bytes, dict[str, tuple[ChoiceRef, ...]]] = {}

    def add(self, raw_merchant: Any) -> None:
        """Index one shop of a menu pack (its menu, options and names)."""
        m_index = len(self.merchants)
        m_path = f"merchants[{m_index}]"
        merchant = _object(raw_merchant, m_path)
        code = _text(merchant, "code", m_path)
        assert code is not None  # noqa: S101
        if code in self.merchant_codes:
            raise _fail(f"{m_path}.code", f"duplicate code {code!r}")
        self.merchant_codes[code] = m_index
        category = merchant.get("category") if isinstance(merchant.get("category"), str) else ""
        shop_names = [_text(merchant, "name", m_path), _text(merchant, "name_en", m_path, False)]
        shop_names += _aliases(merchant, m_path)
        shop_keys = {key(n) for n in shop_names if n}
        for shop_key in list(shop_keys):
            for suffix in SHOP_SUFFIXES:
                if shop_key.endswith(suffix) and len(shop_key) - len(suffix) >= 2:
                    shop_keys.add(shop_key[: -len(suffix)])
        for shop_name in shop_names:  # "cheongna banjeom": "cheongna"
            first_word = latin_words(shop_name or "")[:1]
            if (
                first_word
                and len(first_word[0]) >= 4
                and shop_name
                and len(shop_name.split()) > 1
                and first_word[0] not in GENERIC_WORDS
            ):
                shop_keys.add(first_word[0])
        for shop_key in shop_keys:
            if shop_key:
                self.merchant_keys[shop_key].append(m_index)
        first = len(self.items)
        seen_codes: set[str] = set()
        for i_index, raw_item in enumerate(_list(merchant, "menu", m_path)):
            i_path = f"{m_path}.menu[{i_index}]"
            item = _object(raw_item, i_path)
            item_code = _text(item, "code", i_path)
            assert item_code is not None  # noqa: S101
            if item_code in seen_codes:
                raise _fail(f"{i_path}.code", f"duplicate code {item_code!r}")
            seen_codes.add(item_code)
            groups = _list(item, "options", i_path, required=False)
            signature = _signature(groups)
            if signature not in self.tables:
                self.tables[signature] = _choice_table(groups, i_path)
            table = self.tables[signature]
            self.choice_keys.update(table)
            item_names = [_text(item, "name", i_path), _text(item, "name_en", i_path, False)]
            item_names += _aliases(item, i_path)
            item_names += [
                SIZE_SUFFIX.sub("", n) for n in item_names if n and SIZE_SUFFIX.search(n)
            ]
            item_id = len(self.items)
            name_keys: list[str] = []
            for raw_name in item_names:
                if not raw_name:
                    continue
                name_key = key(raw_name)
                if not name_key:
                    continue
                if name_key not in name_keys:
                    name_keys.append(name_key)
                    self.names[name_key].append(item_id)
                self.display.setdefault(name_key, raw_name)
            item_category = item.get("category")  # the shop's category is too broad here
            self.items.append(
                Item(
                    merchant=m_index,
                    code=item_code,
                    name_key=name_keys[0],
                    category=item_category if isinstance(item_category, str) else None,
                    choices=table,
                )
            )
        self.merchants.append(Merchant(code, category, first, len(self.items)))

    def add_all(self, raw_merchants: list[Any]) -> None:
        """Index several shops."""
        for raw_merchant in raw_merchants:
            self.add(raw_merchant)

    def finish(self) -> MenuIndex:
        """The index of every shop added; ParseError when there is none."""
        if not self.merchants:
            raise _fail("merchants", "must be a non-empty list")
        return _finish(
            self.merchants,
            self.items,
            self.merchant_codes,
            self.merchant_keys,
            self.names,
            self.display,
            self.choice_keys,
        )


def _finish(
    merchants: list[Merchant],
    items: list[Item],
    merchant_codes: dict[str, int],
    merchant_keys: dict[str, list[int]],
    names: dict[str, list[int]],
    display: dict[str, str],
    choice_keys: set[str],
) -> MenuIndex:
    """Derive the part, 초성, romanised and typo tables from the name table."""
    heads: dict[str, set[str]] = defaultdict(set)
    parts: dict[str, set[str]] = defaultdict(set)
    initials: dict[str, set[str]] = defaultdict(set)
    part_initials: dict[str, set[str]] = defaultdict(set)
    romans: dict[str, set[str]] = defaultdict(set)
    part_romans: dict[str, set[str]] = defaultdict(set)
    for name_key, raw_name in display.items():
        name_heads, name_parts = _name_parts(raw_name, name_key)
        for part in name_heads:
            heads[part].add(name_key)
        for part in name_parts:
            parts[part].add(name_key)
        if _has_hangul(name_key):
            initials[choseong(name_key)].add(name_key)
            romans[skeleton(romanize(name_key))].add(name_key)
        elif name_key.isascii():
            romans[skeleton(name_key)].add(name_key)
    category_keys = {  # category -> its words' keys, which point at the names they cover
        category: [key(word) for word in words]
        for category, words in lexicon.CATEGORY_WORDS.items()
    }
    categories: set[str] = set()
    for item in items:
        for word_key in category_keys.get(item.category or "", ()):
            categories.add(word_key)
            heads[word_key].add(item.name_key)
    heads_final = _packed(heads)
    parts_final = _packed(parts)
    del heads, parts  # a build holds the old index too: let the sets go
    for part_key in [*heads_final, *parts_final]:
        if len(part_key) >= 2 and _all_hangul(part_key):
            part_initials[choseong(part_key)].add(part_key)
            if len(part_key) <= 3:  # short forms are what people romanise ("jeyuk")
                sound = skeleton(romanize(part_key))
                if len(sound) >= 4:
                    part_romans[sound].add(part_key)
    for part_key in [*heads_final, *parts_final]:
        if part_key.isascii() and len(part_key) >= MIN_FUZZY_LATIN:
            romans[skeleton(part_key)].add(part_key)
    # the typo tables have hundreds of thousands of variants: see bot/nlu/typos.py
    jamo_keys: dict[str, str | set[str]] = {}  # its keys: the Hangul words of the typo table
    spaced = {  # "페퍼로니" of "페퍼로니 피자": a word of its own, worth typo look-up
        key(word) for raw_name in display.values() for word in raw_name.split()[:-1]
    }
    fuzzy_words = (
        set(names)
        | {k for k in spaced if len(k) >= 2}
        | {k for k in [*heads_final, *parts_final] if k in categories or _is_word(k)}
    )
    for word_key in fuzzy_words:
        if _all_hangul(word_key):
            spelled = loose_jamo(word_key)
            if len(spelled) >= MIN_FUZZY_JAMO:
                _put(jamo_keys, spelled, word_key)
    return MenuIndex(
        merchants=tuple(merchants),
        items=tuple(items),
        merchant_codes=merchant_codes,
        merchant_keys={k: tuple(v) for k, v in merchant_keys.items()},
        names=dict(names),
        heads=heads_final,
        parts=parts_final,
        choice_keys=frozenset(choice_keys),
        initials=_packed(initials),
        part_initials=_packed(part_initials),
        name_choices=_name_choices(names, items),
        choice_sounds={
            sound: choice_key
            for choice_key in sorted(choice_keys, reverse=True)
            if len(choice_key) >= 2
            and _all_hangul(choice_key)
            and len(sound := skeleton(romanize(choice_key))) >= 4
        },
        romans=_packed(romans),
        part_romans=_packed(part_romans),
        typo_hangul=TypoTable(jamo_keys),
        typo_latin=TypoTable(s for s in romans if len(s) >= MIN_FUZZY_LATIN),
        jamo_keys=_packed(jamo_keys),
        max_key_len=max((len(k) for k in names), default=1),
    )


_all_hangul = re.compile("[\uac00-\ud7a3]+").fullmatch
_has_hangul = re.compile("[\uac00-\ud7a3]").search


def _name_choices(names: dict[str, list[int]], items: list[Item]) -> dict[str, frozenset[str]]:
    """Return, for each name, every choice key of the items that bear it."""
    shared: dict[frozenset[int], frozenset[str]] = {}
    out: dict[str, frozenset[str]] = {}
    for name_key, ids in names.items():
        tables = {id(items[i].choices): items[i].choices for i in ids}
        table_ids = frozenset(tables)
        if table_ids not in shared:
            shared[table_ids] = frozenset().union(*(frozenset(t) for t in tables.values()))
        out[name_key] = shared[table_ids]
    return out


def _signature(groups: list[Any]) -> bytes:
    """Return a fingerprint of an option list; identical lists share one choice table."""
    try:
        return marshal.dumps(groups)
    except ValueError:  # not plain JSON data
        return repr(groups).encode()


def _put(table: dict[str, str | set[str]], table_key: str, value: str) -> None:
    """Add a value under a key: bare while it is the only one, then a set."""
    found = table.get(table_key)
    if found is None:
        table[table_key] = value
    elif isinstance(found, str):
        if found != value:
            table[table_key] = {found, value}
    else:
        found.add(value)


def _packed(table: Mapping[str, str | set[str]]) -> dict[str, str | tuple[str, ...]]:
    """Freeze a table of sets; a single key is stored bare to save memory."""
    return {
        k: v if isinstance(v, str) else next(iter(v)) if len(v) == 1 else tuple(sorted(v))
        for k, v in table.items()
    }


def entries(table: dict[str, str | tuple[str, ...]], table_key: str) -> tuple[str, ...]:
    """Return the keys a packed table holds under a key (none when absent)."""
    found = table.get(table_key, ())
    return (found,) if isinstance(found, str) else found


def _is_word(part_key: str) -> bool:
    """Tell whether a part is worth typo look-up: a Latin word, not a cut of Hangul."""
    return part_key.isascii() and len(part_key) >= MIN_FUZZY_LATIN
