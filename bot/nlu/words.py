"""Turn tokens into words with a role (content, count, marker, filler); split run-on Hangul."""

from dataclasses import dataclass, replace
from functools import lru_cache

from bot.nlu import lexicon, matcher
from bot.nlu.index import MenuIndex
from bot.nlu.normalize import Token, is_choseong_only, key, tokenize
from bot.nlu.quantities import (
    COUNTERS,
    EN_COUNTERS,
    EN_NUMBERS,
    SUFFIXES,
    Count,
    counter_word,
    digits,
    hangul_count,
)

CONTENT, QTY, ARTICLE = "content", "qty", "article"
EXTRA, LIGHT, EXCLUDE, CORRECT, EACH = "extra", "light", "exclude", "correct", "each"
FILLER, ORDER, QUESTION, DELIVERY, FOR, X = "filler", "order", "question", "delivery", "for", "x"
COUNTER = "counter"  # an English measure word ("orders", "bowls") after a count
VERB = "verb"  # an open verb form ("튀겨주세요"): part of a note, never an item
MARKERS = frozenset({EXTRA, LIGHT, EXCLUDE})
MAX_SPLIT = 24  # longest Hangul run worth splitting into known pieces
VERB_ENDINGS = ("요", "다", "죠", "니다", "세요", "네요", "어", "까")


@dataclass(frozen=True, slots=True)
class Word:
    """One word of the message: its stem, key, place in the text and role."""

    text: str
    key: str
    start: int
    end: int
    kind: str
    role: str
    breaks_before: bool = False  # a clause starts here
    joins_after: bool = False  # "짜장이랑": a clause starts after it
    question: bool = False
    count: Count | None = None
    alt_keys: tuple[str, ...] = ()  # keys with a particle taken off, for typo look-up
    slang: bool = False


def closed_role(word: str) -> str | None:
    """Return the role of a word from the closed lists, or None for an open word."""
    for role, words in (
        (EXCLUDE, lexicon.EXCLUDE),
        (EXTRA, lexicon.EXTRA),
        (LIGHT, lexicon.LIGHT),
        (CORRECT, lexicon.CORRECT),
        (EACH, lexicon.EACH),
        (QUESTION, lexicon.QUESTION),
        (ORDER, lexicon.ORDER),
        (DELIVERY, lexicon.DELIVERY),
        (FILLER, lexicon.FILLER),
    ):
        if word in words:
            return role
    if word.startswith("몇") and len(word) > 1:  # 몇 시, 몇인분이에요: how many / what time
        return QUESTION
    return None


def _piece_role(index: MenuIndex, piece: str) -> tuple[str, Count | None] | None:
    """Return the role of a piece of a Hangul word when it is known, else None."""
    if index.known(key(piece)) or piece in lexicon.SLANG:
        return CONTENT, None
    count = hangul_count(piece)
    if count is not None:
        return QTY, count
    role = closed_role(piece)
    if role is not None:
        return role, None
    return None


def _split(index: MenuIndex, text: str) -> list[tuple[int, int, str, Count | None]] | None:
    """Cover a run-together Hangul word with known pieces (후라이드두마리); None if it can't."""
    size = len(text)
    if size > MAX_SPLIT:
        return None
    longest = min(max(index.max_key_len, 6), size)
    # best[i]: (unknown characters, pieces, pieces list) covering text[:i]
    best: list[tuple[int, int, list[tuple[int, int, str, Count | None]]] | None] = [None] * (
        size + 1
    )
    best[0] = (0, 0, [])
    for start in range(size):
        here = best[start]
        if here is None:
            continue
        unknown, count, pieces = here
        for stop in range(start + 1, min(size, start + longest) + 1):
            piece = text[start:stop]
            role = _piece_role(index, piece)
            if role is None and piece in lexicon.PARTICLES and pieces:
                role = ("particle", None)
            if role is None:
                continue
            if role[0] == CONTENT and len(piece) < 2:
                continue
            candidate = (unknown, count + 1, [*pieces, (start, stop, role[0], role[1])])
            current = best[stop]
            if current is None or candidate[:2] < current[:2]:
                best[stop] = candidate
        # an unknown character
        candidate = (unknown + 1, count + 1, [*pieces, (start, start + 1, "?", None)])
        current = best[start + 1]
        if current is None or candidate[:2] < current[:2]:
            best[start + 1] = candidate
    final = best[size]
    if final is None or len(final[2]) < 2:
        return None
    pieces = _merge_unknown(final[2])
    known_content = [p for p in pieces if p[2] == CONTENT]
    unknown = [p for p in pieces if p[2] == "?"]
    if unknown and (known_content or any(p[1] - p[0] < 2 for p in unknown)):
        return None
    if unknown and not any(p[2] in {QTY, EXTRA, LIGHT, EXCLUDE, CORRECT} for p in pieces):
        return None
    return pieces


def _merge_unknown(
    pieces: list[tuple[int, int, str, Count | None]],
) -> list[tuple[int, int, str, Count | None]]:
    merged: list[tuple[int, int, str, Count | None]] = []
    for piece in pieces:
        if merged and piece[2] == "?" and merged[-1][2] == "?":
            merged[-1] = (merged[-1][0], piece[1], "?", None)
        else:
            merged.append(piece)
    return merged


def _hangul(index: MenuIndex, token: Token) -> list[Word]:
    """Read one Hangul token as one word, or several when it runs words together."""
    text = token.text
    base = Word(
        text,
        key(text),
        token.start,
        token.end,
        "hangul",
        CONTENT,
        token.breaks_before,
        False,
        token.question,
    )
    if index.known(key(text)) or text in lexicon.SLANG:
        stems = tuple(
            key(text[: -len(p)])
            for p in lexicon.PARTICLES
            if text.endswith(p) and len(text) > len(p)
        )
        return [replace(base, alt_keys=stems)]
    count = hangul_count(text)
    if count is not None:
        return [replace(base, role=QTY, count=count)]
    role = closed_role(text)
    if role is not None:
        return [replace(base, role=role)]
    for particle in lexicon.PARTICLES:
        if not text.endswith(particle) or len(text) <= len(particle):
            continue
        stem = text[: -len(particle)]
        found = _piece_role(index, stem)
        if found is None:
            continue
        joins = particle in lexicon.JOINING_PARTICLES
        end = token.start + len(stem)
        return [
            replace(
                base,
                text=stem,
                key=key(stem),
                end=end,
                role=found[0],
                count=found[1],
                joins_after=joins,
            )
        ]
    pieces = _split(index, text)
    if pieces is not None:
        return _pieces(token, pieces)
    stems = tuple(
        key(text[: -len(p)])
        for p in lexicon.PARTICLES
        if text.endswith(p) and len(text) - len(p) >= 2
    )
    joins = any(text.endswith(p) for p in lexicon.JOINING_PARTICLES) and len(text) > 2
    if text.endswith(VERB_ENDINGS) and matcher.typo(index, key(text)) is None:
        return [replace(base, role=VERB)]
    return [replace(base, alt_keys=stems, joins_after=joins)]


def _pieces(token: Token, pieces: list[tuple[int, int, str, Count | None]]) -> list[Word]:
    words: list[Word] = []
    for start, stop, role, count in pieces:
        piece = token.text[start:stop]
        if role == "particle":
            if words:
                words[-1] = replace(words[-1], joins_after=piece in lexicon.JOINING_PARTICLES)
            continue
        words.append(
            Word(
                piece,
                key(piece),
                token.start + start,
                token.start + stop,
                "hangul",
                CONTENT if role == "?" else role,
                token.breaks_before and not words,
                False,
                token.question and stop == len(token.text),
                count,
            )
        )
    return words


def _latin(index: MenuIndex, token: Token) -> Word:
    text = token.text
    base = Word(
        text,
        key(text),
        token.start,
        token.end,
        "latin",
        CONTENT,
        token.breaks_before,
        False,
        token.question,
    )
    if text in {"a", "an"}:
        return replace(base, role=ARTICLE)
    if text in EN_NUMBERS:
        return replace(base, role=QTY, count=Count(EN_NUMBERS[text], False, False))
    if text == "for":
        return replace(base, role=FOR)
    if text == "x":
        return replace(base, role=X)
    if text in EN_COUNTERS and text != "x":  # "2 orders of", "a bowl of": glue after a count
        return replace(base, role=COUNTER)
    if index.known(key(text)) and text not in lexicon.EN_STOP:
        return base
    role = closed_role(text)
    if role is None and text in lexicon.CORRECT_EN:
        role = CORRECT
    if role is not None:
        return replace(base, role=role)
    return base


def _split_counters(tokens: list[Token]) -> list[Token]:
    """Split a counter off the word after a number ("1인분순대" -> 1, 인분, 순대)."""
    out: list[Token] = []
    for position, token in enumerate(tokens):
        before = tokens[position - 1] if position else None
        if (
            before is not None
            and before.kind == "digit"
            and token.kind == "hangul"
            and not token.breaks_before
            and counter_word(token.text) is None
        ):
            counter = next((c for c in COUNTERS_LONGEST if token.text.startswith(c)), None)
            if counter is not None and len(token.text) > len(counter):
                cut = token.start + len(counter)
                out.append(Token(counter, token.start, cut, "hangul", False))
                out.append(
                    Token(
                        token.text[len(counter) :], cut, token.end, "hangul", False, token.question
                    )
                )
                continue
        out.append(token)
    return out


def read(index: MenuIndex, cleaned: str) -> list[Word]:
    """Read a cleaned message (normalize.clean) as a list of words."""
    tokens = _split_counters(tokenize(cleaned))
    words: list[Word] = []
    skip = False
    for position, token in enumerate(tokens):
        if skip:
            skip = False
            continue
        following = tokens[position + 1] if position + 1 < len(tokens) else None
        if token.kind == "digit":
            value = digits(token.text)
            base = Word(
                token.text,
                key(token.text),
                token.start,
                token.end,
                "digit",
                CONTENT,
                token.breaks_before,
                False,
                token.question,
            )
            if value is None:
                words.append(replace(base, role=FILLER if "." not in token.text else CONTENT))
                continue
            count = Count(value, False, False)
            if following is not None and not following.breaks_before:
                if following.kind == "hangul" and (joined := _digit_word(index, token, following)):
                    words.append(joined)
                    skip = True
                    continue
                if following.kind == "hangul":
                    tail = counter_word(following.text)
                    if tail is not None:
                        count = Count(value, tail.each, tail.counter, tail.topic)
                        unit = following.text
                        for suffix in SUFFIXES:
                            if unit.endswith(suffix) and len(unit) > len(suffix):
                                unit = unit[: -len(suffix)]
                                break
                        words.append(
                            replace(
                                base,
                                end=following.end,
                                role=QTY,
                                count=count,
                                alt_keys=(key(token.text + unit),),
                                joins_after=following.text.endswith(lexicon.JOINING_PARTICLES),
                            )
                        )
                        skip = True
                        continue
                    if closed_role(following.text) == DELIVERY:
                        words.append(replace(base, role=DELIVERY))
                        continue
                if following.kind == "latin" and following.text in {"x", "pcs", "pc", "ea"}:
                    words.append(replace(base, end=following.end, role=QTY, count=count))
                    skip = True
                    continue
            words.append(replace(base, role=QTY, count=count))
        elif (
            token.kind == "hangul"
            and token.text in lexicon.PARTICLES
            and words
            and words[-1].end == token.start
        ):  # "coffee에서", "coke랑": a particle on an English word
            if token.text in lexicon.JOINING_PARTICLES:
                words[-1] = replace(words[-1], joins_after=True)
        elif token.kind == "hangul":
            if (
                following is not None
                and following.kind == "hangul"
                and not following.breaks_before
                and counter_word(following.text) is not None
                and (count := hangul_count(token.text + following.text)) is not None
                and count.counter
            ):
                words.append(
                    Word(
                        token.text + " " + following.text,
                        token.text,
                        token.start,
                        following.end,
                        "hangul",
                        QTY,
                        token.breaks_before,
                        following.text.endswith(lexicon.JOINING_PARTICLES),
                        following.question,
                        count,
                    )
                )
                skip = True
                continue
            words.extend(_hangul(index, token))
        elif token.kind == "latin":
            words.append(_latin(index, token))
        elif (
            is_choseong_only(token.text)
            and token.text not in CHAT_JAMO
            and len(set(token.text)) > 1
        ):
            words.append(
                Word(
                    token.text,
                    token.text,
                    token.start,
                    token.end,
                    "jamo",
                    CONTENT,
                    token.breaks_before,
                    False,
                    token.question,
                )
            )
        else:
            words.append(
                Word(
                    token.text,
                    token.text,
                    token.start,
                    token.end,
                    "jamo",
                    FILLER,
                    token.breaks_before,
                    False,
                    token.question,
                )
            )
    return _expand_slang(words)


COUNTERS_LONGEST = tuple(sorted(COUNTERS, key=len, reverse=True))
CHAT_JAMO = {
    "ㅇㅋ",
    "ㄱㅅ",
    "ㅈㅅ",
    "ㄴㄴ",
    "ㅇㅇ",
    "ㄱㄱ",
    "ㅂㅂ",
    "ㅊㅋ",
    "ㅎㅇ",
    "ㄷㄷ",
    "ㅅㄱ",
}


def _digit_word(index: MenuIndex, token: Token, following: Token) -> Word | None:
    """Read a number run into a word as one known word ("3단계로" -> 3단계)."""
    text = following.text
    stems = [text] + [text[: -len(p)] for p in lexicon.PARTICLES if text.endswith(p)]
    for stem in stems:
        if stem and counter_word(stem) is None and index.known(key(token.text + stem)):
            joins = text.endswith(lexicon.JOINING_PARTICLES)
            return Word(
                token.text + stem,
                key(token.text + stem),
                token.start,
                following.start + len(stem),
                "hangul",
                CONTENT,
                token.breaks_before,
                joins,
                following.question,
            )
    return None


def _expand_slang(words: list[Word]) -> list[Word]:
    """Rewrite slang words (아아, 뜨아) into the words they stand for."""
    out: list[Word] = []
    for word in words:
        expansion = lexicon.SLANG.get(word.text)
        if expansion is None:
            out.append(word)
            continue
        parts = _slang_words(expansion)
        for number, part in enumerate(parts):
            last = number == len(parts) - 1
            out.append(
                replace(
                    word,
                    text=part,
                    key=key(part),
                    slang=True,
                    role=EXTRA if part in lexicon.EXTRA else CONTENT,
                    breaks_before=word.breaks_before and number == 0,
                    joins_after=word.joins_after and last,
                    question=word.question and last,
                )
            )
    return out


@lru_cache(maxsize=64)
def _slang_words(expansion: str) -> tuple[str, ...]:
    return tuple(expansion.split())
