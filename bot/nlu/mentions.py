"""Find the stretches of words that name items, choices and shops, and number clauses."""

from dataclasses import dataclass, field

from bot.nlu import lexicon, matcher
from bot.nlu.index import ChoiceRef, MenuIndex
from bot.nlu.matcher import EXACT, NameMatch
from bot.nlu.normalize import apply_variants, skeleton
from bot.nlu.words import (
    CONTENT,
    EXCLUDE,
    EXTRA,
    FILLER,
    LIGHT,
    QTY,
    Word,
)

MAX_SPAN = 6
ITEM, CHOICE, SHOP, UNKNOWN = "item", "choice", "shop", "unknown"


GLUE = {"the", "some", "of", "on", "with", "좀", "a", "an", "my", "your"}


COMPONENTS = {"소스", "sauce", "국물", "soup", "양념", "면", "noodles"}
TASTE = {
    "spicy",
    "매운",
    "매운맛",
    "매콤",
    "hot",
    "핫",
    "맵게",
    "맵고",
    "salty",
    "짜게",
    "sweet",
    "달게",
    "oily",
    "느끼하게",
    "짜지",
    "맵지",
}


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
    shop: int | None = None  # the shop the message is read against, when one is given
    choice_keys: frozenset[str] | None = None  # every choice key of the items it may mean
    inherit: "Mention | None" = None  # "하나는 양념": takes the options of this mention
    splits: list[tuple[int, list[tuple[str, str | None, bool]]]] = field(default_factory=list)


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
        forms.append(span_key[:-1] if span_key.endswith("s") else span_key + "s")
    return next((form for form in forms if form in index.choice_keys), None)


def _item_reading(index: MenuIndex, span: list[Word]) -> NameMatch | None:
    """Read a choice word as an item too ("양념으로" is also 양념치킨), for use without owner."""
    for alt in span[0].alt_keys:
        found = matcher.exact(index, alt)
        if found is not None:
            return found
    return matcher.part(index, span[0].key)


def _slip(index: MenuIndex, words: list[Word], first: int) -> Mention | None:
    """Find an English name of two or three words typed with a slip, starting at a word."""
    for size in range(min(3, len(words) - first), 1, -1):
        span_key = _span_key(words, first, size)
        if span_key is None or not all(_open(w) for w in words[first : first + size]):
            continue
        found = matcher.sounds(index, span_key)
        if found is not None and found.how != EXACT:
            return Mention(ITEM, first, first + size - 1, key=span_key, match=found)
    return None


def _sold(index: MenuIndex, found: NameMatch | None, shop: int | None) -> NameMatch | None:
    """Keep a name match only when the given shop sells one of its names."""
    if found is None or shop is None:
        return found
    if any(index.ids_in(index.names.get(name, []), shop) for name in found.names):
        return found
    return None


def _match_at(index: MenuIndex, words: list[Word], first: int, shop: int | None) -> Mention | None:
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
        keys = [span_key]
        if size > 1:  # "마늘 양념으로": the last word without its particle
            head = apply_variants("".join(w.key for w in span[:-1]))
            keys += [head + alt for alt in span[-1].alt_keys]
        for span_key in keys:
            if span_key in index.merchant_keys and all_open:
                shops = index.merchant_keys[span_key]
                return Mention(SHOP, first, last, key=span_key, shops=shops)
            found = (
                _sold(index, matcher.exact(index, span_key), shop)
                if all_open or size > 1
                else None
            )
            choice = _choice_key(index, span_key)
            if found is not None:
                return Mention(ITEM, first, last, key=span_key, match=found, choice_key=choice)
            if choice is None and size == 1 and span_key.isascii() and span_key.isalpha():
                choice = index.choice_sounds.get(skeleton(span_key))  # "daeja": 대자
            if choice is not None and (all_open or size > 1 or span[0].role == QTY):
                if (
                    size == 1
                    and span[0].kind == "latin"
                    and (longer := _slip(index, words, first))
                ):
                    return longer  # "kimchi fried rise": not the kimchi choice
                alt = _item_reading(index, span) if size == 1 and all_open else None
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
        if found is None and 2 <= size <= 3:  # "kimchi fried rise": a slip in a long name
            found = matcher.sounds(index, span_key) or matcher.typo(index, span_key)
        if found is not None:
            return Mention(ITEM, first, first + size - 1, key=span_key, match=found)
    span_key = words[first].key
    if _open(words[first]):
        found = matcher.sounds(index, span_key) or matcher.typo(index, span_key)
        if found is not None:
            return Mention(ITEM, first, first, key=span_key, match=found)
    for alt in words[first].alt_keys:
        found = matcher.exact(index, alt) or matcher.part(index, alt) or matcher.typo(index, alt)
        if found is not None:
            return Mention(ITEM, first, first, key=alt, match=found)
    return None


def find(index: MenuIndex, words: list[Word], shop: int | None = None) -> list[Mention]:
    """Find the mentions of a message, longest first, left to right."""
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
        mention = _match_at(index, words, position, shop)
        if mention is None:
            position += 1
            continue
        if _unknown_kind(words, mention, mentions) or _component(words, mention, mentions):
            position = mention.last + 1  # "sushi roll" is no roll of ours; "짜장 소스"
            continue
        mention.shop = shop
        mentions.append(mention)
        position = mention.last + 1
    return _drop_unknown_runs(words, mentions)


def _component(words: list[Word], mention: Mention, before: list[Mention]) -> bool:
    """Tell whether a name after an item names a component of it ("볶음밥, 짜장 소스 많이")."""
    if mention.kind != ITEM or not any(m.kind == ITEM for m in before):
        return False
    following = words[mention.last + 1] if mention.last + 1 < len(words) else None
    return following is not None and following.text in COMPONENTS and not following.breaks_before


def _drop_unknown_runs(words: list[Word], mentions: list[Mention]) -> list[Mention]:
    """Drop name parts in a run of English words that holds an unknown word ("caesar salad")."""
    covered = {i for m in mentions for i in range(m.first, m.last + 1)}
    drop: set[int] = set()
    start = 0
    while start < len(words):
        stop = start
        while (
            stop + 1 < len(words)
            and words[stop + 1].kind == "latin"
            and words[stop].kind == "latin"
            and not words[stop + 1].breaks_before
            and words[stop + 1].role == CONTENT
            and words[stop].role == CONTENT
        ):
            stop += 1
        inside = [m for m in mentions if start <= m.first and m.last <= stop]
        unknown = any(
            words[i].role == CONTENT and i not in covered for i in range(start, stop + 1)
        )
        loose = all(
            m.kind == CHOICE or (m.kind == ITEM and m.match and m.match.how != EXACT)
            for m in inside
        )
        if stop > start and unknown and inside and loose:
            drop.update(id(m) for m in inside)
        start = stop + 1
    return [m for m in mentions if id(m) not in drop]


def _unknown_kind(words: list[Word], mention: Mention, before: list[Mention]) -> bool:
    """Tell whether an English name part follows an unknown word that makes another dish."""
    if mention.kind != ITEM or mention.match is None or mention.match.how == EXACT:
        return False
    first = mention.first
    if first == 0 or words[first].kind != "latin" or words[first].breaks_before:
        return False
    previous = words[first - 1]
    taken = any(m.first <= first - 1 <= m.last for m in before)
    return previous.kind == "latin" and previous.role == CONTENT and not taken


def narrow(index: MenuIndex, mentions: list[Mention]) -> list[Mention]:
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
            left, right = set(ids_of(index, previous)), set(ids_of(index, mention))
            both = left & right
            if both and (len(both) < len(right) or len(both) < len(left)):
                joined = Mention(
                    ITEM,
                    previous.first,
                    mention.last,
                    key=mention.key,
                    match=NameMatch(EXACT, ()),
                    ids=sorted(both),
                    shop=mention.shop,
                )
                out[-1] = joined
                continue
        if (
            previous is not None
            and previous.kind == ITEM
            and mention.kind == ITEM
            and previous.last + 1 == mention.first
            and previous.key
            and mention.key
            and not previous.key.isascii()
        ):  # "돈까쓰 김밥": one name, typed apart and with a slip
            whole = matcher.exact(index, previous.key + mention.key) or matcher.typo(
                index, previous.key + mention.key
            )
            if whole is not None and len(whole.names) == 1:
                out[-1] = Mention(
                    ITEM,
                    previous.first,
                    mention.last,
                    key=previous.key + mention.key,
                    match=whole,
                    shop=mention.shop,
                )
                continue
        out.append(mention)
    return out


def number_clauses(words: list[Word], mentions: list[Mention]) -> list[int]:
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


def has_choice(index: MenuIndex, mention: Mention, choice_key: str) -> bool:
    """Tell whether some item a mention may mean has a choice with this key."""
    if mention.choice_keys is None:
        if mention.match is not None and mention.match.names and mention.shop is None:
            keys = [index.name_choices.get(name, frozenset()) for name in mention.match.names]
        else:
            tables = {id(t): t for t in (index.items[i].choices for i in ids_of(index, mention))}
            keys = [frozenset(t) for t in tables.values()]
        mention.choice_keys = frozenset().union(*keys)
    return choice_key in mention.choice_keys


def ids_of(index: MenuIndex, mention: Mention) -> list[int]:
    """Return the ids of the items a mention may mean (in its shop, when one is given)."""
    if not mention.ids and mention.match is not None and mention.match.names:
        ids: set[int] = set()
        for name in mention.match.names:
            ids.update(index.ids_in(index.names.get(name, []), mention.shop))
        mention.ids = sorted(ids)
    return mention.ids


def choice_ref(index: MenuIndex, mention: Mention, choice_key: str) -> ChoiceRef | None:
    for item_id in ids_of(index, mention):
        refs = index.items[item_id].choices.get(choice_key)
        if refs:
            return refs[0]
    return None
