"""A ward with good rows and every kind of bad one, shared by the tests of the screens that split
a ward (Dask, the process pool) and compare with one process."""

from __future__ import annotations

from datetime import date

import pandas as pd

AS_OF = date(2026, 11, 25)
ANALOGUE = "CCCCCCCCCCCCCCCCCCO"  # octadecanol: no KB drug, so screened by structure only
# (patient, name, dose, start, stop, status, smiles): good rows and every kind of bad one
ROWS = [
    ("p1", "morphine 10 mg q4h", "", "", "", "", ""),
    ("p1", "", "", "", "", "", ""),  # no name
    ("", "tramadol", "", "", "", "", ""),  # no patient
    ("p1", "amlodipine", "12 parsecs", "", "", "", ""),  # unreadable dose
    ("p9", "tramadol", "", "", "", "", ""),  # not in the patients table
    ("p1", "lithium", "", "not a date", "", "", ""),
    ("p1", "sertraline", "", "2026-05-01", "2026-01-01", "", ""),  # stops before it starts
    ("p1", "clonazepam", "", "2027-05-01", "", "", ""),  # starts after the screening date
    ("p2", "tramadol 50 mg qid", "", "2026-11-01", "", "", ""),
    ("p2", "sertraline 100 mg daily", "", "", "", "", ""),
    ("p2", "xyzzy", "", "", "", "", ""),  # unrecognised
    ("p2", "linezolid 600 bd", "", "", "", "stopped", ""),
    ("p3", "valproic acid 500 mg bd", "", "", "", "entered-in-error", ""),
    ("p3", "meropenem 1 g tds", "", "", "", "unknown", ""),
    ("p3", "compound B", "", "", "", "", ANALOGUE),
    ("p3", "tramadol", "", "", "", "held-ish", ""),  # unreadable status
    ("p4", "Keppra 500 mg bd", "", "", "", "", ""),
    ("p5", "gabapentin 1600 mg tid", "", "", "", "", ""),
    ("p6", "lithium 400 mg nocte", "", "", "", "", ""),
    ("p7", "carbamazepine 200 mg bd", "", "", "", "", ""),
    ("p8", "amitriptyline 25 mg nocte", "", "", "", "", ""),
]
PATIENTS = pd.DataFrame(
    {
        "patient_id": ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p10", "p11"],
        "age": ["70", "40", "50", "999", "30", "82", "25", "", "60", "61"],  # p4: not plausible
        "crcl": ["28", "", "90", "", "20", "", "", "45", "", ""],
        "conditions": [
            "",
            "made-up syndrome",
            "dehydration",
            "",
            "",
            "",
            "Juvenile Myoclonic Epilepsy (JME)",
            "",
            "xyzzy disease",  # no medications: its unrecognised condition is still a row
            "",
        ],
        "myoclonus": ["", "present", "", "", "worsening", "", "", "", "", ""],
    }
)


def ward_meds() -> pd.DataFrame:
    return pd.DataFrame(
        ROWS, columns=["patient_id", "name", "dose", "start", "stop", "status", "smiles"]
    )
