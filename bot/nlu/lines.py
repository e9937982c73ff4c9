"""Settle each item's shop, tell lines from ambiguous and unmatched phrases, merge lines."""

from collections import defaultdict

from bot.nlu import matcher, mentions
from bot.nlu.index import ChoiceRef, MenuIndex
from bot.nlu.result import Ambiguous, Candidate, Line, OptionPick, ParseResult, Unmatched
from bot.nlu.words import (
    ARTICLE,
    ORDER,
    QTY,
    Word,
)

MAX_CANDIDATES = 10


MAX_NAMED_SHOPS = 5
mentions.ITEM, mentions.CHOICE, mentions.SHOP, mentions.UNKNOWN = (
    "item",
    "choice",
    "shop",
    "unknown",
)


def build(
    index: MenuIndex,
    cleaned: str,
    words: list[Word],
    things: list[mentions.Mention],
    shop: int | None,
    named: set[int],
) -> ParseResult:
    """Build the parse result: settle shops, then lines, ambiguous and unmatched entries."""
    if len(named) > MAX_NAMED_SHOPS:  # a shop name shared by a chain, or a list of shops
        named = set()
    live = [m for m in things if not m.cancelled]
    items = [m for m in live if m.kind == mentions.ITEM]
    unknowns = [m for m in things if m.kind == mentions.UNKNOWN and not m.cancelled]
    unknowns += [m for m in things if m.kind == mentions.UNKNOWN and m.cancelled and m.quantity]
    ordering = any(w.role in {ORDER, QTY, ARTICLE} for w in words) or bool(items)
    per_item: dict[int, dict[int, list[int]]] = {}
    unmatched: list[Unmatched] = []
    for mention in items:
        ids = index.ids_in(mentions.ids_of(index, mention), shop)
        if shop is None and named:
            in_named = [i for m in named for i in index.ids_in(ids, m)]
            if not in_named and mention.key:  # "바삭치킨 fries": the shop's own fries
                in_named = [
                    i for i in _part_ids(index, mention) if index.items[i].merchant in named
                ]
            ids = in_named or ids
        if shop is not None and not ids and mention.key:  # 바삭카츠 "돈까스": its 돈까스 dishes
            ids = index.ids_in(_part_ids(index, mention), shop)
        if not ids:
            mention.text = cleaned[words[mention.first].start : words[mention.last].end]
            unmatched.append(Unmatched(mention.text, mention.quantity or 1))
            continue
        wanted = [k for k, _, _ in mention.choices]
        if wanted:  # "떡볶이 very spicy": the shop whose 떡볶이 has that choice
            fitting = [i for i in ids if all(k in index.items[i].choices for k in wanted)]
            ids = fitting or ids
        by_shop: dict[int, list[int]] = defaultdict(list)
        for item_id in ids:
            by_shop[index.items[item_id].merchant].append(item_id)
        per_item[id(mention)] = by_shop
    _choose_shops(items, per_item)
    settled = {
        ids[0]
        for by_shop in per_item.values()
        if len(ids := [i for shop_ids in by_shop.values() for i in shop_ids]) == 1
    }
    lines: list[Line] = []
    ambiguous: list[Ambiguous] = []
    for mention in items:
        by_shop = per_item.get(id(mention))
        if by_shop is None:
            continue
        ids = [i for shop_ids in by_shop.values() for i in shop_ids]
        if len(ids) > 1 and settled & set(ids):
            continue  # "김밥은 ..., 참치김밥 두 줄": the general word meant the named item
        quantity = 1 if mention.quantity is None else mention.quantity
        if len(ids) != 1:
            text = cleaned[words[mention.first].start : words[mention.last].end]
            candidates = tuple(
                Candidate(index.merchants[index.items[i].merchant].code, index.items[i].code)
                for i in sorted(ids)[:MAX_CANDIDATES]
            )
            ambiguous.append(Ambiguous(text, max(quantity, 1), candidates))
            continue
        item_id = ids[0]
        choices = list(mention.choices)
        if mention.inherit is not None:
            choices = [c for c in mention.inherit.choices if not c[2]] + choices
        if quantity > 0:  # every one of them was split off ("두 개, 하나는 ... 하나는 ...")
            lines.append(_line(index, item_id, quantity, choices, mention.notes))
        for split_quantity, moved in mention.splits:
            lines.append(_line(index, item_id, split_quantity, choices + moved, mention.notes))
    if ordering:
        unmatched += [Unmatched(m.text, m.quantity or 1) for m in unknowns]
    return ParseResult(tuple(_merge(lines)), tuple(unmatched), tuple(ambiguous))


def _part_ids(index: MenuIndex, mention: mentions.Mention) -> list[int]:
    """Return the items a mention's words name as a part of their names."""
    part = matcher.part(index, mention.key)
    return (
        mentions.ids_of(index, mentions.Mention(mentions.ITEM, 0, 0, match=part)) if part else []
    )


def _choose_shops(
    items: list[mentions.Mention], per_item: dict[int, dict[int, list[int]]]
) -> None:
    """Settle the shop of items sold in several shops: by the shop of the other items."""
    anchors: list[int] = []
    for mention in items:
        by_shop = per_item.get(id(mention))
        if by_shop is not None and len(by_shop) == 1:
            anchors.extend(by_shop)
    open_items = [m for m in items if id(m) in per_item and len(per_item[id(m)]) > 1]
    for mention in open_items:
        by_shop = per_item[id(mention)]
        shared = [s for s in anchors if s in by_shop]
        if shared:
            per_item[id(mention)] = {shared[0]: by_shop[shared[0]]}
    rest = [m for m in open_items if len(per_item[id(m)]) > 1]
    if len(rest) < 2:
        return
    cover: dict[int, int] = defaultdict(int)
    for mention in rest:
        for shop in per_item[id(mention)]:
            cover[shop] += 1
    top = max(cover.values())
    leaders = [s for s, c in cover.items() if c == top]
    if len(leaders) == 1 and top == len(rest):
        for mention in rest:
            per_item[id(mention)] = {leaders[0]: per_item[id(mention)][leaders[0]]}


def _line(
    index: MenuIndex,
    item_id: int,
    quantity: int,
    choices: list[tuple[str, str | None, bool]],
    notes: list[str],
) -> Line:
    item = index.items[item_id]
    picked: dict[tuple[str, str], tuple[ChoiceRef, str | None]] = {}
    excluded: dict[str, ChoiceRef] = {}
    for choice_key, amount, left_out in choices:
        refs = item.choices.get(choice_key)
        if not refs:
            continue
        ref = refs[0]
        if left_out:
            excluded[ref.choice] = ref
            continue
        picked[(ref.group, ref.choice)] = (ref, amount)
    options = tuple(
        OptionPick(ref.group, ref.choice, amount)
        for ref, amount in sorted(picked.values(), key=lambda pair: pair[0].order)
    )
    left = tuple(ref.choice for ref in sorted(excluded.values(), key=lambda r: r.order))
    note = ", ".join(dict.fromkeys(notes)) or None
    merchant = index.merchants[item.merchant].code
    return Line(merchant, item.code, quantity, options, left, note)


def _merge(lines: list[Line]) -> list[Line]:
    """Sum the quantities of lines that order the same thing the same way."""
    merged: dict[tuple[object, ...], Line] = {}
    for line in lines:
        same = (line.merchant, line.item, line.options, line.excluded, line.note)
        if same in merged:
            old = merged[same]
            merged[same] = Line(
                old.merchant,
                old.item,
                old.quantity + line.quantity,
                old.options,
                old.excluded,
                old.note,
            )
        else:
            merged[same] = line
    return list(merged.values())
