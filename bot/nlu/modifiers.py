"""Give choices, amounts, leave-outs, notes and corrections to the items they belong to."""

import itertools

from bot.nlu import counting, lexicon, mentions
from bot.nlu.index import MenuIndex
from bot.nlu.words import (
    ARTICLE,
    CONTENT,
    CORRECT,
    DELIVERY,
    EXCLUDE,
    FILLER,
    LIGHT,
    MARKERS,
    ORDER,
    QTY,
    VERB,
    Word,
)

SIDE_AFTER = {"추가", "추가요", "추가해주세요", "추가로", "더"}


AMPLE = {"많이", "많이요", "넉넉히", "듬뿍", "적게", "적게요", "조금", "조금만"}
SIDE_BEFORE = {"add", "plus", "extra"}


def _marker_near(
    words: list[Word], clauses: list[int], mention: mentions.Mention, used: set[int]
) -> tuple[str | None, bool]:
    """Find the amount or leave-out marker said with a choice; mark its words used."""
    after = mention.last + 1
    while after < len(words) and words[after].text in mentions.GLUE and after not in used:
        after += 1
    before = mention.first - 1
    while before >= 0 and words[before].text in mentions.GLUE and before not in used:
        before -= 1
    # Korean markers follow the choice ("치즈 추가"), English ones lead ("extra cheese")
    hangul_after = after < len(words) and words[after].kind == "hangul"
    sides = [after] * hangul_after + [before]
    if words[mention.first].kind != "latin":
        sides = [after, before] if hangul_after else [before]
    for side in sides:
        if not 0 <= side < len(words) or side in used or words[side].role not in MARKERS:
            continue
        if clauses[side] != clauses[mention.first]:
            continue
        used.add(side)
        role = words[side].role
        return (None, True) if role == EXCLUDE else (role, False)
    if before >= 1 and words[before].text == "on" and words[before - 1].text == "easy":
        used.update({before, before - 1})
        return LIGHT, False
    return None, False


def attach_choices(
    index: MenuIndex,
    words: list[Word],
    clauses: list[int],
    found: list[mentions.Mention],
    used: set[int],
) -> list[mentions.Mention]:
    """Give each choice word to the item it belongs to; return the item mentions."""
    _items_as_choices(index, words, found)
    items = [m for m in found if m.kind == mentions.ITEM]
    choices = [m for m in found if m.kind == mentions.CHOICE]
    attached: list[tuple[mentions.Mention, mentions.Mention]] = []
    for choice in choices:
        assert choice.choice_key is not None  # noqa: S101 - a CHOICE always has a key
        if choice.first == choice.last:  # "양념으로" names 양념 of another item's choices
            alts = [k for k in words[choice.first].alt_keys if k in index.choice_keys]
            for choice_key in [choice.choice_key, *alts]:
                if any(mentions.has_choice(index, m, choice_key) for m in items):
                    choice.choice_key = choice_key
                    break
        owners = [m for m in items if mentions.has_choice(index, m, choice.choice_key)]
        same = [m for m in owners if m.clause == choice.clause]
        owner = _nearest(same or owners, choice, prefer_after=words[choice.first].kind == "latin")
        if owner is None:
            if choice.match is not None:
                choice.kind = mentions.ITEM
                items.append(choice)
            else:
                used.difference_update(range(choice.first, choice.last + 1))
            continue
        amount, excluded = _marker_near(words, clauses, choice, used)
        if not excluded and _conflicts(index, owner, choice.choice_key):
            # "닭꼬치 소금 하나 양념 하나": a second choice of a one-choice group is a second line
            clone = mentions.Mention(
                mentions.ITEM,
                choice.first,
                choice.last,
                choice.clause,
                owner.key,
                match=owner.match,
                ids=list(mentions.ids_of(index, owner)),
                shop=owner.shop,
            )
            clone.choices.append((choice.choice_key, amount, False))
            items.append(clone)
            continue
        owner.choices.append((choice.choice_key, amount, excluded))
        attached.append((choice, owner))
    _coordinate(index, words, attached)
    for choice, owner in attached:  # "숙주 많이": a choice of a leave-out group; a note then
        ref = mentions.choice_ref(index, owner, choice.choice_key or "")
        slot = _choice_slot(owner, choice.choice_key)
        if ref is not None and ref.removal and slot is not None and not owner.choices[slot][2]:
            del owner.choices[slot]
            near = [p for p in (choice.first - 1, choice.last + 1) if 0 <= p < len(words)]
            used.difference_update(p for p in near if words[p].role in MARKERS)
            used.difference_update(range(choice.first, choice.last + 1))
    items.sort(key=lambda m: m.first)
    for item in list(items[1:]):  # "제육 하나 밥 많이": more rice in it, not a bowl of rice
        after = item.last + 1
        counted = after + 1 < len(words) and words[after + 1].role == QTY
        if after < len(words) and words[after].text in AMPLE and not counted:
            items.remove(item)
            used.difference_update(range(item.first, item.last + 1))
    for item in items:  # "공기밥 추가", "add a coke": the marker is the order itself
        after = item.last + 1
        if after < len(words) and words[after].text in SIDE_AFTER and after not in used:
            used.add(after)
        if item.first > 0 and words[item.first - 1].text in SIDE_BEFORE:
            used.add(item.first - 1)
    return items


def _conflicts(index: MenuIndex, owner: mentions.Mention, choice_key: str) -> bool:
    """Tell whether an item already has another choice of this choice's one-choice group."""
    ref = mentions.choice_ref(index, owner, choice_key)
    if ref is None or not ref.single:
        return False
    for other_key, _, left_out in owner.choices:
        other = mentions.choice_ref(index, owner, other_key)
        if not left_out and other and other.group == ref.group and other.choice != ref.choice:
            return True
    return False


def _items_as_choices(index: MenuIndex, words: list[Word], found: list[mentions.Mention]) -> None:
    """Read an item name as a choice of the item beside it ("클래식버거 피클 빼고")."""
    owner: mentions.Mention | None = None
    previous: mentions.Mention | None = None
    for mention in found:
        if mention.kind != mentions.ITEM:
            previous = mention
            continue
        if owner is None or mention.choice_key is None:
            owner = previous = mention
            continue
        between = words[owner.last + 1 : mention.first]
        if (
            not mentions.has_choice(index, owner, mention.choice_key)
            or owner.clause != mention.clause
        ):
            owner = previous = mention
            continue
        shops = {index.items[i].merchant for i in mentions.ids_of(index, owner)}
        other_shop = not {index.items[i].merchant for i in mentions.ids_of(index, mention)} & shops
        if not other_shop and any(w.role in {QTY, ARTICLE} or w.joins_after for w in between):
            owner = previous = mention
            continue
        after = words[mention.last + 1] if mention.last + 1 < len(words) else None
        before = words[mention.first - 1] if mention.first > 0 else None
        marked = any(w is not None and w.role in {EXCLUDE, LIGHT} for w in (after, before))
        chained = previous is not None and previous.kind == mentions.CHOICE
        if marked or other_shop or chained or all(w.text in mentions.GLUE for w in between):
            mention.kind = mentions.CHOICE
            previous = mention
            continue
        owner = previous = mention


def _coordinate(
    index: MenuIndex,
    words: list[Word],
    attached: list[tuple[mentions.Mention, mentions.Mention]],
) -> None:
    """Share a leave-out between coordinated choices ("토마토랑 양파 빼고", "no onion or mayo")."""
    for (first, owner), (second, second_owner) in itertools.pairwise(attached):
        if owner is not second_owner or second.first - first.last > 2:
            continue
        between = [w.text for w in words[first.last + 1 : second.first]]
        linked = words[first.last].joins_after or any(t in {"and", "or", "&"} for t in between)
        side_by_side = not between and words[first.first].kind == "hangul"  # "토마토 양상추 빼고"
        ref_a = mentions.choice_ref(index, owner, first.choice_key or "")
        ref_b = mentions.choice_ref(index, owner, second.choice_key or "")
        same_group = ref_a is not None and ref_b is not None and ref_a.group == ref_b.group
        if not (linked or side_by_side) or not same_group:
            continue
        index_a = _choice_slot(owner, first.choice_key)
        index_b = _choice_slot(owner, second.choice_key)
        if index_a is None or index_b is None:
            continue
        a = owner.choices[index_a]
        b = owner.choices[index_b]
        korean = words[first.first].kind != "latin"  # the marker comes last in Korean
        plain_a, plain_b = not a[2] and a[1] is None, not b[2] and b[1] is None
        if korean and plain_a and not plain_b:
            owner.choices[index_a] = (a[0], b[1], b[2])
        elif not korean and plain_b and not plain_a:
            owner.choices[index_b] = (b[0], a[1], a[2])


def _choice_slot(owner: mentions.Mention, choice_key: str | None) -> int | None:
    for slot in range(len(owner.choices) - 1, -1, -1):
        if owner.choices[slot][0] == choice_key:
            return slot
    return None


def _nearest(
    candidates: list[mentions.Mention], mention: mentions.Mention, prefer_after: bool
) -> mentions.Mention | None:
    if not candidates:
        return None

    def distance(other: mentions.Mention) -> tuple[int, int]:
        if other.first > mention.last:
            gap = other.first - mention.last
            return gap, 0 if prefer_after else 1
        gap = mention.first - other.last
        return gap, 1 if prefer_after else 0

    return min(candidates, key=distance)


def _cancel(items: list[mentions.Mention], target: mentions.Mention) -> None:
    """Take back an item and every earlier mention of the same thing."""
    for mention in items:
        if mention.last <= target.last and mention.match == target.match:
            mention.cancelled = True


def _leave_out_item(
    words: list[Word], items: list[mentions.Mention], used: set[int], position: int
) -> None:
    """Take back an item a leave-out names ("콜라는 빼주세요", "no coke"); keep it as a note."""
    live = [m for m in items if not m.cancelled]
    glue = position + 1 < len(words) and words[position + 1].text in mentions.GLUE
    if words[position].kind == "latin":  # "no coke", "hold the fries"
        target = next((m for m in live if m.first - position in {1, 1 + glue}), None)
    else:  # "콜라는 빼주세요"
        target = next((m for m in reversed(live) if position - m.last == 1), None)
    if target is None:
        return
    if any(o.match == target.match for o in live if o.first > max(position, target.last)):
        used.add(position)  # "짬뽕 빼고 ... 짬뽕 하나": the later mention stands
        target.cancelled = True
        return
    _cancel(items, target)
    used.difference_update(range(target.first, target.last + 1))  # a note for another item


def corrections(words: list[Word], items: list[mentions.Mention], used: set[int]) -> None:
    """Drop the items a correction takes back ("짬뽕 말고 짜장면", "not the coke")."""
    for position, word in enumerate(words):
        if word.role == EXCLUDE and position not in used:
            _leave_out_item(words, items, used, position)
            continue
        if word.role != CORRECT:
            continue
        if word.kind == "latin":
            following = words[position + 1].text if position + 1 < len(words) else ""
            later = [m for m in items if m.first > position and m.first - position <= 3]
            if word.text == "instead" and following == "of":
                if later:
                    used.update({position, position + 1})
                    _cancel(items, later[0])
                continue
            if word.text == "instead":
                earlier = [m for m in items if m.last < position]
                if len(earlier) >= 2:
                    used.add(position)
                    earlier[-2].cancelled = True
                continue
            if later and counting.only_glue_between(words, position, later[0].first):
                used.add(position)
                later[0].cancelled = True
            continue
        earlier = [m for m in items if m.last < position and position - m.last <= 3]
        if earlier:
            used.add(position)
            _cancel(items, earlier[-1])


def residue(
    cleaned: str,
    words: list[Word],
    clauses: list[int],
    items: list[mentions.Mention],
    used: set[int],
) -> list[mentions.Mention]:
    """Turn words no mention took into notes of items, or phrases nothing on the menu fits."""
    runs: list[list[int]] = []
    run: list[int] = []
    for position, word in enumerate(words):
        free = position not in used
        joinable = free and (
            word.role == CONTENT
            or word.role in MARKERS
            or word.role in {FILLER, ORDER, CORRECT, VERB}
        )
        if run and (not joinable or clauses[position] != clauses[run[-1]]):
            runs.append(run)
            run = []
        if joinable:
            run.append(position)
        if run and words[position].joins_after:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    unknowns: list[mentions.Mention] = []
    clause_has_delivery = {clauses[i] for i, w in enumerate(words) if w.role == DELIVERY}
    for raw in runs:
        trimmed = _trim(words, raw)
        if not trimmed:
            continue
        clause = clauses[trimmed[0]]
        if clause in clause_has_delivery:
            continue
        text = cleaned[words[trimmed[0]].start : words[trimmed[-1]].end]
        if all(words[i].role in MARKERS for i in trimmed):
            continue  # "하나 더", "공기밥 추가": a lone marker adds nothing
        if _is_note(words, trimmed):
            target = _note_target(items, trimmed[0], clause)
            if target is not None:
                target.notes.append(text)
            continue
        while trimmed and words[trimmed[-1]].role in {VERB, FILLER, ORDER, CORRECT}:
            trimmed.pop()
        if not trimmed or all(words[i].role != CONTENT for i in trimmed):
            continue
        text = cleaned[words[trimmed[0]].start : words[trimmed[-1]].end]
        if any(m.clause == clause and not m.cancelled for m in items):
            unknowns.append(
                mentions.Mention(mentions.UNKNOWN, trimmed[0], trimmed[-1], clause, text=text)
            )
            unknowns[-1].cancelled = True  # kept only if a count is said with it
            continue
        unknowns.append(
            mentions.Mention(mentions.UNKNOWN, trimmed[0], trimmed[-1], clause, text=text)
        )
    return unknowns


def _trim(words: list[Word], run: list[int]) -> list[int]:
    start, stop = 0, len(run)
    while start < stop and words[run[start]].role in {FILLER, ORDER, VERB}:
        start += 1
    while stop > start and (
        words[run[stop - 1]].role in {FILLER, ORDER}
        or words[run[stop - 1]].text in lexicon.NOTE_TRIM
    ):
        stop -= 1
    return run[start:stop]


def _is_note(words: list[Word], run: list[int]) -> bool:
    for position in run:
        word = words[position]
        if word.role in MARKERS or word.text in lexicon.NOTE_CUES:
            return True
        if word.kind == "hangul" and word.text.endswith(("게", "서", "지", "사이즈")):
            return True  # 맵게, 잘라서, 톨사이즈: a request about the item
    return False


def _note_target(
    items: list[mentions.Mention], position: int, clause: int
) -> mentions.Mention | None:
    live = [m for m in items if not m.cancelled]
    same = [m for m in live if m.clause == clause]
    before = [m for m in same if m.last < position]
    if before:
        return before[-1]
    if same:
        return same[0]
    earlier = [m for m in live if m.last < position]
    return earlier[-1] if earlier else None
