"""Property tests: any text gives a valid ParseResult, never an exception."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.nlu import ParseResult, parse
from tests.nlu.dataset import PACKS, index_of, load_cases

INDEXES = [("yeongtong", None), ("yeongtong", "orange-coffee"), ("yeongtong", "burger-lab")]
if PACKS["demo"].exists():
    INDEXES += [("demo", None), ("demo", "hanbit-chicken")]
INDEX = index_of("yeongtong")
WORDS = sorted({w for case in load_cases("yeongtong.jsonl") for w in case.text.split()})
MARKUP = ["<b>", "</b>", "<script>", "&amp;", "**", "`", "[", "]", "(", ")", "{", "}", "\\", "%s"]
NOISE = [
    "😋",
    "🍗",
    "☕️",
    "\u200b",
    "\u202e",
    "\x00",
    "\x1b",
    "\r\n",
    "\t",
    "ㅋㅋ",
    "ㅠㅠ",
    "?",
    "!",
]
settings.register_profile(
    "nlu", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("nlu")

texts = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(WORDS + MARKUP + NOISE), max_size=40).map(" ".join),
    st.lists(st.sampled_from(WORDS + NOISE), max_size=40).map("".join),
    st.text(alphabet=st.characters(min_codepoint=0x1100, max_codepoint=0x11FF), max_size=50),
    st.text(alphabet=st.characters(min_codepoint=0x3130, max_codepoint=0x318F), max_size=50),
)


def _valid(result: ParseResult) -> None:
    data = result.to_dict()
    assert set(data) == {"lines", "unmatched", "ambiguous"}
    json.dumps(data, ensure_ascii=False)
    for line in data["lines"]:
        assert line["quantity"] >= 1
        assert isinstance(line["merchant"], str)
        assert isinstance(line["item"], str)
    for entry in data["ambiguous"]:
        assert len(entry["candidates"]) >= 2
    for entry in data["unmatched"]:
        assert entry["text"].strip()


@given(text=texts, where=st.sampled_from(INDEXES))
def test_any_text_parses(text: str, where: tuple[str, str | None]) -> None:
    pack, shop = where
    _valid(parse(text, index_of(pack), shop))


@settings(max_examples=5)
@given(word=st.sampled_from(WORDS))
def test_very_long_text_parses(word: str) -> None:
    _valid(parse((word + " 하나 ") * 2000, INDEX))


def test_ten_thousand_characters() -> None:
    text = ("짜장면 두 개 <b>콜라</b> 😋\n" * 1000)[:10_000]
    _valid(parse(text, INDEX))
