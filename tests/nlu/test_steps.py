"""The small steps of the parser: normalisation, counts, index building."""

import pytest

from bot.nlu import ParseError, build_index
from bot.nlu.normalize import choseong, clean, jamo, key, loose_jamo, romanize, skeleton
from bot.nlu.quantities import hangul_count
from tests.factories import SMALL_PACK


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("후라이드 치킨", "후라이드치킨"),
        ("프라이드", "후라이드"),
        ("오렌지쥬스", "오렌지주스"),
        ("Coca-Cola 1.25L", "coke125l"),
        ("Caffè Latte", "caffelatte"),
        ("ＡＢＣ", "abc"),
    ],
    ids=["spaces", "loanword-f", "loanword-ju", "coke", "accent", "fullwidth"],
)
def test_key(text: str, expected: str) -> None:
    assert key(text) == expected


@pytest.mark.parametrize(
    ("word", "value", "each"),
    [
        ("하나", 1, False),
        ("두마리", 2, False),
        ("세잔", 3, False),
        ("열두개", 12, False),
        ("스무개", 20, False),
        ("하나씩", 1, True),
        ("두개씩이요", 2, True),
        ("이인분", 2, False),
        ("삼인분", 3, False),
        ("다섯그릇", 5, False),
    ],
    ids=lambda v: str(v),
)
def test_hangul_count(word: str, value: int, each: bool) -> None:
    count = hangul_count(word)
    assert count is not None
    assert (count.value, count.each) == (value, each)


@pytest.mark.parametrize(
    "word", ["두", "네", "한", "이", "사과", "하나로", "세트"], ids=lambda v: str(v)
)
def test_not_a_count(word: str) -> None:
    assert hangul_count(word) is None


@pytest.mark.parametrize(
    ("spelled", "written"),
    [
        ("tteokbokki", "떡볶이"),
        ("topokki", "떡볶이"),
        ("jajangmyun", "짜장면"),
        ("jjajangmyeon", "짜장면"),
        ("gimbap", "김밥"),
        ("kimbap", "김밥"),
        ("champong", "짬뽕"),
    ],
    ids=lambda v: str(v),
)
def test_romanised_spellings_share_a_skeleton(spelled: str, written: str) -> None:
    target = skeleton(romanize(written))
    assert skeleton(spelled) == target or abs(len(skeleton(spelled)) - len(target)) <= 1


def test_jamo_and_choseong() -> None:
    assert jamo("닭") == "ㄷㅏㄹㄱ"
    assert choseong("후라이드") == "ㅎㄹㅇㄷ"
    assert loose_jamo("떡뽁이") == loose_jamo("떡볶이")


def test_clean_removes_controls_and_keeps_choseong() -> None:
    assert clean("ㅎㄹ\x00ㅇㄷ\u200b") == "ㅎㄹ ㅇㄷ "


@pytest.mark.parametrize(
    ("pack", "message"),
    [
        ([], "must be a JSON object"),
        ({"merchants": []}, "must be a non-empty list"),
        ({"merchants": [{"code": "a", "name": "가", "menu": "x"}]}, "menu: must be a list"),
        ({"merchants": [{"code": "a", "name": "가", "menu": [{"code": "b"}]}]}, "name"),
    ],
    ids=["not-object", "no-merchants", "menu-not-list", "item-without-name"],
)
def test_bad_pack_raises_parse_error(pack: object, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        build_index(pack)  # type: ignore[arg-type]


def test_small_pack_builds() -> None:
    index = build_index(SMALL_PACK)
    assert "hanbit-chicken" in index.merchant_codes
