"""The typo table returns every word a variant comes from, as a dict of strings would."""

import json
from collections import defaultdict
from functools import partial

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.nlu import index, parse
from bot.nlu.normalize import deletions, loose_jamo
from bot.nlu.typos import TypoTable
from tests.nlu.dataset import PACKS, index_of, load_cases


def reference(words: list[str]) -> dict[str, set[str]]:
    """Each variant (a word, or it with one letter left out) -> the words it comes from."""
    table: dict[str, set[str]] = defaultdict(set)
    for word in words:
        for variant in {word, *deletions(word)}:
            table[variant].add(word)
    return table


@pytest.mark.parametrize(
    ("words", "variant", "expected"),
    [
        (["pizza", "pasta"], "pizza", {"pizza"}),
        (["pizza", "pasta"], "piza", {"pizza"}),
        (["pizza", "pasta"], "pata", {"pasta"}),
        (["pizza", "pasta"], "ppizza", set()),  # an insertion is looked up by its deletions
        (["chicken", "chickn"], "chickn", {"chicken", "chickn"}),
        ([loose_jamo("치킨"), loose_jamo("치즈")], loose_jamo("치킨")[:-1], {loose_jamo("치킨")}),
        ([], "anything", set()),
    ],
)
def test_a_variant_gives_the_words_it_comes_from(
    words: list[str], variant: str, expected: set[str]
) -> None:
    assert set(TypoTable(words).words(variant)) == expected


def test_a_repeated_word_is_kept_once() -> None:
    table = TypoTable(["pizza", "pizza"])
    assert len(table) == 5  # pizza, izza, pzza, piza, pizz
    assert table.words("piza") == ("pizza",)


def test_more_words_than_a_small_number_of_bits_holds() -> None:
    words = [f"word{n:05d}" for n in range(3000)]
    table, expected = TypoTable(words), reference(words)
    assert table.words("word02999") == ("word02999",)
    assert set(table.words("word0299")) == expected["word0299"]
    assert len(expected["word0299"]) > 10


@given(
    st.lists(st.text(alphabet="abcdeㄱㄴㄷㅏㅗ", min_size=1, max_size=8), max_size=40),
    st.text(alphabet="abcdeㄱㄴㄷㅏㅗ", max_size=9),
)
def test_it_answers_as_a_dict_of_strings(words: list[str], query: str) -> None:
    table, expected = TypoTable(words), reference(words)
    for variant in {query, *deletions(query)}:
        # with a few hundred variants, two sharing 40-odd bits of hash is all but impossible
        assert set(table.words(variant)) == expected.get(variant, set())


def _sixteen_buckets(variant: str) -> int:
    """A poor hash: 4 bits, so about a 16th of all variants share each code's high bits."""
    return hash(variant) << 60


def test_a_shared_hash_only_adds_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every typo case of the dataset parses the same with tables whose variants collide
    all the time: the matcher's edit distance drops the words a variant does not come from."""
    pack = json.loads(PACKS["yeongtong"].read_text(encoding="utf-8"))
    monkeypatch.setattr(index, "TypoTable", partial(TypoTable, hasher=_sixteen_buckets))
    colliding = index.build_index(pack)
    assert len(colliding.typo_hangul.words(loose_jamo("치긴"))) > 10  # many wrong words
    cases = [c for c in load_cases() if c.pack == "yeongtong" and c.phenomenon == "typo"]
    assert len(cases) >= 20
    for case in cases:
        expected = parse(case.text, index_of("yeongtong"), case.merchant).to_dict()
        assert parse(case.text, colliding, case.merchant).to_dict() == expected, case.text
