"""Every message the code can send exists in ko and en, and placeholders match."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, I18n, korean_particles, pick_locale

KEYWORDS = {"tr": None, "plural": (1, 2), "N_": None}
ROOT = Path(__file__).resolve().parent.parent


def _msgids() -> set[str]:
    found: set[str] = set()
    for folder in ("bot", "handlers"):
        for _, _, message, _, _ in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _catalog(locale: str) -> dict[str, str]:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    return {
        (m.id if isinstance(m.id, str) else m.id[0]): (
            m.string if isinstance(m.string, str) else m.string[0]
        )
        for m in catalog
        if m.id and not m.fuzzy
    }


def test_every_message_is_in_both_catalogs() -> None:
    msgids = _msgids()
    assert len(msgids) > 20
    ko, en = _catalog("ko"), _catalog("en")
    assert sorted(msgids - ko.keys()) == []
    assert sorted(msgids - en.keys()) == []
    assert sorted(m for m in msgids if not ko[m]) == [], "untranslated Korean messages"


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_placeholders_match(locale: str) -> None:
    for msgid, msgstr in _catalog(locale).items():
        if msgstr:
            assert set(re.findall(r"{\w+}", msgstr)) == set(re.findall(r"{\w+}", msgid)), msgid


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        (("en", "ko"), "en"),
        ((None, "en-US"), "en"),
        ((None, "fr"), "ko"),
        ((None, None), "ko"),
        (("zz-!!",), "ko"),
    ],
)
def test_pick_locale(candidates: tuple[str | None, ...], expected: str) -> None:
    assert pick_locale(*candidates) == expected


def test_money_is_formatted_per_locale() -> None:
    i18n = I18n()
    assert i18n.translator("ko").money(18000) == "18,000원"
    assert i18n.translator("en").money(18000) == "₩18,000"


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("💳 서로e음(으)로 결제하기", "💳 서로e음으로 결제하기"),
        ("💳 경기지역화폐(으)로 결제하기", "💳 경기지역화폐로 결제하기"),
        ("인천 서구 서울(으)로", "인천 서구 서울로"),  # ㄹ takes 로
        ("18,000원(으)로", "18,000원으로"),
        ("광고 #12을(를) 삭제했어요.", "광고 #12를 삭제했어요."),  # 십이를
        ("광고 #10을(를) 삭제했어요.", "광고 #10을 삭제했어요."),  # 십을
        ("광고 #7을(를)", "광고 #7을"),
        (
            "죄송해요, 후라이드치킨은(는) 오늘 품절이에요.",
            "죄송해요, 후라이드치킨은 오늘 품절이에요.",
        ),
        ("죄송해요, 콜라은(는) 오늘 품절이에요.", "죄송해요, 콜라는 오늘 품절이에요."),
        ("<b>콜라</b>이(가) 들어갔어요", "<b>콜라</b>가 들어갔어요"),  # past the tag
        ("죄송해요, Pizza은(는) 오늘", "죄송해요, Pizza은(는) 오늘"),  # cannot tell: both
        ("&lt;b&gt;은(는)", "&lt;b&gt;은(는)"),
    ],
)
def test_korean_particles_follow_the_word(written: str, read: str) -> None:
    assert korean_particles(written) == read


def test_the_korean_translator_chooses_particles() -> None:
    ko, en = I18n().translator("ko"), I18n().translator("en")
    assert ko("💳 Pay with {currency}", currency="서로e음") == "💳 서로e음으로 결제하기"
    assert en("💳 Pay with {currency}", currency="Seoro e-Eum") == "💳 Pay with Seoro e-Eum"
