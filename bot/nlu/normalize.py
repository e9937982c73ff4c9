"""Normalise chat text: Unicode clean-up, tokens with offsets, jamo, 초성 and romanised keys."""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3
CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
JUNGSEONG = [
    "ㅏ", "ㅐ", "ㅑ", "ㅒ", "ㅓ", "ㅔ", "ㅕ", "ㅖ", "ㅗ", "ㅗㅏ", "ㅗㅐ", "ㅗㅣ", "ㅛ", "ㅜ",
    "ㅜㅓ", "ㅜㅔ", "ㅜㅣ", "ㅠ", "ㅡ", "ㅡㅣ", "ㅣ",
]  # fmt: skip
JONGSEONG = [
    "", "ㄱ", "ㄲ", "ㄱㅅ", "ㄴ", "ㄴㅈ", "ㄴㅎ", "ㄷ", "ㄹ", "ㄹㄱ", "ㄹㅁ", "ㄹㅂ",
    "ㄹㅅ", "ㄹㅌ", "ㄹㅍ", "ㄹㅎ", "ㅁ", "ㅂ", "ㅂㅅ", "ㅅ", "ㅆ", "ㅇ", "ㅈ", "ㅊ",
    "ㅋ", "ㅌ", "ㅍ", "ㅎ",
]  # fmt: skip
ROMAN_INITIAL = [
    "g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t",
    "p", "h",
]  # fmt: skip
ROMAN_VOWEL = [
    "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo",
    "we", "wi", "yu", "eu", "ui", "i",
]  # fmt: skip
ROMAN_FINAL = [
    "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p",
    "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t",
]  # fmt: skip
# a final consonant read as the next syllable's initial when that one starts with ㅇ (연음)
ROMAN_LIAISON = [
    "", "g", "kk", "gs", "n", "nj", "n", "d", "r", "lg", "lm", "lb", "ls", "lt", "lp", "r", "m",
    "b", "bs", "s", "ss", "ng", "j", "ch", "k", "t", "p", "",
]  # fmt: skip

# spelling variants people use for the same loanword or dish, mapped to one form
VARIANTS: tuple[tuple[str, str], ...] = (
    ("프라이드", "후라이드"),
    ("쥬스", "주스"),
    ("까페", "카페"),
    ("라테", "라떼"),
    ("돈까스", "돈가스"),
    ("쉐이크", "셰이크"),
    ("케잌", "케이크"),
    ("자장", "짜장"),
    ("스파게티", "스파게티"),
    ("후렌치", "프렌치"),
    ("카츠", "가스"),
    ("떡복이", "떡볶이"),
    ("볶음밥", "볶음밥"),
    ("아이스티", "아이스티"),
    ("coca cola", "coke"),
    ("coca-cola", "coke"),
    ("cocacola", "coke"),
    ("cola", "coke"),
    ("cocacoke", "coke"),
    ("caffè", "caffe"),
    ("café", "cafe"),
)

SEPARATOR_CHARS = set(',.!?;:/\n\r\t+&|~·•、。，！？；：()[]{}<>"“”‘’`=_*#@^%$')
CLAUSE_BREAK_CHARS = set(",.!?;\n\r/+&|、。，！？；·•")


@dataclass(frozen=True, slots=True)
class Token:
    """One run of Hangul, Latin letters, digits or lone jamo, with its place in the text."""

    text: str
    start: int
    end: int
    kind: str  # "hangul" | "latin" | "digit" | "jamo"
    breaks_before: bool  # a clause break (comma, full stop, line break ...) comes before it
    question: bool = False  # a "?" directly follows it


def is_hangul(char: str) -> bool:
    """Tell whether a character is a precomposed Hangul syllable."""
    return HANGUL_FIRST <= ord(char) <= HANGUL_LAST


def is_jamo(char: str) -> bool:
    """Tell whether a character is a Hangul compatibility jamo (ㄱ, ㅏ ...)."""
    return 0x3131 <= ord(char) <= 0x318E


def clean(text: str) -> str:
    """Return the text in NFKC, lower case, with control and format characters as spaces."""
    text = unicodedata.normalize("NFC", text)
    parts: list[str] = []
    run: list[str] = []
    for char in text:
        if is_jamo(char):  # NFKC would turn ㅎ into a conjoining jamo; keep 초성 typing as is
            if run:
                parts.append(unicodedata.normalize("NFKC", "".join(run)))
                run = []
            parts.append(char)
        else:
            run.append(char)
    if run:
        parts.append(unicodedata.normalize("NFKC", "".join(run)))
    out = "".join(parts).lower()
    return "".join(
        " " if unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"} else c
        for c in out
    ).replace("×", "x")


def _kind(char: str) -> str | None:
    if is_hangul(char):
        return "hangul"
    if is_jamo(char):
        return "jamo"
    if "a" <= char <= "z" or char in "àáâäèéêëìíîïòóôöùúûüñç":
        return "latin"
    if char.isdigit() and char.isascii():
        return "digit"
    return None


def tokenize(text: str) -> list[Token]:
    """Split cleaned text into runs of one script; offsets index the cleaned text."""
    tokens: list[Token] = []
    start = -1
    kind: str | None = None
    pending_break = True
    for pos, char in enumerate([*text, " "]):
        char_kind = _kind(char)
        if char == "'" and kind == "latin":  # tony's, i'd: keep the word whole
            continue
        if char == "." and kind == "digit" and pos + 1 < len(text) and text[pos + 1].isdigit():
            continue  # 1.25
        if kind is not None and char_kind != kind:
            raw = text[start:pos].replace("'", "")
            tokens.append(Token(raw, start, pos, kind, pending_break))
            pending_break = False
            kind = None
        if char_kind is not None and kind is None:
            kind, start = char_kind, pos
        elif char_kind is None:
            if char in CLAUSE_BREAK_CHARS or unicodedata.category(char).startswith("S"):
                pending_break = True
            if char == "?" and tokens:
                tokens[-1] = Token(
                    tokens[-1].text, tokens[-1].start, tokens[-1].end, tokens[-1].kind,
                    tokens[-1].breaks_before, True,
                )  # fmt: skip
    return tokens


def apply_variants(key: str) -> str:
    """Map spelling variants of loanwords and dishes onto one form."""
    for variant, canonical in VARIANTS:
        if variant in key:
            key = key.replace(variant, canonical)
    return key


_STRIP_ACCENTS = str.maketrans("àáâäèéêëìíîïòóôöùúûüñç", "aaaaeeeeiiiioooouuuunc")
_NON_KEY = re.compile(r"[^0-9a-z\uac00-\ud7a3\u3131-\u318e]+")


@lru_cache(maxsize=1 << 16)
def key(text: str) -> str:
    """Return the lookup key of a name or phrase: cleaned, variants unified, no spaces."""
    text = apply_variants(clean(text).translate(_STRIP_ACCENTS))
    return apply_variants(_NON_KEY.sub("", text))


def latin_words(text: str) -> list[str]:
    """Return the Latin words of an English name, accents stripped."""
    return re.findall(r"[a-z0-9]+", clean(text).translate(_STRIP_ACCENTS).replace("'", ""))


def jamo(text: str) -> str:
    """Decompose Hangul syllables into compatibility jamo; other characters stay."""
    out: list[str] = []
    for char in text:
        code = ord(char) - HANGUL_FIRST
        if 0 <= code <= HANGUL_LAST - HANGUL_FIRST:
            out.append(CHOSEONG[code // 588])
            out.append(JUNGSEONG[(code % 588) // 28])
            out.append(JONGSEONG[code % 28])
        else:
            out.append(char)
    return "".join(out)


_LOOSE = str.maketrans("ㄲㅋㄸㅌㅃㅍㅆㅉㅊㅐㅒㅖ", "ㄱㄱㄷㄷㅂㅂㅅㅈㅈㅔㅔㅔ")


def loose_jamo(text: str) -> str:
    """Decompose into jamo with tense and aspirated consonants and ㅐ/ㅔ merged (typo key)."""
    return jamo(text).translate(_LOOSE)


def choseong(text: str) -> str:
    """Return the initial consonants (초성) of the Hangul syllables of a text."""
    return "".join(CHOSEONG[(ord(c) - HANGUL_FIRST) // 588] for c in text if is_hangul(c))


def is_choseong_only(text: str) -> bool:
    """Tell whether a text is typed as initial consonants only (ㅎㄹㅇㄷ)."""
    return len(text) >= 2 and all(c in CHOSEONG for c in text)


def romanize(text: str) -> str:
    """Romanise Hangul roughly as Revised Romanisation, with liaison; keep other letters."""
    out: list[str] = []
    carry = ""
    chars = list(text)
    for index, char in enumerate(chars):
        code = ord(char) - HANGUL_FIRST
        if not 0 <= code <= HANGUL_LAST - HANGUL_FIRST:
            out.append(carry + char)
            carry = ""
            continue
        initial, vowel, final = code // 588, (code % 588) // 28, code % 28
        head = ROMAN_INITIAL[initial]
        if initial == 11 and carry:  # ㅇ takes the previous final (연음)
            head = carry
        out.append(head + ROMAN_VOWEL[vowel])
        carry = ""
        following = chars[index + 1] if index + 1 < len(chars) else ""
        if (
            final
            and following
            and is_hangul(following)
            and ((ord(following) - HANGUL_FIRST) // 588 == 11)
        ):
            carry = ROMAN_LIAISON[final]
            if final == 21:  # ㅇ stays a final
                out.append("ng")
                carry = ""
        else:
            out.append(ROMAN_FINAL[final])
    return "".join(out)


_SKELETON_STEPS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), repl)
    for pattern, repl in (
        (r"[^a-z]", ""),
        (r"eu", "u"),  # ㅡ: "kaseu" and "katsu" alike
        (r"tch|ch|z", "j"),
        (r"sh", "s"),
        (r"ph|f", "p"),
        (r"ck|c|q", "k"),
        (r"x", "ks"),
        (r"yeo|yu|yo", "Y"),
        (r"eo|ou|oo|u|w?o", "o"),
        (r"ae|ai|ay|ei|ea|e", "e"),
        (r"ee|ui|wi|y?i", "i"),
        (r"g", "k"),
        (r"d", "t"),
        (r"b", "p"),
        (r"r", "l"),
        (r"v", "p"),
        (r"h|w", ""),
        (r"Y", "yo"),
        (r"y", ""),
        (r"(.)\1+", r"\1"),
    )
)


def skeleton(text: str) -> str:
    """Reduce Latin letters to a sound skeleton so romanisation variants coincide."""
    text = text.lower()
    for pattern, repl in _SKELETON_STEPS:
        text = pattern.sub(repl, text)
    return text


def deletions(text: str) -> set[str]:
    """Return the text with each one character left out (for typo look-up)."""
    return {text[:i] + text[i + 1 :] for i in range(len(text))}
