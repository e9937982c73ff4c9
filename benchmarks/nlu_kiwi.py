"""Compare the hand-written Hangul word reader with one built on kiwipiepy (Kiwi analyser).

Swaps bot.nlu.words._hangul for a reader that splits each Hangul token with Kiwi's
morphemes (nouns, numerals + counters, particles, verbs and endings), keeps the rest of the
parser, and prints line-F1 / exact and latency for both. Needs `pip install kiwipiepy`
(not a project dependency). Run: .venv/bin/python benchmarks/nlu_kiwi.py
"""

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.nlu import lexicon, parse, words  # noqa: E402
from bot.nlu.index import MenuIndex  # noqa: E402
from bot.nlu.normalize import Token, key  # noqa: E402
from bot.nlu.quantities import hangul_count  # noqa: E402
from tests.nlu.dataset import Case, canonical, index_of, load_cases, units  # noqa: E402

HAND = words._hangul


def kiwi_reader() -> Callable[[MenuIndex, Token], list[words.Word]]:
    """Build a Hangul word reader on Kiwi morphemes."""
    from kiwipiepy import Kiwi  # optional: measured here only, not a project dependency

    kiwi = Kiwi()

    def read(index: MenuIndex, token: Token) -> list[words.Word]:
        text = token.text
        whole = HAND(index, token)
        if len(whole) == 1 and whole[0].role != words.CONTENT:
            return whole  # closed words (counts, markers, fillers) read the same way
        if index.known(key(text)):
            return whole
        out: list[words.Word] = []
        pending: list[tuple[str, str, int, int]] = []
        for morph in kiwi.tokenize(text):
            pending.append((morph.form, morph.tag, morph.start, morph.start + morph.len))
        position = 0
        while position < len(pending):
            form, tag, start, end = pending[position]
            surface = text[start:end]
            following = pending[position + 1] if position + 1 < len(pending) else None
            if tag in {"NR", "MM"} and following and following[1] in {"NNB", "NNG"}:
                joined = text[start : following[3]]
                count = hangul_count(joined)
                if count is not None:
                    out.append(_word(token, joined, start, following[3], words.QTY, count))
                    position += 2
                    continue
            if tag.startswith("J") or tag.startswith("E") or tag.startswith("X"):
                if out and form in lexicon.JOINING_PARTICLES:
                    out[-1] = replace(out[-1], joins_after=True)
                position += 1
                continue
            if tag.startswith("V"):
                stem_end = end
                while position + 1 < len(pending) and pending[position + 1][1].startswith("E"):
                    position += 1
                    stem_end = pending[position][3]
                verb = text[start:stem_end]
                role = words.closed_role(verb) or words.VERB
                if form == "빼":
                    role = words.EXCLUDE
                elif verb.endswith("게"):  # 맵게, 바삭하게: a note cue
                    role = words.CONTENT
                out.append(_word(token, verb, start, stem_end, role, None))
                position += 1
                continue
            count = hangul_count(surface)
            role = words.closed_role(surface) or (words.QTY if count else words.CONTENT)
            out.append(_word(token, surface, start, end, role, count))
            position += 1
        return out or whole

    return read


def _word(token: Token, text: str, start: int, end: int, role: str, count: object) -> words.Word:
    return words.Word(
        text,
        key(text),
        token.start + start,
        token.start + end,
        "hangul",
        role,
        token.breaks_before and start == 0,
        False,
        token.question and end == len(token.text),
        count,  # type: ignore[arg-type]
    )


def measure(cases: list[Case]) -> tuple[float, float, float, float]:
    """Return line-F1, exact, p50 and p99 latency (ms) over the cases."""
    tp = fp = fn = exact = 0
    times: list[float] = []
    for case in cases:
        index = index_of(case.pack)
        started = time.perf_counter()
        result = parse(case.text, index, case.merchant).to_dict()
        times.append((time.perf_counter() - started) * 1000)
        expected, got = units(case.expected), units(result)
        both = expected & got
        tp += sum(both.values())
        fp += sum((got - both).values())
        fn += sum((expected - both).values())
        exact += canonical(result) == canonical(case.expected)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall)
    times.sort()
    p99 = times[int(len(times) * 0.99)]
    return f1, exact / len(cases), statistics.median(times), p99


def main() -> int:
    """Print the comparison."""
    cases = load_cases()
    for case in cases[:50]:  # warm the indexes
        parse(case.text, index_of(case.pack), case.merchant)
    started = time.perf_counter()
    reader = kiwi_reader()
    load = time.perf_counter() - started
    print(f"Kiwi model load {load:.2f} s")
    for label, subset in (
        ("dev set", [c for c in cases if c.batch == "dev"]),
        ("held-out sets", [c for c in cases if c.batch != "dev"]),
    ):
        for name, hangul in (("hand-written", HAND), ("kiwipiepy", reader)):
            words._hangul = hangul
            f1, exact, p50, p99 = measure(subset)
            print(
                f"{label:<13} {name:<13} line-F1={f1:.3f} exact={exact:.3f} "
                f"p50={p50:.2f} ms p99={p99:.2f} ms"
            )
        words._hangul = HAND
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
