"""Benchmark for `pharmcheck screen` (issue 7). Prints its figures; it is not a test.

    python benchmarks/bench_screen.py [--rows 1000000] [--sample 2000]

Generates (once, seeded) a synthetic ward with benchmarks/generate_ward.py, then measures
`pharmcheck screen MEDS --patients PATIENTS -o OUT` end to end as a fresh process (CSV in,
CSV out): wall time, rows/s and peak RSS. The naive baseline, in a process of its own, calls the
library's `check` once per patient in a loop over a sample of patients; its time is extrapolated to
the whole ward, and its peak RSS is that process's (the tables loaded, the KB, the sample checked).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_ward import generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/pharmcheck-bench"))
    args = parser.parse_args()
    folder = args.dir / str(args.rows)
    meds_csv, patients_csv, out_csv = folder / "meds.csv", folder / "patients.csv", folder / "findings.csv"
    if not meds_csv.exists():
        folder.mkdir(parents=True, exist_ok=True)
        meds, people = generate(args.rows)
        meds.to_csv(meds_csv, index=False)
        people.to_csv(patients_csv, index=False)
    exe = shutil.which("pharmcheck", path=str(Path(sys.executable).parent))
    cli = [exe] if exe else [sys.executable, "-m", "pharmcheck"]
    subprocess.run([*cli, "db", "info"], capture_output=True, check=True)  # the KB exists before timing
    start = time.perf_counter()
    done = subprocess.run([*cli, "screen", str(meds_csv), "--patients", str(patients_csv), "-o", str(out_csv),
                           "--as-of", "2026-11-25", "--exit-zero"], capture_output=True, text=True)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if done.returncode != 0:
        print(done.stderr[-2000:])
        raise SystemExit(done.returncode)
    print(f"rows: {args.rows}   {done.stderr.strip().splitlines()[-1]}")
    print(f"pharmcheck screen (CSV in, CSV out): wall {wall:.1f} s, {args.rows / wall:,.0f} rows/s, "
          f"peak RSS {peak:,.0f} MiB (largest process)   targets: <= 10 s, <= 2048 MiB")

    naive = subprocess.run([sys.executable, __file__, "--naive", str(meds_csv), str(patients_csv), str(args.sample)],
                           capture_output=True, text=True, check=True)
    per_patient, patients, naive_peak = (float(v) for v in naive.stdout.split())
    naive_wall = per_patient * patients
    print(f"naive baseline (check per patient, {args.sample} sampled, extrapolated to {patients:,.0f} patients): "
          f"wall {naive_wall:.1f} s ({per_patient * 1000:.2f} ms/patient), {args.rows / naive_wall:,.0f} rows/s, "
          f"peak RSS {naive_peak:,.0f} MiB; speed-up {naive_wall / wall:.1f}x (target >= 20x)")


def naive_baseline(meds_csv: str, patients_csv: str, sample: int) -> None:
    """Run in a process of its own: prints seconds per patient, the patient count and peak RSS (MiB)."""
    import pandas as pd

    from pharmcheck import Medication, Patient
    from pharmcheck.engine import checker

    meds = pd.read_csv(meds_csv, dtype=str, keep_default_na=False)
    people = pd.read_csv(patients_csv, dtype=str, keep_default_na=False).set_index("patient_id")
    sample_ids = list(dict.fromkeys(meds["patient_id"]))[:sample]
    runner = checker()
    groups = meds[meds["patient_id"].isin(sample_ids)].groupby("patient_id")
    start = time.perf_counter()
    for pid, rows in groups:
        row = people.loc[pid]
        patient = Patient(id=pid, age=float(row["age"]) if row["age"] else None,
                          crcl=float(row["crcl"]) if row["crcl"] else None,
                          conditions=(row["conditions"],) if row["conditions"] else (),
                          myoclonus=row["myoclonus"] or None)
        medications = [Medication(n, dose=d or None, frequency=f or None,
                                  start=date.fromisoformat(s) if s else None)
                       for n, d, f, s in zip(rows["name"], rows["dose"], rows["frequency"], rows["start"], strict=True)]
        runner.check(medications, patient, as_of=date(2026, 11, 25))
    per_patient = (time.perf_counter() - start) / len(sample_ids)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(per_patient, meds["patient_id"].nunique(), peak)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--naive"]:
        naive_baseline(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
