"""Seeded generator of synthetic ward data for the screening benchmark.

    python benchmarks/generate_ward.py --rows 1000000 --out /tmp/ward

writes meds.csv and patients.csv to the --out folder.

The mix: about 8 medications per patient; about a third unrelated to myoclonus; brand names,
sig strings and about 2% misspellings; renal values, conditions and start dates on a fraction of
patients. Everything comes from numpy with a fixed seed, so the same arguments give the same files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

RELEVANT = [
    "morphine",
    "tramadol",
    "oxycodone",
    "hydromorphone",
    "fentanyl",
    "pethidine",
    "methadone",
    "codeine",
    "gabapentin",
    "pregabalin",
    "sertraline",
    "citalopram",
    "escitalopram",
    "fluoxetine",
    "venlafaxine",
    "duloxetine",
    "amitriptyline",
    "nortriptyline",
    "mirtazapine",
    "trazodone",
    "lithium",
    "clozapine",
    "quetiapine",
    "olanzapine",
    "haloperidol",
    "clonazepam",
    "diazepam",
    "lorazepam",
    "zopiclone",
    "valproic acid",
    "levetiracetam",
    "carbamazepine",
    "lamotrigine",
    "phenytoin",
    "topiramate",
    "piracetam",
    "ciprofloxacin",
    "levofloxacin",
    "cefepime",
    "ceftriaxone",
    "meropenem",
    "linezolid",
    "aciclovir",
    "metoclopramide",
    "baclofen",
    "amantadine",
    "levodopa",
    "oxybutynin",
    "diphenhydramine",
    "ibuprofen",
]
BRANDS = {
    "gabapentin": "Neurontin",
    "tramadol": "Ultram",
    "clonazepam": "Klonopin",
    "levetiracetam": "Keppra",
    "pethidine": "Demerol",
    "escitalopram": "Lexapro",
    "linezolid": "Zyvox",
    "piracetam": "Nootropil",
    "sertraline": "Zoloft",
    "valproic acid": "Depakote",
    "quetiapine": "Seroquel",
    "pregabalin": "Lyrica",
}
UNRELATED = [
    "amlodipine",
    "metformin",
    "atorvastatin",
    "simvastatin",
    "lisinopril",
    "ramipril",
    "bisoprolol",
    "omeprazole",
    "lansoprazole",
    "levothyroxine",
    "apixaban",
    "warfarin",
    "furosemide",
    "paracetamol",
    "insulin glargine",
    "salbutamol",
    "tamsulosin",
    "allopurinol",
    "prednisolone",
    "folic acid",
    "vitamin d",
    "enoxaparin",
    "aspirin",
    "clopidogrel",
    "losartan",
]
DOSES = ["5 mg", "10 mg", "25 mg", "50 mg", "100 mg", "200 mg", "300 mg", "500 mg", "600 mg", "1 g"]
FREQS = ["daily", "bd", "tds", "qds", "nocte", "q4h", "prn", ""]
CONDITIONS = [
    "juvenile myoclonic epilepsy",
    "dehydration",
    "Dravet syndrome",
    "epilepsy",
    "renal failure",
]


def misspell(name: str, rng: np.random.Generator) -> str:
    i = int(rng.integers(1, max(2, len(name) - 1)))
    return name[:i] + name[i + 1 :] if rng.random() < 0.5 else name[:i] + name[i] + name[i:]


def generate(rows: int, seed: int = 20261125) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    patients = max(1, rows // 8)
    patient_of_row = np.sort(rng.integers(0, patients, rows))
    relevant = rng.random(rows) < 2 / 3
    names = np.where(relevant, rng.choice(RELEVANT, rows), rng.choice(UNRELATED, rows)).astype(
        object
    )
    style = rng.random(rows)
    doses = rng.choice(DOSES, rows)
    freqs = rng.choice(FREQS, rows)
    out_names = []
    out_dose = []
    out_freq = []
    for name, s, dose, freq in zip(names, style, doses, freqs, strict=True):
        if s < 0.02:
            out_names.append(misspell(name, rng))
            out_dose.append(dose)
            out_freq.append(freq)
        elif s < 0.15 and name in BRANDS:
            out_names.append(BRANDS[name])
            out_dose.append(dose)
            out_freq.append(freq)
        elif s < 0.45:
            out_names.append(f"{name} {dose} {freq}".strip())  # a whole sig string in the name
            out_dose.append("")
            out_freq.append("")
        else:
            out_names.append(name)
            out_dose.append(dose)
            out_freq.append(freq)
    ids = np.char.add("P", patient_of_row.astype(str))
    start = np.where(
        rng.random(rows) < 0.3,
        (np.datetime64("2026-01-01") + rng.integers(0, 320, rows)).astype(str),
        "",
    )
    meds = pd.DataFrame(
        {
            "patient_id": ids,
            "name": out_names,
            "dose": out_dose,
            "frequency": out_freq,
            "start": start,
        }
    )
    pid = np.char.add("P", np.arange(patients).astype(str))
    has_renal = rng.random(patients) < 0.4
    crcl = np.where(has_renal, rng.integers(8, 130, patients).astype(str), "")
    age = rng.integers(18, 98, patients).astype(str)
    conditions = np.where(rng.random(patients) < 0.1, rng.choice(CONDITIONS, patients), "")
    myoclonus = np.where(
        rng.random(patients) < 0.1, rng.choice(["present", "worsening"], patients), ""
    )
    people = pd.DataFrame(
        {
            "patient_id": pid,
            "age": age,
            "crcl": crcl,
            "conditions": conditions,
            "myoclonus": myoclonus,
        }
    )
    return meds, people


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--out", type=Path, default=Path("/tmp/pharmcheck-ward"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    meds, people = generate(args.rows, args.seed)
    meds.to_csv(args.out / "meds.csv", index=False)
    people.to_csv(args.out / "patients.csv", index=False)
    print(f"wrote {len(meds)} medication rows for {len(people)} patients to {args.out}")


if __name__ == "__main__":
    main()
