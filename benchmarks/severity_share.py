"""How often a ward gets a MAJOR finding: the severity policy's effect on the benchmark ward.

    python benchmarks/severity_share.py [--rows 200000] [--seed 20261125]

Generates the seeded synthetic ward of benchmarks/generate_ward.py, screens it in-process with
`pharmcheck.screen_frame` (as of 2026-11-25) and prints, over the ward's patients, the share with
at least one finding of each severity at or above MAJOR, the share with a MAJOR PC101, and the
rules that give MAJOR findings most often. It is not a test.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_ward import generate

from pharmcheck import screen_frame

AS_OF = date(2026, 11, 25)
MAJOR_OR_ABOVE = ("major", "contraindicated")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()
    meds, people = generate(args.rows, args.seed)
    findings = screen_frame(meds, people, as_of=AS_OF)
    patients = people["patient_id"].nunique()
    severity = findings["severity"].str.lower()
    major = findings[severity == "major"]
    at_least_major = findings[severity.isin(MAJOR_OR_ABOVE)]
    pc101 = major[major["code"] == "PC101"]
    print(f"ward: {args.rows:,} rows, {patients:,} patients (seed {args.seed})")
    print(f"patients with >=1 MAJOR finding: {share(major, patients)}")
    print(f"patients with >=1 MAJOR or CONTRAINDICATED finding: {share(at_least_major, patients)}")
    print(f"patients with a MAJOR PC101: {share(pc101, patients)}")
    by_rule = major.groupby("code")["patient_id"].nunique().sort_values(ascending=False)
    print("patients with a MAJOR finding, by rule:")
    for code, count in by_rule.items():
        print(f"  {code}  {count / patients:6.1%}")


def share(rows, patients: int) -> str:  # type: ignore[no-untyped-def]
    count = rows["patient_id"].nunique()
    return f"{count / patients:.1%} ({count:,} of {patients:,})"


if __name__ == "__main__":
    main()
