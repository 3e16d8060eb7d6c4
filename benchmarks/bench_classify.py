"""Benchmark for `pharmcheck classify`. Prints its figures; it is not a test.

    python benchmarks/bench_classify.py [--runs 7] [--db URL]

Measures, on this machine:
* `pharmcheck classify` of one structure against the whole KB as a fresh process
  (median wall of --runs; target <= 0.5 s);
* the library's classify of one structure in-process once the KB's patterns and
  fingerprints are loaded (median; target <= 5 ms).

Run it with the installed `pharmcheck` where possible: a source checkout without bytecode
(PYTHONDONTWRITEBYTECODE=1) recompiles every module per run.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

STRUCTURE = "CCCOC(=O)C1(c2ccccc2)CCN(C)CC1"  # a pethidine analogue that is no KB drug
OTHERS = [
    # tramadol hydrochloride: an exact match through the salt
    "CN(C)CC1CCCCC1(C2=CC(=CC=C2)OC)O.Cl",
    "O=C(O)c1cn(C2CC2)c2c(Cl)c(N3CCNCC3)c(F)cc2c1=O",  # a fluoroquinolone analogue
]


def wall(command: list[str], runs: int) -> tuple[float, float, float]:
    subprocess.run(command, capture_output=True, check=False)  # warm the page cache and the KB
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode().strip()}")
    return statistics.median(times), min(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", help="KB URL (default: the configured KB)")
    args = parser.parse_args()
    exe = shutil.which("pharmcheck", path=str(Path(sys.executable).parent)) or shutil.which(
        "pharmcheck"
    )
    cli = [exe] if exe else [sys.executable, "-m", "pharmcheck"]
    db = ["--db", args.db] if args.db else []
    print(f"command: {' '.join(cli)}")
    floor = wall([sys.executable, "-c", "pass"], args.runs)
    print(
        f"python -c pass                      median {floor[0] * 1000:7.1f} ms  "
        f"(min {floor[1] * 1000:.1f}, max {floor[2] * 1000:.1f})"
    )
    fresh = wall([*cli, "classify", STRUCTURE, *db], args.runs)
    print(
        f"pharmcheck classify (fresh process) median {fresh[0] * 1000:7.1f} ms  "
        f"(min {fresh[1] * 1000:.1f}, max {fresh[2] * 1000:.1f})  target <= 500 ms"
    )

    from pharmcheck.kb.store import open_kb
    from pharmcheck.structures import index, match_structure

    kb = open_kb(args.db)
    start = time.perf_counter()
    loaded = index(kb)
    load_ms = (time.perf_counter() - start) * 1000
    print(
        f"load patterns + fingerprints        {load_ms:7.1f} ms  "
        f"({len(loaded.fingerprints)} fingerprints, {len(loaded.patterns)} class SMARTS; "
        "once per KB)"
    )
    for text in [STRUCTURE, *OTHERS]:
        match_structure(kb, text)  # warm
        times = []
        for _ in range(200):
            start = time.perf_counter()
            match_structure(kb, text)
            times.append(time.perf_counter() - start)
        label = text if len(text) <= 40 else text[:37] + "..."
        print(
            f"in-process classify {label:<40} median {statistics.median(times) * 1000:6.2f} ms  "
            f"(min {min(times) * 1000:.2f})  target <= 5 ms"
        )


if __name__ == "__main__":
    main()
