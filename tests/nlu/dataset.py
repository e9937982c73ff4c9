"""The parser's development set: cases in tests/nlu/cases/*.jsonl and the packs they use."""

import json
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bot.nlu import MenuIndex, build_index

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent / "cases"
# batches written without running the parser first (see cases/README.md)
HELD_OUT = ("holdout", "blind2", "blind3", "blind4", "blind5", "blind6")
PACKS = {
    "yeongtong": Path(__file__).parent / "packs" / "yeongtong.json",
    "demo": ROOT / "demo" / "incheon-seo.json",
}


@dataclass(frozen=True)
class Case:
    """One message with the parse it must give."""

    id: str
    lang: str
    phenomenon: str
    pack: str
    merchant: str | None
    text: str
    expected: dict[str, Any]
    xfail: str | None = None

    @property
    def batch(self) -> str:
        """Return the set a case belongs to: "dev", or a batch written blind (held out)."""
        prefix = self.id.split("-", 1)[0]
        return prefix if prefix in HELD_OUT else "dev"


def load_cases(pattern: str = "*.jsonl") -> list[Case]:
    """Read every case whose pack file exists."""
    cases: list[Case] = []
    for path in sorted(CASES.glob(pattern)):
        for raw in path.read_text(encoding="utf-8").splitlines():
            if raw.strip():
                case = Case(**json.loads(raw))
                if PACKS[case.pack].exists():
                    cases.append(case)
    return cases


@cache
def index_of(pack: str) -> MenuIndex:
    """Build (once) the index of a named pack."""
    return build_index(json.loads(PACKS[pack].read_text(encoding="utf-8")))


def _line_key(line: dict[str, Any]) -> str:
    options = sorted((o["group"], o["choice"], o["amount"] or "") for o in line["options"])
    return json.dumps(
        [
            line["merchant"],
            line["item"],
            line["quantity"],
            options,
            sorted(line["excluded"]),
            line["note"],
        ],
        ensure_ascii=False,
    )


def _ambiguous_key(entry: dict[str, Any]) -> str:
    candidates = sorted((c["merchant"], c["item"]) for c in entry["candidates"])
    return json.dumps(["?", entry["text"], entry["quantity"], candidates], ensure_ascii=False)


def _unmatched_key(entry: dict[str, Any]) -> str:
    return json.dumps(["!", entry["text"], entry["quantity"]], ensure_ascii=False)


def canonical(result: dict[str, Any]) -> dict[str, list[str]]:
    """Return a parse result with every list sorted, so equal parses compare equal."""
    return {
        "lines": sorted(_line_key(line) for line in result["lines"]),
        "unmatched": sorted(_unmatched_key(e) for e in result["unmatched"]),
        "ambiguous": sorted(_ambiguous_key(e) for e in result["ambiguous"]),
    }


def units(result: dict[str, Any]) -> Counter[str]:
    """Return the multiset of a parse's lines, ambiguous and unmatched entries (for F1)."""
    flat = canonical(result)
    return Counter(flat["lines"] + flat["unmatched"] + flat["ambiguous"])
