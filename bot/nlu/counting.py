"""Give each count of a message to the thing it counts (하나씩, "two each", 하나는 ...)."""

from bot.nlu import mentions
from bot.nlu.words import (
    ARTICLE,
    CONTENT,
    COUNTER,
    EACH,
    FILLER,
    FOR,
    QTY,
    Word,
    X,
)


def _count_of(words: list[Word], position: int) -> tuple[int, bool, bool, int] | None:
    """Read the count at a word, with the measure words after it ("2 orders of")."""
    read = _count_at(words, position)
    if read is None:
        return None
    value, each, topic, last = read
    while last + 1 < len(words) and (
        words[last + 1].role == COUNTER or (words[last + 1].text == "of" and last > position)
    ):
        last += 1
    return value, each, topic, last


def _count_at(words: list[Word], position: int) -> tuple[int, bool, bool, int] | None:
    """Read the count at one word: (value, each, topic, last word used), or None."""
    word = words[position]
    following = words[position + 1] if position + 1 < len(words) else None
    if word.role == QTY and word.count is not None:
        value, each, topic, last = word.count.value, word.count.each, word.count.topic, position
        if (
            following is not None
            and following.role == QTY
            and following.count is not None
            and following.count.value == 0  # a counter after an English number
        ):
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
    if (
        word.text == "half"
        and following is not None
        and following.role == ARTICLE
        and position + 2 < len(words)
        and words[position + 2].text == "dozen"
    ):
        return 6, False, False, position + 2
    return None


def assign(
    words: list[Word],
    clauses: list[int],
    things: list[mentions.Mention],
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
            position += 1
            continue
        value, each, topic, last = read
        used.update(range(position, last + 1))
        word = words[position]
        if not topic and word.kind in {"latin", "digit"} and word.role != ARTICLE:
            ahead = last + 1
            while ahead < len(words) and words[ahead].text in {"of", "them", "those", "these"}:
                ahead += 1
            lone = not any(
                m.clause == clauses[position] and m.kind == mentions.ITEM for m in things
            )
            counted = [m for m in things if m.last < position and m.kind == mentions.ITEM]
            more = (
                bool(counted) and (counted[-1].quantity or 1) > value
            )  # "two pepperoni one large"
            topic = ahead in choice_at and (lone or more)
        if topic:
            topics.append((position, value))
        elif each:
            each_counts.append((position, value))
        elif _restates(words, position) and [m for m in things if m.last < position]:
            [m for m in things if m.last < position][-1].quantity = value  # "두개 아니 세개"
        else:
            _give_count(words, clauses[position], things, position, last, value)
        position = last + 1
    for position, value in each_counts:
        _give_each(words, things, position, value)
    return topics


def _restates(words: list[Word], position: int) -> bool:
    """Tell whether a count corrects the one before it ("두개 아니 세개", "make it 3")."""
    before = [w.text for w in words[max(0, position - 2) : position]]
    return bool(before) and (
        before[-1] in RESTATE or before[-2:] in (["make", "it"], ["make", "that"])
    )


RESTATE = {"아니", "아니요", "아뇨", "아니다", "아니아니", "wait", "actually", "sorry"}


def _give_count(
    words: list[Word],
    clause: int,
    things: list[mentions.Mention],
    position: int,
    last: int,
    value: int,
) -> None:
    word = words[position]
    before = [m for m in things if m.last < position and m.clause == clause]
    after = [m for m in things if m.first > last and m.clause == clause]
    forward_style = word.role in {ARTICLE, X} or word.kind in {"latin", "digit"}
    next_open = after[0] if after and after[0].quantity is None else None
    if word.role == FOR:
        forward_style = False
    if next_open is not None and only_glue_between(words, last, next_open.first):
        open_items = [m for m in before if m.quantity is None and m.kind == mentions.ITEM]
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


def only_glue_between(words: list[Word], last: int, first: int) -> bool:
    """Tell whether only choice words, counters or glue stand between a count and an item."""
    return (
        all(
            words[i].role in {CONTENT, FILLER} or words[i].text in mentions.GLUE
            for i in range(last + 1, first)
        )
        and first - last <= 4
    )


def _give_each(
    words: list[Word], things: list[mentions.Mention], position: int, value: int
) -> None:
    before = [m for m in things if m.last < position]
    open_before: list[mentions.Mention] = []
    for mention in reversed(before):
        if mention.quantity is not None:
            break
        open_before.append(mention)
    targets = open_before or [m for m in things if m.first > position and m.quantity is None]
    for mention in targets:
        mention.quantity = value


def topic_splits(
    words: list[Word],
    found: list[mentions.Mention],
    things: list[mentions.Mention],
    topics: list[tuple[int, int]],
) -> None:
    """Split off "하나는 양념" from the item counted before it."""
    for position, value in topics:
        base = [
            m for m in things if m.last < position and m.kind == mentions.ITEM and not m.cancelled
        ]
        if not base:
            continue
        parent = base[-1]
        total = parent.quantity or 1
        if total < value:
            continue
        later = [m for m in found if m.first > position]
        if not later:
            continue
        target = later[0]
        clone = next((m for m in things if m.first == target.first and m is not target), None)
        if target.kind == mentions.CHOICE and clone is not None and clone.quantity is None:
            target = clone  # "two pepperoni one large one regular": the second size split off
        if total == value and target.kind == mentions.ITEM and target.match != parent.match:
            continue  # "하나는 양념" needs more than one to split
        if target.kind == mentions.ITEM and target is not parent and target.quantity is None:
            target.quantity = value
            target.inherit = parent
            parent.quantity = total - value
            continue
        if target.kind == mentions.CHOICE:
            moved = [c for c in parent.choices if c[0] == target.choice_key]
            if moved:
                parent.choices = [c for c in parent.choices if c[0] != target.choice_key]
                parent.splits.append((value, moved))
                parent.quantity = total - value
