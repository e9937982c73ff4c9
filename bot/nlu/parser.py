"""Parse one chat message against a menu index into order lines (PARSING.md).

A result has three lists (DESIGN.md "Parse result"):

- ``lines``: ``{"merchant", "item", "quantity", "options": [{"group", "choice", "amount"}],
  "excluded": [choice codes], "note"}``; ``note`` is the request as written, or null.
- ``unmatched``: ``{"text", "quantity"}``: a phrase that orders something no shop sells
  (or, with a merchant given, something that shop does not sell); ``text`` is the phrase as
  written (lower-cased), so the bot can say so and suggest the nearest items.
- ``ambiguous``: ``{"text", "quantity", "candidates": [{"merchant", "item"}]}``: a phrase that
  fits several items equally ("치킨 하나", "a pizza"); candidates in pack order, at most
  ``MAX_CANDIDATES``, so the bot can offer them as buttons.

Questions, greetings and chit-chat give three empty lists. ``parse`` never raises on any text;
only a merchant code the index does not know raises ``ParseError``.
"""

import itertools
from collections import defaultdict
from dataclasses import dataclass, field

from bot.nlu import lexicon, matcher
from bot.nlu.index import ChoiceRef, MenuIndex, ParseError
from bot.nlu.matcher import EXACT, NameMatch
from bot.nlu.normalize import apply_variants, clean
from bot.nlu.result import Ambiguous, Candidate, Line, OptionPick, ParseResult, Unmatched
from bot.nlu.words import (
    ARTICLE,
    CONTENT,
    CORRECT,
    DELIVERY,
    EACH,
    EXCLUDE,
    EXTRA,
    FILLER,
    FOR,
    LIGHT,
    MARKERS,
    ORDER,
    QTY,
    QUESTION,
    VERB,
    Word,
    X,
    _read_words,
)

MAX_CHARS = 4096  # Telegram's longest message; the rest of a longer text is not read
MAX_SPAN = 6
MAX_CANDIDATES = 10
ITEM, CHOICE, SHOP, UNKNOWN = "item", "choice", "shop", "unknown"
GLUE = {"the", "some", "of", "on", "with", "좀", "a", "an", "my", "your"}
SIDE_AFTER = {"추가", "추가요", "추가해주세요", "추가로", "더"}
SIDE_BEFORE = {"add", "plus", "extra"}
TASTE = {"spicy", "매운", "매운맛", "매콤", "hot", "핫", "맵게", "맵고", "salty", "짜게", "sweet",
         "달게", "oily", "느끼하게", "짜지", "맵지"}  # fmt: skip
SOFTENERS = {"덜", "less", "안", "not", "too", "너무", "no", "좀", "조금", "약간"}
BREAK_WORDS = {"and", "그리고", "또", "plus", "also", "then", "그담에", "다음"}


@dataclass(slots=True)
class Mention:
    """A stretch of words that names an item, a choice, a shop or an unknown thing."""

    kind: str
    first: int
    last: int
    clause: int = 0
    key: str = ""
    match: NameMatch | None = None
    choice_key: str | None = None
    shops: tuple[int, ...] = ()
    text: str = ""
    quantity: int | None = None
    choices: list[tuple[str, str | None, bool]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cancelled: bool = False
    ids: list[int] = field(default_factory=list)
    inherit: "Mention | None" = None  # "하나는 양념": takes the options of this mention
    splits: list[tuple[int, list[tuple[str, str | None, bool]]]] = field(default_factory=list)


def parse(text: str, index: MenuIndex, merchant: str | None = None) -> ParseResult:
    """Parse a chat message into order lines, unmatched and ambiguous phrases."""
    shop: int | None = None
    if merchant is not None:
        if merchant not in index.merchant_codes:
            raise ParseError(f"unknown merchant {merchant!r}")
        shop = index.merchant_codes[merchant]
    cleaned = clean(text[:MAX_CHARS])
    words = _read_words(index, cleaned)
    if not words or _is_question(words):
        return ParseResult()
    mentions = _narrow(index, _mentions(index, words))
    clauses = _number_clauses(words, mentions)
    delivery = {clauses[i] for i, w in enumerate(words) if w.role == DELIVERY}
    for mention in mentions:  # "ring the bell" is no order of onion rings
        if mention.clause in delivery and mention.match and mention.match.how != EXACT:
            mention.kind = UNKNOWN
    used = {i for m in mentions for i in range(m.first, m.last + 1)}
    items = _attach_choices(index, words, clauses, mentions, used)
    _corrections(words, items, used)
    unknowns = _residue(cleaned, words, clauses, items, used)
    things = sorted(items + unknowns, key=lambda m: m.first)
    choice_at = {m.first for m in mentions if m.kind == CHOICE}
    topics = _quantities(words, clauses, things, used, choice_at)
    _topic_splits(words, mentions, things, topics)
    named = tuple(sorted({s for m in mentions if m.kind == SHOP for s in m.shops}))
    return _result(index, cleaned, words, things, shop, named)


def _is_question(words: list[Word]) -> bool:
    """Tell whether a message asks something rather than orders."""
    asks = any(w.question for w in words) or any(w.role == QUESTION for w in words)
    if not asks:
        return False
    orders = any(w.role == ORDER for w in words) or any(
        w.role == QTY and w.count is not None and (w.count.counter or w.kind == "digit")
        for w in words
    )
    return not orders


def _span_key(words: list[Word], first: int, size: int) -> str | None:
    span = words[first : first + size]
    if size > 1 and (
        any(w.breaks_before for w in span[1:]) or any(w.joins_after for w in span[:-1])
    ):
        return None
    return apply_variants("".join(w.key for w in span)) or None


def _open(word: Word) -> bool:
    return word.role == CONTENT


def _choice_key(index: MenuIndex, span_key: str) -> str | None:
    forms = [span_key]
    if span_key.isascii():
        forms += [span_key + "s", span_key[:-1]] if not span_key.endswith("s") else [span_key[:-1]]
    return next((form for form in forms if form in index.choice_keys), None)


def _match_at(index: MenuIndex, words: list[Word], first: int) -> Mention | None:
    """Find the longest mention starting at a word, exact names before parts and typos."""
    limit = min(MAX_SPAN, len(words) - first)
    for size in range(limit, 0, -1):
        span_key = _span_key(words, first, size)
        if span_key is None:
            continue
        span = words[first : first + size]
        all_open = all(_open(w) for w in span)
        if not _open(span[0]) and (size == 1 or (span[0].role == QTY and size > 2)):
            if not (size == 1 and span[0].role == QTY and span[0].kind == "digit"):
                continue
            span_key = span[0].alt_keys[0] if span[0].alt_keys else span_key
        last = first + size - 1
        if span_key in index.merchant_keys and all_open:
            return Mention(SHOP, first, last, key=span_key, shops=index.merchant_keys[span_key])
        found = matcher.exact(index, span_key) if all_open or size > 1 else None
        choice = _choice_key(index, span_key)
        if found is not None:
            return Mention(ITEM, first, last, key=span_key, match=found, choice_key=choice)
        if choice is not None and (all_open or size > 1 or span[0].role == QTY):
            alt = matcher.part(index, span_key) if size == 1 and all_open else None
            return Mention(CHOICE, first, last, key=span_key, match=alt, choice_key=choice)
    if words[first].text in lexicon.NOTE_CUES or words[first].text in lexicon.PART_STOP:
        return None
    latin = words[first].kind == "latin"
    for size in range(limit, 0, -1):
        span_key = _span_key(words, first, size)
        span = words[first : first + size]
        if span_key is None or not all(_open(w) for w in span):
            continue
        found = (matcher.sounds(index, span_key, exact_only=True) if latin else None) or (
            matcher.part(index, span_key)
        )
        if found is not None:
            return Mention(ITEM, first, first + size - 1, key=span_key, match=found)
    for size in range(min(3, limit), 0, -1):
        span_key = _span_key(words, first, size)
        span = words[first : first + size]
        if span_key is None or not all(_open(w) for w in span):
            continue
        found = matcher.sounds(index, span_key) or matcher.typo(index, span_key)
        if found is not None:
            return Mention(ITEM, first, first + size - 1, key=span_key, match=found)
    for alt in words[first].alt_keys:
        found = matcher.exact(index, alt) or matcher.part(index, alt) or matcher.typo(index, alt)
        if found is not None:
            return Mention(ITEM, first, first, key=alt, match=found)
    return None


def _mentions(index: MenuIndex, words: list[Word]) -> list[Mention]:
    mentions: list[Mention] = []
    position = 0
    while position < len(words):
        word = words[position]
        if word.role not in {CONTENT, QTY, EXCLUDE, EXTRA, LIGHT, FILLER} or (
            word.role != CONTENT and position + 1 >= len(words) and not word.alt_keys
        ):
            position += 1
            continue
        if word.text in TASTE and position > 0 and words[position - 1].text in SOFTENERS:
            position += 1  # "덜 맵게", "less spicy": a request, not the spicy choice
            continue
        mention = _match_at(index, words, position)
        if mention is None:
            position += 1
            continue
        mentions.append(mention)
        position = mention.last + 1
    return mentions


def _narrow(index: MenuIndex, mentions: list[Mention]) -> list[Mention]:
    """Join a name part to the next mention when together they name fewer items."""
    out: list[Mention] = []
    for mention in mentions:
        previous = out[-1] if out else None
        if (
            previous is not None
            and previous.kind in {ITEM, CHOICE}
            and mention.kind == ITEM
            and previous.last + 1 == mention.first
            and previous.match is not None
            and mention.match is not None
            and (previous.match.how != EXACT or mention.match.how != EXACT)
        ):
            left, right = set(_mention_ids(index, previous)), set(_mention_ids(index, mention))
            both = left & right
            if both and (len(both) < len(right) or len(both) < len(left)):
                joined = Mention(ITEM, previous.first, mention.last, key=mention.key,
                                 match=NameMatch(EXACT, ()), ids=sorted(both))  # fmt: skip
                out[-1] = joined
                continue
        out.append(mention)
    return out


def _number_clauses(words: list[Word], mentions: list[Mention]) -> list[int]:
    """Give each mention the number of its clause; return the clause of every word."""
    inside = {i for m in mentions for i in range(m.first + 1, m.last + 1)}
    clauses: list[int] = []
    clause = 0
    for position, word in enumerate(words):
        if position in inside:
            clauses.append(clause)
            continue
        if position > 0 and (
            word.breaks_before or words[position - 1].joins_after or word.text in BREAK_WORDS
        ):
            clause += 1
        clauses.append(clause)
    for mention in mentions:
        mention.clause = clauses[mention.first]
    return clauses


def _has_choice(index: MenuIndex, mention: Mention, choice_key: str) -> bool:
    """Tell whether some item a mention may mean has a choice with this key."""
    return any(choice_key in index.items[i].choices for i in _mention_ids(index, mention))


def _mention_ids(index: MenuIndex, mention: Mention) -> list[int]:
    if not mention.ids and mention.match is not None and mention.match.names:
        ids: set[int] = set()
        for name in mention.match.names:
            ids.update(index.names.get(name, ()))
        mention.ids = sorted(ids)
    return mention.ids


def _marker_near(
    words: list[Word], clauses: list[int], mention: Mention, used: set[int]
) -> tuple[str | None, bool]:
    """Find the amount or leave-out marker said with a choice; mark its words used."""
    after = mention.last + 1
    while after < len(words) and words[after].text in GLUE and after not in used:
        after += 1
    before = mention.first - 1
    while before >= 0 and words[before].text in GLUE and before not in used:
        before -= 1
    sides = [after, before] if words[mention.first].kind != "latin" else [before, after]
    for side in sides:
        if not 0 <= side < len(words) or side in used or words[side].role not in MARKERS:
            continue
        if clauses[side] != clauses[mention.first]:
            continue
        used.add(side)
        role = words[side].role
        return (None, True) if role == EXCLUDE else (role, False)
    if before >= 0 and words[before].text == "on" and before - 1 >= 0:
        if words[before - 1].text == "easy":
            used.update({before, before - 1})
            return LIGHT, False
    return None, False


def _attach_choices(
    index: MenuIndex,
    words: list[Word],
    clauses: list[int],
    mentions: list[Mention],
    used: set[int],
) -> list[Mention]:
    """Give each choice word to the item it belongs to; return the item mentions."""
    _items_as_choices(index, words, mentions)
    items = [m for m in mentions if m.kind == ITEM]
    choices = [m for m in mentions if m.kind == CHOICE]
    attached: list[tuple[Mention, Mention]] = []
    for choice in choices:
        assert choice.choice_key is not None  # noqa: S101 - a CHOICE always has a key
        owners = [m for m in items if _has_choice(index, m, choice.choice_key)]
        same = [m for m in owners if m.clause == choice.clause]
        owner = _nearest(same or owners, choice, prefer_after=words[choice.first].kind == "latin")
        if owner is None:
            if choice.match is not None:
                choice.kind = ITEM
                items.append(choice)
            else:
                used.difference_update(range(choice.first, choice.last + 1))
            continue
        amount, excluded = _marker_near(words, clauses, choice, used)
        if not excluded and _conflicts(index, owner, choice.choice_key):
            # "닭꼬치 소금 하나 양념 하나": a second choice of a one-choice group is a second line
            clone = Mention(ITEM, choice.first, choice.last, choice.clause, owner.key,
                            match=owner.match, ids=list(_mention_ids(index, owner)))  # fmt: skip
            clone.choices.append((choice.choice_key, amount, False))
            items.append(clone)
            continue
        owner.choices.append((choice.choice_key, amount, excluded))
        attached.append((choice, owner))
    _coordinate(words, attached)
    items.sort(key=lambda m: m.first)
    for item in items:  # "공기밥 추가", "add a coke": the marker is the order itself
        after = item.last + 1
        if after < len(words) and words[after].text in SIDE_AFTER and after not in used:
            used.add(after)
        if item.first > 0 and words[item.first - 1].text in SIDE_BEFORE:
            used.add(item.first - 1)
    return items


def _choice_ref(index: MenuIndex, mention: Mention, choice_key: str) -> ChoiceRef | None:
    for item_id in _mention_ids(index, mention):
        refs = index.items[item_id].choices.get(choice_key)
        if refs:
            return refs[0]
    return None


def _conflicts(index: MenuIndex, owner: Mention, choice_key: str) -> bool:
    """Tell whether an item already has another choice of this choice's one-choice group."""
    ref = _choice_ref(index, owner, choice_key)
    if ref is None or not ref.single:
        return False
    for other_key, _, left_out in owner.choices:
        other = _choice_ref(index, owner, other_key)
        if not left_out and other and other.group == ref.group and other.choice != ref.choice:
            return True
    return False


def _items_as_choices(index: MenuIndex, words: list[Word], mentions: list[Mention]) -> None:
    """Read an item name as a choice of the item beside it ("클래식버거 피클 빼고", "반반피자 콤비")."""
    owner: Mention | None = None
    previous: Mention | None = None
    for mention in mentions:
        if mention.kind != ITEM:
            previous = mention
            continue
        if owner is None or mention.choice_key is None:
            owner = previous = mention
            continue
        between = words[owner.last + 1 : mention.first]
        if not _has_choice(index, owner, mention.choice_key) or owner.clause != mention.clause:
            owner = previous = mention
            continue
        shops = {index.items[i].merchant for i in _mention_ids(index, owner)}
        other_shop = not {index.items[i].merchant for i in _mention_ids(index, mention)} & shops
        if not other_shop and any(w.role in {QTY, ARTICLE} or w.joins_after for w in between):
            owner = previous = mention
            continue
        after = words[mention.last + 1] if mention.last + 1 < len(words) else None
        before = words[mention.first - 1] if mention.first > 0 else None
        marked = any(w is not None and w.role in {EXCLUDE, LIGHT} for w in (after, before))
        chained = previous is not None and previous.kind == CHOICE
        if marked or other_shop or chained or all(w.text in GLUE for w in between):
            mention.kind = CHOICE
            previous = mention
            continue
        owner = previous = mention


def _coordinate(words: list[Word], attached: list[tuple[Mention, Mention]]) -> None:
    """Share a leave-out between coordinated choices ("토마토랑 양파 빼고", "no onion or tomato")."""
    for (first, owner), (second, second_owner) in itertools.pairwise(attached):
        if owner is not second_owner or second.first - first.last > 2:
            continue
        between = [w.text for w in words[first.last + 1 : second.first]]
        linked = words[first.last].joins_after or any(t in {"and", "or", "&"} for t in between)
        if not linked:
            continue
        index_a = _choice_slot(owner, first.choice_key)
        index_b = _choice_slot(owner, second.choice_key)
        if index_a is None or index_b is None:
            continue
        a = owner.choices[index_a]
        b = owner.choices[index_b]
        if b[2] and not a[2] and a[1] is None and words[first.first].kind != "latin":
            owner.choices[index_a] = (a[0], None, True)
        elif a[2] and not b[2] and b[1] is None and words[first.first].kind == "latin":
            owner.choices[index_b] = (b[0], None, True)


def _choice_slot(owner: Mention, choice_key: str | None) -> int | None:
    for slot in range(len(owner.choices) - 1, -1, -1):
        if owner.choices[slot][0] == choice_key:
            return slot
    return None


def _nearest(candidates: list[Mention], mention: Mention, prefer_after: bool) -> Mention | None:
    if not candidates:
        return None

    def distance(other: Mention) -> tuple[int, int]:
        if other.first > mention.last:
            gap = other.first - mention.last
            return gap, 0 if prefer_after else 1
        gap = mention.first - other.last
        return gap, 1 if prefer_after else 0

    return min(candidates, key=distance)


def _cancel(items: list[Mention], target: Mention) -> None:
    """Take back an item and every earlier mention of the same thing."""
    for mention in items:
        if mention.last <= target.last and mention.match == target.match:
            mention.cancelled = True


def _corrections(words: list[Word], items: list[Mention], used: set[int]) -> None:
    """Drop the items a correction takes back ("짬뽕 말고 짜장면", "not the coke")."""
    for position, word in enumerate(words):
        if word.role == EXCLUDE and position not in used:
            before = [m for m in items if m.last < position and position - m.last <= 2]
            same = [
                m for m in before if any(o.match == m.match for o in items if o.first > position)
            ]
            if same:
                used.add(position)
                same[-1].cancelled = True
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
            if later and _only_glue_between(words, position, later[0].first):
                used.add(position)
                later[0].cancelled = True
            continue
        earlier = [m for m in items if m.last < position and position - m.last <= 3]
        if earlier:
            used.add(position)
            _cancel(items, earlier[-1])


def _residue(
    cleaned: str, words: list[Word], clauses: list[int], items: list[Mention], used: set[int]
) -> list[Mention]:
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
    unknowns: list[Mention] = []
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
            unknowns.append(Mention(UNKNOWN, trimmed[0], trimmed[-1], clause, text=text))
            unknowns[-1].cancelled = True  # kept only if a count is said with it
            continue
        unknowns.append(Mention(UNKNOWN, trimmed[0], trimmed[-1], clause, text=text))
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
        if word.kind == "hangul" and word.text.endswith(("게", "서", "지")):
            return True
    return False


def _note_target(items: list[Mention], position: int, clause: int) -> Mention | None:
    live = [m for m in items if not m.cancelled]
    same = [m for m in live if m.clause == clause]
    before = [m for m in same if m.last < position]
    if before:
        return before[-1]
    if same:
        return same[0]
    earlier = [m for m in live if m.last < position]
    if earlier:
        return earlier[-1]
    return live[0] if live else None


def _count_of(words: list[Word], position: int) -> tuple[int, bool, bool, int] | None:
    """Read the count at a word: (value, each, topic, last word used), or None."""
    word = words[position]
    following = words[position + 1] if position + 1 < len(words) else None
    if word.role == QTY and word.count is not None:
        value, each, topic, last = word.count.value, word.count.each, word.count.topic, position
        if following is not None and following.role == QTY and following.count is not None:
            if following.count.value == 0:  # a counter after an English number
                return value, following.count.each, following.count.topic, position + 1
        if following is not None and following.role == EACH:
            return value, True, topic, position + 1
        if following is not None and following.role == X:
            return value, each, topic, position + 1
        return value, each, topic, last
    if word.role == ARTICLE and following is not None:
        if following.role == QTY and following.count is not None and following.kind == "latin":
            return following.count.value, False, False, position + 1
        return 1, False, False, position
    if word.role == X and following is not None and following.role == QTY:
        count = following.count
        if count is not None:
            return count.value, count.each, False, position + 1
    if word.role == FOR and following is not None and following.role == QTY:
        count = following.count
        if count is not None:
            return count.value, False, False, position + 1
    if word.text == "half" and following is not None and following.role == ARTICLE:
        if position + 2 < len(words) and words[position + 2].text == "dozen":
            return 6, False, False, position + 2
    return None


def _quantities(
    words: list[Word],
    clauses: list[int],
    things: list[Mention],
    used: set[int],
    choice_at: set[int],
) -> list[tuple[int, int]]:
    """Give each count to the item it counts; return the topic counts (하나는 ...)."""
    topics: list[tuple[int, int]] = []
    each_counts: list[tuple[int, int]] = []
    position = 0
    while position < len(words):
        if position in used:
            position += 1
            continue
        read = _count_of(words, position)
        if read is None:
            if words[position].role == EACH and position > 0:
                pass
            position += 1
            continue
        value, each, topic, last = read
        used.update(range(position, last + 1))
        word = words[position]
        if not topic and word.kind in {"latin", "digit"} and word.role != ARTICLE:
            ahead = last + 1
            while ahead < len(words) and words[ahead].text in {"of", "them", "those", "these"}:
                ahead += 1
            lone = not any(m.clause == clauses[position] and m.kind == ITEM for m in things)
            topic = ahead in choice_at and lone
        if topic:
            topics.append((position, value))
        elif each:
            each_counts.append((position, value))
        else:
            _give_count(words, clauses[position], things, position, last, value)
        position = last + 1
    for position, value in each_counts:
        _give_each(words, things, position, value)
    return topics


def _give_count(
    words: list[Word], clause: int, things: list[Mention], position: int, last: int, value: int
) -> None:
    word = words[position]
    before = [m for m in things if m.last < position and m.clause == clause]
    after = [m for m in things if m.first > last and m.clause == clause]
    forward_style = word.role in {ARTICLE, X} or word.kind in {"latin", "digit"}
    next_open = after[0] if after and after[0].quantity is None else None
    if word.role == FOR:
        forward_style = False
    if next_open is not None and _only_glue_between(words, last, next_open.first):
        open_items = [m for m in before if m.quantity is None and m.kind == ITEM]
        english = word.kind == "latin" and word.role == QTY  # "two rice": counts what follows
        if word.role == ARTICLE or english or (forward_style and not open_items):
            next_open.quantity = value
            return
    if word.role == ARTICLE:
        return
    open_before = [m for m in before if m.quantity is None]
    if open_before:
        open_before[-1].quantity = value
        return
    if next_open is not None:
        next_open.quantity = value
        return
    earlier = [m for m in things if m.last < position]
    if earlier and earlier[-1].quantity is None:
        earlier[-1].quantity = value


def _only_glue_between(words: list[Word], last: int, first: int) -> bool:
    """Tell whether only choice words, counters or glue stand between a count and an item."""
    return (
        all(
            words[i].role in {CONTENT, FILLER} or words[i].text in GLUE
            for i in range(last + 1, first)
        )
        and first - last <= 4
    )


def _give_each(words: list[Word], things: list[Mention], position: int, value: int) -> None:
    before = [m for m in things if m.last < position]
    open_before: list[Mention] = []
    for mention in reversed(before):
        if mention.quantity is not None:
            break
        open_before.append(mention)
    targets = open_before or [m for m in things if m.first > position and m.quantity is None]
    for mention in targets:
        mention.quantity = value


def _topic_splits(
    words: list[Word],
    mentions: list[Mention],
    things: list[Mention],
    topics: list[tuple[int, int]],
) -> None:
    """Split off "하나는 양념" from the item counted before it."""
    for position, value in topics:
        base = [m for m in things if m.last < position and m.kind == ITEM and not m.cancelled]
        if not base:
            continue
        parent = base[-1]
        total = parent.quantity or 1
        if total <= value:
            continue
        later = [m for m in mentions if m.first > position]
        if not later:
            continue
        target = later[0]
        if target.kind == ITEM and target is not parent and target.quantity is None:
            target.quantity = value
            target.inherit = parent
            parent.quantity = total - value
            continue
        if target.kind == CHOICE:
            moved = [c for c in parent.choices if c[0] == target.choice_key]
            if moved:
                parent.choices = [c for c in parent.choices if c[0] != target.choice_key]
                parent.splits.append((value, moved))
                parent.quantity = total - value


def _result(
    index: MenuIndex,
    cleaned: str,
    words: list[Word],
    things: list[Mention],
    shop: int | None,
    named: tuple[int, ...],
) -> ParseResult:
    live = [m for m in things if not m.cancelled]
    items = [m for m in live if m.kind == ITEM]
    unknowns = [m for m in things if m.kind == UNKNOWN and not m.cancelled]
    unknowns += [m for m in things if m.kind == UNKNOWN and m.cancelled and m.quantity]
    ordering = any(w.role in {ORDER, QTY, ARTICLE} for w in words) or bool(items)
    per_item: dict[int, dict[int, list[int]]] = {}
    unmatched: list[Unmatched] = []
    for mention in items:
        ids = [
            i
            for i in _mention_ids(index, mention)
            if shop is None or index.items[i].merchant == shop
        ]
        if shop is None and named:
            in_named = [i for i in ids if index.items[i].merchant in named]
            if not in_named and mention.key:  # "바삭치킨 fries": the shop's own fries
                in_named = [i for i in _part_ids(index, mention) if index.items[i].merchant in named]
            ids = in_named or ids
        if shop is not None and not ids and mention.key:  # 바삭카츠 "돈까스": its 돈까스 dishes
            ids = [i for i in _part_ids(index, mention) if index.items[i].merchant == shop]
        if not ids:
            mention.text = cleaned[words[mention.first].start : words[mention.last].end]
            unmatched.append(Unmatched(mention.text, mention.quantity or 1))
            continue
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
        quantity = mention.quantity or 1
        if len(ids) != 1:
            text = cleaned[words[mention.first].start : words[mention.last].end]
            candidates = tuple(
                Candidate(index.merchants[index.items[i].merchant].code, index.items[i].code)
                for i in sorted(ids)[:MAX_CANDIDATES]
            )
            ambiguous.append(Ambiguous(text, quantity, candidates))
            continue
        item_id = ids[0]
        choices = list(mention.choices)
        if mention.inherit is not None:
            choices = [c for c in mention.inherit.choices if not c[2]] + choices
        lines.append(_line(index, item_id, quantity, choices, mention.notes))
        for split_quantity, moved in mention.splits:
            lines.append(_line(index, item_id, split_quantity, choices + moved, mention.notes))
    if ordering:
        unmatched += [Unmatched(m.text, m.quantity or 1) for m in unknowns]
    return ParseResult(tuple(_merge(lines)), tuple(unmatched), tuple(ambiguous))


def _part_ids(index: MenuIndex, mention: Mention) -> list[int]:
    """Return the items a mention's words name as a part of their names."""
    part = matcher.part(index, mention.key)
    return _mention_ids(index, Mention(ITEM, 0, 0, match=part)) if part else []


def _choose_shops(items: list[Mention], per_item: dict[int, dict[int, list[int]]]) -> None:
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
            merged[same] = Line(old.merchant, old.item, old.quantity + line.quantity,
                                old.options, old.excluded, old.note)  # fmt: skip
        else:
            merged[same] = line
    return list(merged.values())
