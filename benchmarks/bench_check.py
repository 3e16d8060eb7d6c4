"""Benchmark for `pharmcheck check`. Prints its figures; it is not a test.

    python benchmarks/bench_check.py [--runs 21]

Measures, on this machine, side by side (each round runs every command once, in a shuffled order,
so the machine's load falls on all of them alike):
* `pharmcheck --help` as a fresh process (median; target <= 3x `python -c pass`);
* `pharmcheck check` on a 10-drug list as a fresh process (median; target <= 5x `python -c pass`);
  both as wall time and as CPU time (user + system of the child; a busy machine disturbs it less);
* for context, the floor the stack sets: importing click and dataclasses, which every command
  needs, and everything the check imports (without opening the KB or checking);
* the library's check of the same list in-process once the KB is loaded (median; target <= 1 ms).

Run it with the installed `pharmcheck` (the Quick start's .venv): a source checkout without
bytecode (PYTHONDONTWRITEBYTECODE=1 is set on this machine) recompiles every module per run.
"""

from __future__ import annotations

import argparse
import os
import random
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


#: What `pharmcheck check` imports before it opens the KB (its text report included).
CHECK_IMPORTS = "import pharmcheck.cli.check_command, pharmcheck.engine, pharmcheck.report.text"


def _once(command: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system, from the child's rusage) of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0  # reaped above
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def side_by_side(
    commands: dict[str, list[str]], runs: int
) -> dict[str, tuple[list[float], list[float]]]:
    """Every command once per round, in a shuffled order, so a change in the machine's load
    falls on all of them alike; returns each command's wall and CPU times."""
    for command in commands.values():
        _once(command)  # warm the page cache and the KB
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in commands}
    order = list(commands)
    for _ in range(runs):
        random.shuffle(order)
        for name in order:
            wall, cpu = _once(commands[name])
            times[name][0].append(wall)
            times[name][1].append(cpu)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    exe = shutil.which("pharmcheck", path=str(Path(sys.executable).parent)) or shutil.which(
        "pharmcheck"
    )
    cli = [exe] if exe else [sys.executable, "-m", "pharmcheck"]
    print(f"command: {' '.join(cli)}; load average {os.getloadavg()[0]:.2f} (1 min) before")
    times = side_by_side(
        {
            "python -c pass": [sys.executable, "-c", "pass"],
            "pharmcheck --help": [*cli, "--help"],
            "pharmcheck check (10 drugs)": [*cli, "check", *MEDS, "--crcl", "28", "--exit-zero"],
            # -P: the installed package, never a checkout in the current folder
            "floor: click, dataclasses": [sys.executable, "-P", "-c", "import click, dataclasses"],
            "floor: the check's imports": [sys.executable, "-P", "-c", CHECK_IMPORTS],
        },
        args.runs,
    )
    floor_wall, floor_cpu = (statistics.median(t) for t in times["python -c pass"])
    targets = {"pharmcheck --help": 3, "pharmcheck check (10 drugs)": 5}
    for name, (walls, cpus) in times.items():
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        line = (
            f"{name:<28} wall median {wall * 1000:6.1f} ms (min {min(walls) * 1000:.1f}), "
            f"CPU median {cpu * 1000:6.1f} ms"
        )
        if name != "python -c pass":
            line += (
                f"  = {wall / floor_wall:.1f}x wall, {cpu / floor_cpu:.1f}x CPU of python -c pass"
            )
        if name in targets:
            line += f" (target <= {targets[name]}x)"
        print(line)
    print(f"load average {os.getloadavg()[0]:.2f} (1 min) after {args.runs} rounds")

    from pharmcheck import Patient
    from pharmcheck.engine import checker

    runner = checker()
    patient = Patient(age=70, crcl=28, myoclonus="present")
    runner.check(MEDS, patient, as_of=date(2026, 11, 25))
    in_process = []
    for _ in range(500):
        start = time.perf_counter()
        runner.check(MEDS, patient, as_of=date(2026, 11, 25))
        in_process.append(time.perf_counter() - start)
    print(
        f"library check in-process     median {statistics.median(in_process) * 1000:.3f} ms"
        "  (target <= 1 ms)"
    )
    heavy = [m for m in ("sqlalchemy", "pandas", "rdkit", "alembic") if m in sys.modules]
    print(f"heavy modules imported by the check path: {heavy or 'none'}")


if __name__ == "__main__":
    main()
