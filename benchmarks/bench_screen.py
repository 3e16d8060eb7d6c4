"""Benchmark for `pharmcheck screen` (issue 7). Prints its figures; it is not a test.

    python benchmarks/bench_screen.py [--rows 1000000] [--sample 2000]

Generates (once, seeded) a synthetic ward with benchmarks/generate_ward.py, then measures
`pharmcheck screen MEDS --patients PATIENTS -o OUT` end to end as a fresh process (CSV in,
CSV out): wall time, rows/s and peak RSS. The naive baseline calls the library's `check` once
per patient in a loop over a sample of patients and is extrapolated to the whole ward.
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

    import pandas as pd

    from pharmcheck import Medication, Patient
    from pharmcheck.engine import checker

    meds = pd.read_csv(meds_csv, dtype=str, keep_default_na=False)
    people = pd.read_csv(patients_csv, dtype=str, keep_default_na=False).set_index("patient_id")
    sample_ids = list(dict.fromkeys(meds["patient_id"]))[: args.sample]
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
    naive = per_patient * meds["patient_id"].nunique()
    print(f"naive baseline (check per patient, {len(sample_ids)} sampled): {per_patient * 1000:.2f} ms/patient, "
          f"extrapolated {naive:.1f} s for {meds['patient_id'].nunique():,} patients; speed-up {naive / wall:.1f}x "
          "(target >= 20x)")


if __name__ == "__main__":
    main()
