"""Print parse latency (p50/p99) and index build time and memory for three region sizes.

(a) one shop given (demo region), (b) the whole demo region, no shop given, (c) a generated
region of 2,250 shops x 50 items (인천 서구's 2,250 merchants), no shop given.
Run: .venv/bin/python benchmarks/nlu_speed.py [--shops 2250] [--items 50]
"""

import argparse
import copy
import gc
import json
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.nlu import MenuIndex, build_index, parse  # noqa: E402
from tests.nlu.dataset import PACKS, load_cases  # noqa: E402

EXTRA_DISHES = [
    "떡갈비",
    "닭갈비",
    "쭈꾸미볶음",
    "낙지볶음",
    "코다리조림",
    "갈치조림",
    "김치볶음밥",
    "카레라이스",
    "냉면",
    "물냉면",
    "비빔냉면",
    "칼국수",
    "수제비",
    "콩국수",
    "육회비빔밥",
    "돌솥비빔밥",
    "회덮밥",
    "치즈돈까스",
    "함박스테이크",
    "오므라이스",
    "새우튀김",
    "고구마튀김",
    "오징어튀김",
    "김말이",
    "닭강정",
    "치즈볼",
    "순살치킨",
    "마늘치킨",
    "불닭",
    "양념갈비",
    "LA갈비",
    "삼겹살",
    "목살",
    "항정살",
    "곱창전골",
    "부대전골",
    "해물탕",
    "알탕",
    "동태찌개",
    "청국장",
    "설렁탕",
    "곰탕",
]
MODIFIERS = [
    "특",
    "왕",
    "옛날",
    "수제",
    "매콤",
    "바삭",
    "숯불",
    "직화",
    "국물",
    "눈꽃",
    "치즈",
    "불",
]
PLACES = [
    "가좌",
    "석남",
    "청라",
    "검단",
    "신현",
    "가정",
    "연희",
    "경서",
    "원당",
    "마전",
    "당하",
    "불로",
    "오류",
    "왕길",
    "백석",
    "시천",
    "검암",
    "심곡",
    "공촌",
    "금곡",
]


def generated_region(shops: int, items: int, seed: int = 7) -> dict[str, Any]:
    """Build a region of `shops` shops x `items` items from the demo shops' menus."""
    rng = random.Random(seed)
    demo = json.loads(PACKS["demo"].read_text(encoding="utf-8"))
    templates = demo["merchants"]
    merchants: list[dict[str, Any]] = []
    for number in range(shops):
        template = templates[number % len(templates)]
        place = PLACES[number % len(PLACES)]
        shop = copy.deepcopy(template)
        shop["code"] = f"{template['code']}-{number}"
        shop["name"] = f"{place}{template['name']} {number}호점"
        shop["name_en"] = f"{template['name_en']} {number}"
        shop["aliases"] = [f"{place}{template['name']}{number}"]
        menu = shop["menu"]
        rng.shuffle(menu)
        menu = menu[:items]
        while len(menu) < items:  # shop-specific dishes make many names unique
            dish = rng.choice(EXTRA_DISHES)
            modifier = rng.choice(MODIFIERS)
            code = f"x{len(menu)}"
            menu.append(
                {
                    "code": code,
                    "name": f"{modifier}{dish}",
                    "name_en": f"{modifier} {dish}",
                    "price": 9000,
                    "aliases": [f"{place}{modifier}{dish}"],
                    "options": copy.deepcopy(template["menu"][0].get("options", [])),
                }
            )
        shop["menu"] = menu
        merchants.append(shop)
    return {"region": demo["region"], "merchants": merchants}


def build_figures(pack: dict[str, Any]) -> tuple[MenuIndex, float, float]:
    """Build an index: (index, seconds, peak MiB by tracemalloc in a second build)."""
    gc.collect()
    started = time.perf_counter()
    index = build_index(pack)
    seconds = time.perf_counter() - started
    del index
    gc.collect()
    tracemalloc.start()
    index = build_index(pack)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return index, seconds, peak / 2**20


def latencies(run: Callable[[str], object], texts: list[str], rounds: int) -> list[float]:
    """Time each parse in milliseconds, over `rounds` passes of the texts."""
    times: list[float] = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            run(text)
            times.append((time.perf_counter() - started) * 1000)
    return times


def report(label: str, times: list[float]) -> None:
    """Print p50, p99 and max of a list of latencies."""
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"{label:<48} n={len(times):>5}  p50={statistics.median(ordered):6.2f} ms  "
        f"p99={p99:6.2f} ms  max={ordered[-1]:6.2f} ms"
    )


def main() -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shops", type=int, default=2250)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cases = load_cases()
    demo_cases = [c for c in cases if c.pack == "demo"]
    texts = [c.text for c in cases]
    demo = json.loads(PACKS["demo"].read_text(encoding="utf-8"))
    demo_index, seconds, mib = build_figures(demo)
    items = sum(len(m["menu"]) for m in demo["merchants"])
    print(f"(a/b) demo region: {len(demo['merchants'])} shops, {items} items")
    print(f"      index build {seconds * 1000:.0f} ms, peak {mib:.1f} MiB")
    shop_of = {
        c.id: c.merchant or next(iter(line["merchant"] for line in c.expected["lines"]), None)
        for c in demo_cases
    }
    with_shop = [(c.text, shop_of[c.id]) for c in demo_cases if shop_of[c.id]]
    times: list[float] = []
    for _ in range(args.rounds):
        for text, shop in with_shop:
            started = time.perf_counter()
            parse(text, demo_index, shop)
            times.append((time.perf_counter() - started) * 1000)
    report("(a) one shop given (demo cases)", times)
    report(
        "(b) whole demo region, no shop (all cases)",
        latencies(lambda t: parse(t, demo_index), texts, args.rounds),
    )
    region = generated_region(args.shops, args.items)
    big_index, seconds, mib = build_figures(region)
    total = sum(len(m["menu"]) for m in region["merchants"])
    print(
        f"(c) generated region: {args.shops} shops, {total} items, "
        f"{len(big_index.names)} distinct names"
    )
    print(f"      index build {seconds:.2f} s, peak {mib:.1f} MiB")
    report(
        "(c) generated region, no shop (all cases)",
        latencies(lambda t: parse(t, big_index), texts, args.rounds),
    )
    some_shop = region["merchants"][len(region["merchants"]) // 2]["code"]
    report(
        f"(c') generated region, shop {some_shop} given",
        latencies(lambda t: parse(t, big_index, some_shop), texts, args.rounds),
    )
    long_text = " ".join(texts)[:4000]
    report(
        "long message (4,000 chars), generated region",
        latencies(lambda t: parse(t, big_index), [long_text], 5),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
