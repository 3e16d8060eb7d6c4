"""Benchmark for `pharmcheck screen`. Prints its figures; it is not a test.

    python benchmarks/bench_screen.py [--rows 1000000] [--sample all | --sample 10000]

Generates (once, seeded) a synthetic ward with benchmarks/generate_ward.py, then measures
`pharmcheck screen MEDS --patients PATIENTS -o OUT` end to end as a fresh process (CSV in,
CSV out): wall time, rows/s and peak RSS.

The naive baseline, in a process of its own, calls the library's `check` once per patient in a
loop; only the loop is timed (reading the tables and grouping the rows are not). By default the
loop covers every patient. The loop gets faster as the KB's caches fill: at 1M rows the first
2,000 patients took 0.65 ms each and the whole ward 0.33 ms each, so any sample scaled up
overstates the baseline. With `--sample N` (the first N patients) the estimate is the sample's
time plus its second half's rate for every other patient, and it is printed as an upper bound.
The loop's findings per patient (code, drugs, severity and message of each, in order) are checked
against the screen's rows for the same patients, so both sides are known to give the same findings.
Its peak RSS is that process's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_ward import generate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", default="all", help="patients in the naive loop (default: all)")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/pharmcheck-bench"))
    parser.add_argument(
        "--workers", type=int, help="pharmcheck screen --workers N (default: the command's own)"
    )
    parser.add_argument("--no-naive", action="store_true", help="time the screen only")
    args = parser.parse_args()
    folder = args.dir / str(args.rows)
    meds_csv, patients_csv, out_csv = (
        folder / "meds.csv",
        folder / "patients.csv",
        folder / "findings.csv",
    )
    if not meds_csv.exists():
        folder.mkdir(parents=True, exist_ok=True)
        meds, people = generate(args.rows)
        meds.to_csv(meds_csv, index=False)
        people.to_csv(patients_csv, index=False)
    exe = shutil.which("pharmcheck", path=str(Path(sys.executable).parent))
    cli = [exe] if exe else [sys.executable, "-m", "pharmcheck"]
    subprocess.run(
        [*cli, "db", "info"], capture_output=True, check=True
    )  # the KB exists before timing
    workers = [] if args.workers is None else ["--workers", str(args.workers)]
    start = time.perf_counter()
    command = subprocess.Popen(
        [
            *cli,
            "screen",
            str(meds_csv),
            "--patients",
            str(patients_csv),
            "-o",
            str(out_csv),
            "--as-of",
            "2026-11-25",
            "--exit-zero",
            *workers,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    memory = MemoryWatch(command.pid)
    memory.start()
    _, errors = command.communicate()
    wall = time.perf_counter() - start
    memory.stop()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if command.returncode != 0:
        print(errors[-2000:])
        raise SystemExit(command.returncode)
    print(f"rows: {args.rows}   {errors.strip().splitlines()[-1]}")
    how = f", --workers {args.workers}" if workers else ""
    print(
        f"pharmcheck screen (CSV in, CSV out{how}): wall {wall:.1f} s, "
        f"{args.rows / wall:,.0f} rows/s, "
        f"peak RSS {peak:,.0f} MiB (largest process), {memory.summary()}   "
        "targets: <= 10 s, <= 2048 MiB"
    )
    if args.no_naive:
        return

    naive = subprocess.run(
        [sys.executable, __file__, "--naive", str(meds_csv), str(patients_csv), str(args.sample)],
        capture_output=True,
        text=True,
        check=True,
    )
    run = json.loads(naive.stdout)
    agree = same_findings(out_csv, run["findings"])
    sampled, patients = len(run["findings"]), run["patients"]
    if sampled == patients:
        naive_wall, how = run["seconds"], f"all {patients:,} patients"
    else:  # the second half's rate for each patient after the sample
        rate = (run["seconds"] - run["seconds_half"]) / (sampled - sampled // 2)
        naive_wall = run["seconds"] + rate * (patients - sampled)
        how = (
            f"{sampled:,} of {patients:,} patients in {run['seconds']:.1f} s, then "
            f"{rate * 1000:.3f} ms/patient "
            f"for the rest: an upper bound, as the loop keeps getting faster"
        )
    print(
        f"naive baseline (check per patient; {how}): wall {naive_wall:.1f} s, "
        f"{args.rows / naive_wall:,.0f} rows/s, "
        f"peak RSS {run['peak_mib']:,.0f} MiB; {agree}"
    )
    print(f"speed-up {naive_wall / wall:.1f}x over the naive loop")


class MemoryWatch:
    """Samples a process and its descendants every 50 ms (Linux /proc): the peak of their summed
    resident memory, the sum of each one's own peak (VmHWM), which bounds the first, and their
    CPU time as last seen (a worker's is not counted by the parent's rusage)."""

    def __init__(self, pid: int):
        import threading

        self._pid, self._summed = pid, 0
        self._peaks: dict[int, int] = {}
        self._cpu: dict[int, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def summary(self) -> str:
        if not self._peaks:
            return "no /proc to sample the processes"
        return (
            f"{self._summed / 1024:,.0f} MiB (all {len(self._peaks)} processes at once, sampled), "
            f"{sum(self._peaks.values()) / 1024:,.0f} MiB (sum of each process's peak); "
            f"CPU {sum(self._cpu.values()):.1f} s (user + sys, all processes)"
        )

    def _run(self) -> None:
        while not self._done.wait(0.05):
            now = 0
            for pid in self._tree():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                    ticks = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue  # ended between listing and reading
                self._cpu[pid] = (int(ticks[11]) + int(ticks[12])) / os.sysconf("SC_CLK_TCK")
                fields = dict(
                    line.split(":", 1) for line in status.splitlines() if line.startswith("Vm")
                )
                if "VmRSS" not in fields:
                    continue  # a zombie
                now += int(fields["VmRSS"].split()[0])
                self._peaks[pid] = max(self._peaks.get(pid, 0), int(fields["VmHWM"].split()[0]))
            self._summed = max(self._summed, now)

    def _tree(self) -> list[int]:
        """The process and its descendants, from each one's own list of children. Reading every
        process of the machine every 20 ms took 12% of a core (0.59 s of CPU in 5 s) from the
        screen it measures; this, every 50 ms, takes 2% (0.11 s)."""
        found, todo = [], [self._pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            for children in Path(f"/proc/{pid}/task").glob("*/children"):
                try:
                    todo += [int(child) for child in children.read_text().split()]
                except OSError:
                    continue  # ended between listing and reading
        return found


FINDING_FIELDS = ("code", "drugs", "severity", "message")


def digest(findings: list[tuple[str, ...]]) -> str:
    """One patient's findings, in order, as a short fingerprint (the loop's JSON stays small)."""
    return hashlib.sha256(json.dumps(findings).encode()).hexdigest()[:16]


def same_findings(out_csv: Path, naive: dict[str, str]) -> str:
    """Whether the screen wrote, for each sampled patient, the findings `check` gave: the same
    code, drugs, severity and message, in the same order."""
    import pandas as pd

    rows = pd.read_csv(
        out_csv,
        usecols=["patient_id", *FINDING_FIELDS],
        dtype=str,
        keep_default_na=False,
        engine="pyarrow",
    )
    rows = rows[(rows["code"] != "") & rows["patient_id"].isin(list(naive))]
    screened = {
        str(pid): digest([list(r) for r in group[list(FINDING_FIELDS)].itertuples(index=False)])
        for pid, group in rows.groupby("patient_id", sort=False)
    }
    nothing = digest([])
    differ = [pid for pid, found in naive.items() if screened.get(pid, nothing) != found]
    if differ:
        raise SystemExit(
            f"the naive loop and the screen disagree for {len(differ)} patients, e.g. {differ[:5]}"
        )
    return (
        f"same findings (code, drugs, severity, message) as the screen for all {len(naive):,} "
        "sampled patients"
    )


def naive_baseline(meds_csv: str, patients_csv: str, sample: str) -> None:
    """Run in a process of its own; prints JSON: the loop's seconds at half the sample and at its
    end, the ward's patient count, peak RSS (MiB), and the findings per sampled patient."""
    import pandas as pd

    from pharmcheck import Medication, Patient
    from pharmcheck.engine import checker

    meds = pd.read_csv(meds_csv, dtype=str, keep_default_na=False)
    people = (
        pd.read_csv(patients_csv, dtype=str, keep_default_na=False)
        .set_index("patient_id")
        .to_dict("index")
    )
    every_id = list(dict.fromkeys(meds["patient_id"]))
    sample_ids = every_id if sample == "all" else every_id[: int(sample)]
    runner = checker()
    rows_of: dict[str, list[tuple[str, ...]]] = {pid: [] for pid in sample_ids}
    chosen = meds[meds["patient_id"].isin(sample_ids)]
    for pid, *row in zip(
        *(chosen[c] for c in ("patient_id", "name", "dose", "frequency", "start")), strict=True
    ):
        rows_of[pid].append(row)
    findings: dict[str, str] = {}
    half = len(sample_ids) // 2
    start = time.perf_counter()  # from here on the loop does little besides calling check
    for number, pid in enumerate(sample_ids):
        if number == half:
            seconds_half = time.perf_counter() - start
        row = people[pid]
        patient = Patient(
            id=pid,
            age=float(row["age"]) if row["age"] else None,
            crcl=float(row["crcl"]) if row["crcl"] else None,
            conditions=(row["conditions"],) if row["conditions"] else (),
            myoclonus=row["myoclonus"] or None,
        )
        medications = [
            Medication(
                n, dose=d or None, frequency=f or None, start=date.fromisoformat(s) if s else None
            )
            for n, d, f, s in rows_of[pid]
        ]
        report = runner.check(medications, patient, as_of=date(2026, 11, 25))
        findings[pid] = digest(
            [[f.code, ";".join(f.drugs), f.severity.label, f.message] for f in report.findings]
        )
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds_half": seconds_half,
                "seconds": seconds,
                "patients": len(every_id),
                "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "findings": findings,
            }
        )
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--naive"]:
        naive_baseline(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
