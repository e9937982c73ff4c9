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

from bot.nlu import counting, lines, mentions, modifiers
from bot.nlu.index import MenuIndex, ParseError
from bot.nlu.matcher import EXACT
from bot.nlu.normalize import clean
from bot.nlu.result import ParseResult
from bot.nlu.words import (
    ARTICLE,
    DELIVERY,
    ORDER,
    QTY,
    QUESTION,
    Word,
    read,
)

POSSIBLE = {
    "가능한가요",
    "가능해요",
    "가능할까요",
    "되나요",
    "돼요",
    "되요",
    "될까요",
    "있나요",
    "있어요",
}
WH_WORDS = {"how", "what", "which", "why", "when", "where", "whats", "언제", "어디", "뭐", "무엇"}
MAX_CHARS = 4096  # Telegram's longest message; the rest of a longer text is not read


def parse(text: str, index: MenuIndex, merchant: str | None = None) -> ParseResult:
    """Parse a chat message into order lines, unmatched and ambiguous phrases."""
    shop: int | None = None
    if merchant is not None:
        if merchant not in index.merchant_codes:
            raise ParseError(f"unknown merchant {merchant!r}")
        shop = index.merchant_codes[merchant]
    cleaned = clean(text[:MAX_CHARS])
    words = read(index, cleaned)
    if not words or _is_question(words):
        return ParseResult()
    found = mentions.narrow(index, mentions.find(index, words, shop))
    clauses = mentions.number_clauses(words, found)
    delivery = {clauses[i] for i, w in enumerate(words) if w.role == DELIVERY}
    for mention in found:  # "ring the bell" is no order of onion rings
        if mention.clause in delivery and mention.match and mention.match.how != EXACT:
            mention.kind = mentions.UNKNOWN
    used = {i for m in found for i in range(m.first, m.last + 1)}
    items = modifiers.attach_choices(index, words, clauses, found, used)
    modifiers.corrections(words, items, used)
    unknowns = modifiers.residue(cleaned, words, clauses, items, used)
    things = sorted(items + unknowns, key=lambda m: m.first)
    choice_at = {m.first for m in found if m.kind == mentions.CHOICE}
    topics = counting.assign(words, clauses, things, used, choice_at)
    counting.topic_splits(words, found, things, topics)
    named = {s for m in found if m.kind == mentions.SHOP for s in m.shops}
    return lines.build(index, cleaned, words, things, shop, named)


def _is_question(words: list[Word]) -> bool:
    """Tell whether a message asks something rather than orders."""
    asks = any(w.question for w in words) or any(w.role == QUESTION for w in words)
    if not asks:
        return False
    counted = any(w.role in {QTY, ARTICLE} for w in words)
    if not counted and any(w.text in POSSIBLE for w in words):
        return True  # "족발 지금 주문 가능한가요?": asks whether, orders nothing yet
    if any(w.role == ORDER for w in words):
        return False
    marked = any(w.question for w in words) or words[0].text in WH_WORDS
    if any(w.text.startswith("얼마") for w in words) or (
        marked and any(w.text in WH_WORDS for w in words)
    ):
        return True  # "how spicy is level 3 malatang?", "짜장면 두 개 얼마예요?"
    return not any(w.role == QTY and w.kind in {"hangul", "digit"} for w in words)
