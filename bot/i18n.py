"""Message catalogs (locales/{ko,en}/LC_MESSAGES/messages.po) and locale-aware formatting."""

import gettext
import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

logger = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SUPPORTED = ("ko", "en")


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def _load(locale: str, directory: Path) -> gettext.NullTranslations:
    """Compile a .po catalog in memory (no .mo build step)."""
    path = directory / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def pick_locale(*candidates: str | None, default: str = "ko") -> str:
    """Choose the first supported locale among saved choice, Telegram's code, default."""
    for candidate in candidates:
        if not candidate:
            continue
        try:
            language = Locale.parse(candidate.replace("-", "_")).language
        except (ValueError, UnknownLocaleError):
            continue
        if language in SUPPORTED:
            return language
    return default


# A Korean particle after a placeholder depends on the word it follows: 을/를, 은/는, 이/가,
# 으로/로. Catalogs write both ("{name}은(는)"); the filled text keeps the right one.
_PARTICLE = re.compile(r"을\(를\)|은\(는\)|이\(가\)|\(으\)로")
_TAG_BEFORE = re.compile(r"</?[a-z][^<>]*>$")
# A number read in Korean ends like its last digit: 0 (십, 백, 천, 만), 1 일, 3 삼, 6 육, 7 칠,
# 8 팔 end in a consonant (1, 7, 8 in ㄹ); 2 이, 4 사, 5 오, 9 구 in a vowel.
_DIGITS_FINAL, _DIGITS_RIEUL = "013678", "178"


def _final(word: str) -> str | None:
    """The final consonant of the last syllable of `word` ("" for none, "ㄹ" for ㄹ, another
    letter for the rest), or None when it cannot tell (Latin letters, symbols)."""
    while (tag := _TAG_BEFORE.search(word)) is not None:  # <b>이름</b>을(를)
        word = word[: tag.start()]
    if not word:
        return None
    last = word[-1]
    if "가" <= last <= "힣":
        final = (ord(last) - 0xAC00) % 28
        return "" if final == 0 else "ㄹ" if final == 8 else "c"
    if last.isascii() and last.isdigit():
        return "ㄹ" if last in _DIGITS_RIEUL else "c" if last in _DIGITS_FINAL else ""
    return None


def korean_particles(text: str) -> str:
    """Choose each written-both Korean particle by the word before it; keep both forms where
    that word does not tell (a Latin name, a symbol)."""

    def choose(match: re.Match[str]) -> str:
        final = _final(text[: match.start()])
        if final is None:
            return match.group()
        if match.group() == "(으)로":
            return "로" if final in ("", "ㄹ") else "으로"
        with_final, without = match.group()[0], match.group()[2]
        return with_final if final else without

    return _PARTICLE.sub(choose, text)


@dataclass(frozen=True)
class Translator:
    """Translate and format for one locale."""

    locale: str
    catalog: gettext.NullTranslations
    tz: ZoneInfo

    def __call__(self, message: str, **values: Any) -> str:
        """Translate `message` and fill its named placeholders."""
        text = self.catalog.gettext(message)
        return self._particles(text.format(**values)) if values else text

    def plural(self, singular: str, plural: str, n: int, **values: Any) -> str:
        """Translate with the plural form for `n` ({n} is available to the template)."""
        return self._particles(self.catalog.ngettext(singular, plural, n).format(n=n, **values))

    def _particles(self, text: str) -> str:
        return korean_particles(text) if self.locale == "ko" else text

    def money(self, won: int) -> str:
        """Format an amount of won: 18,000원 in Korean, ₩18,000 in English."""
        number = format_decimal(won, locale=self.locale)
        return f"{number}원" if self.locale == "ko" else f"₩{number}"

    def number(self, value: float) -> str:
        """Format a number with the locale's grouping."""
        return format_decimal(value, locale=self.locale)

    def when(self, moment: datetime, fmt: str = "short") -> str:
        """Format an aware datetime in the region's time zone."""
        return format_datetime(moment.astimezone(self.tz), fmt, locale=self.locale)

    def pick(self, ko: str, en: str | None) -> str:
        """Choose the Korean or English form of a name from the menu pack."""
        return en if self.locale == "en" and en else ko


class I18n:
    """All catalogs, loaded once at start."""

    def __init__(
        self,
        directory: Path = LOCALES_DIR,
        default: str = "ko",
        tz: ZoneInfo | None = None,
        locales: Iterable[str] = SUPPORTED,
    ) -> None:
        self.default = default
        self.tz = tz or ZoneInfo("Asia/Seoul")
        self._translators = {
            locale: Translator(locale, _load(locale, directory), self.tz) for locale in locales
        }

    def translator(self, *candidates: str | None) -> Translator:
        """The translator for the first supported candidate locale, else the default."""
        return self._translators[pick_locale(*candidates, default=self.default)]
