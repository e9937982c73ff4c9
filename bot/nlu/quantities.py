"""Read counts: digits, native and Sino-Korean numerals with counters, English number words."""

import re
from dataclasses import dataclass

NATIVE_UNITS: dict[str, int] = {
    "하나": 1, "한": 1, "둘": 2, "두": 2, "셋": 3, "세": 3, "석": 3, "넷": 4, "네": 4, "넉": 4,
    "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "여덜": 8, "아홉": 9,
}  # fmt: skip
# forms that need a counter after them to be a count ("두 마리"); bare "네" is "yes"
MODIFIER_FORMS = {"한", "두", "세", "석", "네", "넉", "스무"}
SINO: dict[str, int] = {
    "일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9, "십": 10,
}  # fmt: skip
COUNTERS = (
    "마리", "개", "잔", "그릇", "인분", "판", "줄", "병", "캔", "세트", "셋트", "접시", "조각",
    "봉지", "공기", "통", "팩", "컵", "박스", "피스", "덩이", "봉", "인", "그릇씩", "pcs",
)  # fmt: skip
# counters a Sino-Korean numeral may take ("이인분"); others read 이/사/오 as words
SINO_COUNTERS = ("인분", "인")
SUFFIXES = ("씩이요", "씩요", "씩만", "씩", "만요", "만", "은", "는", "이요", "요", "이나", "짜리",
            "로", "으로", "이랑", "랑", "하고", "도", "를", "을", "에", "정도", "쯤")  # fmt: skip

EN_NUMBERS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "twenty": 20, "dozen": 12, "couple": 2, "pair": 2, "single": 1,
    "double": 2, "triple": 3, "once": 1, "twice": 2,
}  # fmt: skip
EN_COUNTERS = {
    "portion", "portions", "serving", "servings", "piece", "pieces", "orders",
    "bowl", "bowls", "cup", "cups", "glass", "glasses", "cans", "bottle", "bottles",
    "plate", "plates", "box", "boxes", "pcs", "pc", "times",
}  # fmt: skip
MAX_QUANTITY = 999

_tens = {"열": 10, "스물": 20, "스무": 20}


@dataclass(frozen=True, slots=True)
class Count:
    """A count read from one word: its value, whether it says 씩 (each), whether it is firm."""

    value: int
    each: bool
    counter: bool  # a counter word came with it (마리, 잔 ...)
    topic: bool = False  # 하나는 / 한 마리는: "one of them"


def _native(text: str) -> tuple[int, str] | None:
    """Read a native numeral at the start of a word: its value and the rest of the word."""
    for tens_word, tens in sorted(_tens.items(), key=lambda kv: -len(kv[0])):
        if text.startswith(tens_word):
            rest = text[len(tens_word) :]
            for unit_word, unit in sorted(NATIVE_UNITS.items(), key=lambda kv: -len(kv[0])):
                if rest.startswith(unit_word):
                    return tens + unit, rest[len(unit_word) :]
            return tens, rest
    for unit_word, unit in sorted(NATIVE_UNITS.items(), key=lambda kv: -len(kv[0])):
        if text.startswith(unit_word):
            return unit, text[len(unit_word) :]
    return None


def _counter_and_suffix(rest: str) -> tuple[bool, bool, bool] | None:
    """Split what follows a numeral into counter and suffix: (counter, each, topic)."""
    counter = False
    for word in sorted(COUNTERS, key=len, reverse=True):
        if rest.startswith(word):
            counter = True
            rest = rest[len(word) :]
            break
    if rest and rest not in SUFFIXES:
        return None
    return counter, rest.startswith("씩"), rest in {"은", "는"}


def hangul_count(word: str) -> Count | None:
    """Read a Hangul word as a count ("두마리", "하나씩", "세잔", "이인분"), or None."""
    native = _native(word)
    if native is not None:
        value, rest = native
        parts = _counter_and_suffix(rest)
        if parts is not None:
            counter, each, topic = parts
            head = word[: len(word) - len(rest)]
            if head in MODIFIER_FORMS and not counter and not each:
                return None
            if head == "하나" and rest in {"로", "으로"}:
                return None
            return Count(value, each, counter, topic)
    if word and word[0] in SINO:
        value = SINO[word[0]]
        rest = word[1:]
        if rest.startswith("십"):
            value, rest = value * 10, rest[1:]
        for counter_word in SINO_COUNTERS:
            if rest.startswith(counter_word):
                tail = rest[len(counter_word) :]
                if not tail or tail in SUFFIXES:
                    return Count(value, tail.startswith("씩"), True, tail in {"은", "는"})
    return None


def counter_word(word: str) -> Count | None:
    """Read a word that follows a digit: a counter with suffix ("개", "마리씩", "잔이요")."""
    parts = _counter_and_suffix(word)
    if parts is None or (not any(parts) and word not in SUFFIXES):
        return None
    counter, each, topic = parts
    return Count(0, each, counter, topic)


_X_DIGITS = re.compile(r"^(?:x(\d{1,3})|(\d{1,3})x)$")


def digits(text: str) -> int | None:
    """Read a count written in digits, or None when it is too large to be one."""
    if not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= MAX_QUANTITY else None
