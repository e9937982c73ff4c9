"""The development set: every case's whole parse must equal the expected one."""

import pytest

from bot.nlu import parse
from tests.nlu.dataset import Case, canonical, index_of, load_cases

CASES = load_cases()


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=f"{case.id}-{case.lang}-{case.phenomenon}", marks=marks)


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_case(case: Case) -> None:
    result = parse(case.text, index_of(case.pack), case.merchant).to_dict()
    assert canonical(result) == canonical(case.expected), case.text


def test_enough_cases() -> None:
    assert len(CASES) >= 400
    assert {case.lang for case in CASES} == {"ko", "en", "mixed"}
