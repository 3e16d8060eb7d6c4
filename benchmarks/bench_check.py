"""Benchmark for `pharmcheck check`. Prints its figures; it is not a test.

    python benchmarks/bench_check.py [--runs 15]

Measures, on this machine:
* `pharmcheck check` on a 10-drug list as a fresh process (median wall; target <= 5x
  `python -c pass`, measured side by side in the same run);
* `pharmcheck --help` as a fresh process (median wall; target <= 3x `python -c pass`);
* the library's check of the same list in-process once the KB is loaded (median; target <= 1 ms).

Run it with the installed `pharmcheck` (the Quick start's .venv): a source checkout without
bytecode (PYTHONDONTWRITEBYTECODE=1 is set on this machine) recompiles every module per run.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

MEDS = [
    "tramadol 50 mg qid",
    "Neurontin 600 tid",
    "Demerol 75 mg IM q3h",
    "sertraline 100 mg daily",
    "amlodipine 5 mg daily",
    "metformin 500 mg bd",
    "clonazepam 0.5 mg bd",
    "Keppra 500 mg bd",
    "lisinopril 10 mg daily",
    "lithium carbonate 400 mg nocte",
]


def wall(command: list[str], runs: int) -> tuple[float, float, float]:
    subprocess.run(command, capture_output=True, check=False)  # warm the page cache and the KB
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    exe = shutil.which("pharmcheck", path=str(Path(sys.executable).parent)) or shutil.which(
        "pharmcheck"
    )
    cli = [exe] if exe else [sys.executable, "-m", "pharmcheck"]
    print(f"command: {' '.join(cli)}")
    floor = wall([sys.executable, "-c", "pass"], args.runs)
    print(
        f"python -c pass                    median {floor[0] * 1000:7.1f} ms  (min "
        f"{floor[1] * 1000:.1f}, max {floor[2] * 1000:.1f})"
    )
    help_t = wall([*cli, "--help"], args.runs)
    print(
        f"pharmcheck --help                 median {help_t[0] * 1000:7.1f} ms  (min "
        f"{help_t[1] * 1000:.1f}, max {help_t[2] * 1000:.1f})"
        f"  {help_t[0] / floor[0]:.1f}x python -c pass, target <= 3x"
    )
    check_t = wall([*cli, "check", *MEDS, "--crcl", "28", "--exit-zero"], args.runs)
    print(
        f"pharmcheck check (10 drugs)       median {check_t[0] * 1000:7.1f} ms  (min "
        f"{check_t[1] * 1000:.1f}, max {check_t[2] * 1000:.1f})"
        f"  {check_t[0] / floor[0]:.1f}x python -c pass, target <= 5x"
    )

    from pharmcheck import Patient
    from pharmcheck.engine import checker

    runner = checker()
    patient = Patient(age=70, crcl=28, myoclonus="present")
    runner.check(MEDS, patient, as_of=date(2026, 11, 25))
    times = []
    for _ in range(500):
        start = time.perf_counter()
        runner.check(MEDS, patient, as_of=date(2026, 11, 25))
        times.append(time.perf_counter() - start)
    print(
        f"library check in-process          median {statistics.median(times) * 1000:7.3f} ms  "
        "target <= 1 ms"
    )
    heavy = [m for m in ("sqlalchemy", "pandas", "rdkit", "alembic") if m in sys.modules]
    print(f"heavy modules imported by the check path: {heavy or 'none'}")


if __name__ == "__main__":
    main()
