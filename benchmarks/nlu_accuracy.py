"""Print the parser's line-F1 and whole-message exact match on the development set.

Lines are compared as multisets (an ambiguous or unmatched entry counts as a line of its own);
exact match needs the whole parse right. Figures overall, by language and by phenomenon.
Run: .venv/bin/python benchmarks/nlu_accuracy.py [--failures]
"""

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.nlu import parse  # noqa: E402
from tests.nlu.dataset import Case, canonical, index_of, load_cases, units  # noqa: E402


class Tally:
    """True/false positives, false negatives and exact messages of a group of cases."""

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = self.exact = self.cases = 0

    def add(self, expected: Counter[str], got: Counter[str], exact: bool) -> None:
        """Count one case."""
        both = expected & got
        self.tp += sum(both.values())
        self.fp += sum((got - both).values())
        self.fn += sum((expected - both).values())
        self.exact += exact
        self.cases += 1

    def row(self, label: str) -> str:
        """Format the figures of this group."""
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return (
            f"{label:<16} cases={self.cases:>4}  line-F1={f1:.3f}  (P={precision:.3f} "
            f"R={recall:.3f})  exact={self.exact / self.cases:.3f}"
        )


def main() -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--failures", action="store_true", help="list the failing cases")
    parser.add_argument("--glob", default="*.jsonl", help="case files (tests/nlu/cases/GLOB)")
    args = parser.parse_args()
    cases = load_cases(args.glob)
    overall = Tally()
    by: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    failures: list[tuple[Case, dict[str, list[str]]]] = []
    for case in cases:
        result = parse(case.text, index_of(case.pack), case.merchant).to_dict()
        exact = canonical(result) == canonical(case.expected)
        expected, got = units(case.expected), units(result)
        for tally in (
            overall,
            by["set"][case.batch],
            by["language"][case.lang],
            by["pack"][case.pack],
            by["phenomenon"][case.phenomenon],
        ):
            tally.add(expected, got, exact)
        if not exact:
            failures.append((case, canonical(result)))
    print(overall.row("overall"))
    for dimension in ("set", "language", "pack", "phenomenon"):
        print(f"\nby {dimension}")
        for label, tally in sorted(by[dimension].items()):
            print("  " + tally.row(label))
    if args.failures:
        print("\nfailures")
        for case, got in failures:
            print(f"  {case.id} [{case.lang} {case.phenomenon}] {case.text!r}")
            print(f"    expected {canonical(case.expected)}")
            print(f"    got      {got}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
