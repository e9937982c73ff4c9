"""Print what two busy processes get from this machine against one: the ceiling of scale.py.

scale.py asks whether 2 gongbae instances do 1.3x the work of 1 on this 2-core machine. This
asks the machine the same of the simplest work there is: a pure-Python loop (no I/O, no
sharing), run alone, then as two processes at once, in turn for --rounds. Independent cores
give 2.00x; cores that are hyperthreads of one, or a host that cannot keep both busy, give
less. The host's other tenants make single rounds uneven: the median is the figure.
Run: .venv/bin/python benchmarks/cores.py [--rounds 5] [--work 20000000]
"""

import argparse
import statistics
import subprocess
import sys
import time

LOOP = "x = 0\nfor i in range({work}):\n    x += i * i % 7\n"


def spin(count: int, work: int) -> float:
    """Run `count` loop processes at once; return the wall time until all have finished."""
    started = time.perf_counter()
    processes = [
        subprocess.Popen([sys.executable, "-c", LOOP.format(work=work)])  # noqa: S603
        for _ in range(count)
    ]
    for process in processes:
        process.wait()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--work", type=int, default=20_000_000)
    args = parser.parse_args()
    ratios = []
    for round_ in range(args.rounds):
        alone = spin(1, args.work)
        together = spin(2, args.work)
        ratio = 2 * alone / together  # work done per second, two processes against one
        ratios.append(ratio)
        print(
            f"round {round_ + 1}: 1 process {alone:.2f} s, 2 processes {together:.2f} s: "
            f"{ratio:.2f}x the throughput",
            flush=True,
        )
    print(
        f"two busy processes against one, median of {args.rounds} rounds: "
        f"{statistics.median(ratios):.2f}x (range {min(ratios):.2f}-{max(ratios):.2f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
