"""Typo look-up: each word's one-letter deletions point back at the word (SymSpell), kept
as sorted 64-bit codes rather than a dict of strings."""

from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable

from bot.nlu.normalize import deletions

_MASK = (1 << 64) - 1


class TypoTable:
    """The variants of words (a word with one letter left out, or the word itself) -> the
    words they come from.

    A variant is kept only as the high bits of its hash, sharing one 64-bit code with the
    number of its word: 8 bytes a variant, where a dict of the variant strings cost ~120
    (about 50 MiB for 2,250 shops x 50 items). Two variants may share those bits, so a look-up
    can return a word the variant does not come from; every caller measures the edit
    distance of the words it gets (bot/nlu/matcher.py), which drops them.
    """

    __slots__ = ("_bits", "_codes", "_hash", "_words")

    def __init__(self, words: Iterable[str], hasher: Callable[[str], int] = hash) -> None:
        """`hasher`: Python's str hash; tests pass a poor one to make variants collide."""
        self._hash = hasher
        self._words = tuple(dict.fromkeys(words))
        self._bits = bits = max(1, (len(self._words) - 1).bit_length())
        # sorted a top byte at a time: never more than a 256th of the codes as Python ints
        buckets = [array("Q") for _ in range(256)]
        for number, word in enumerate(self._words):
            for variant in {word, *deletions(word)}:
                code = (hasher(variant) & _MASK) >> bits << bits | number
                buckets[code >> 56].append(code)
        self._codes = array("Q")
        for bucket in buckets:
            self._codes.extend(sorted(bucket))

    def __len__(self) -> int:
        return len(self._codes)

    def words(self, variant: str) -> tuple[str, ...]:
        """The words `variant` may come from (none when it comes from no word)."""
        bits, codes = self._bits, self._codes
        low = (self._hash(variant) & _MASK) >> bits << bits
        high = low | ((1 << bits) - 1)
        found: list[str] = []
        at = bisect_left(codes, low)
        while at < len(codes) and codes[at] <= high:
            found.append(self._words[codes[at] - low])
            at += 1
        return tuple(found)
