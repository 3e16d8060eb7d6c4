"""Batch screening: formats, aliases, bad rows, empty input, schema, and agreement with check."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from itertools import product
from pathlib import Path
from typing import cast

import pytest

pytest.importorskip("pandas", reason="needs the batch extra (pandas)")

import pandas as pd
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from pharmcheck.batch import OUT_COLUMNS, read_table, screen, screen_frame
from pharmcheck.cli import cli
from pharmcheck.domain import (
    Dialysis,
    HepaticLevel,
    Medication,
    MyoclonusState,
    Patient,
    Severity,
    Sex,
)
from pharmcheck.errors import InputError

AS_OF = date(2026, 11, 25)
NOT_FINDINGS = [
    "unrecognized",
    "structure-only",
    "rejected-row",
]  # rows about the input, not findings
MEDS = pd.DataFrame(
    {
        "patient_id": ["p1", "p1", "p1", "p2", "p2"],
        "name": [
            "tramadol 50 mg qid",
            "Neurontin 600 tid",
            "xyzzy",
            "sertraline",
            "linezolid 600 bd",
        ],
    }
)
PATIENTS = pd.DataFrame(
    {"patient_id": ["p1", "p2", "p3"], "crcl": ["28", "", "90"], "age": ["70", "40", "50"]}
)


def test_output_schema(checker) -> None:  # type: ignore[no-untyped-def]
    out = screen_frame(MEDS, PATIENTS, runner=checker, as_of=AS_OF)
    assert tuple(out.columns) == OUT_COLUMNS
    assert set(out["patient_id"]) == {"p1", "p2"}
    unrecognized = out[out["category"] == "unrecognized"]
    assert (
        list(unrecognized["title"]) == ["Not checked: xyzzy"]
        and "row 4" in unrecognized["message"].iloc[0]
    )


def test_patients_without_findings_are_in_the_summary_only(checker) -> None:  # type: ignore[no-untyped-def]
    result = screen(MEDS, PATIENTS, runner=checker, as_of=AS_OF)
    assert "p3" not in set(result.findings["patient_id"])
    assert result.summary.set_index("patient_id").loc["p3", "highest_severity"] == "no medications"


def test_batch_equals_check_for_each_patient(checker) -> None:  # type: ignore[no-untyped-def]
    out = screen_frame(MEDS, PATIENTS, runner=checker, as_of=AS_OF)
    report = checker.check(
        ["tramadol 50 mg qid", "Neurontin 600 tid", "xyzzy"],
        Patient(id="p1", crcl=28, age=70),
        as_of=AS_OF,
    )
    batch = out[(out["patient_id"] == "p1") & (out["code"] != "")]
    assert list(batch["code"]) == [f.code for f in report.findings]
    assert list(batch["message"]) == [f.message for f in report.findings]


def test_column_aliases_and_case(checker) -> None:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame({"MRN": ["a"], "Medication": ["morphine 10 mg q4h"], "Colour": ["blue"]})
    result = screen(frame, runner=checker, as_of=AS_OF)
    assert "PC101" in set(result.findings["code"])
    assert any("Colour" in note for note in result.notes)


def test_missing_required_column_names_the_columns_found(checker) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="missing required column.*name.*found patient_id, dose"):
        screen(pd.DataFrame({"patient_id": ["a"], "dose": ["1"]}), runner=checker)


def test_every_bad_row_is_reported_and_the_rest_screened(checker) -> None:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame(
        {
            "patient_id": ["p1", "p1", "", "p1", "p9", "p1", "p1", "p1"],
            "name": [
                "morphine 10 mg q4h",
                "",
                "tramadol",
                "amlodipine",
                "tramadol",
                "lithium",
                "sertraline",
                "clonazepam",
            ],
            "dose": ["", "", "", "12 parsecs", "", "", "", ""],
            "start": ["", "", "", "", "", "not a date", "2026-05-01", "2027-05-01"],
            "stop": ["", "", "", "", "", "", "2026-01-01", ""],
        }
    )
    patients = pd.DataFrame({"patient_id": ["p1"], "age": ["70"]})
    result = screen(frame, patients, runner=checker, as_of=AS_OF)
    rejected = result.findings[result.findings["category"] == "rejected-row"]
    reasons = dict(zip(rejected["title"], rejected["message"], strict=True))
    assert reasons["Row 3 not screened"].endswith("missing medication name")
    assert reasons["Row 4 not screened"].endswith("missing patient_id")
    assert "cannot read the dose" in reasons["Row 5 not screened"]
    assert "not in the patients table" in reasons["Row 6 not screened"]
    assert "unparsable start date" in reasons["Row 7 not screened"]
    assert "stop date before start date" in reasons["Row 8 not screened"]
    assert "after the screening date" in reasons["Row 9 not screened"]
    assert result.rows_screened == 1 and result.rows_reported == 7
    assert "PC101" in set(result.findings["code"])  # the good morphine row was still screened


def test_empty_input(checker) -> None:  # type: ignore[no-untyped-def]
    result = screen(pd.DataFrame({"patient_id": [], "name": []}), runner=checker, as_of=AS_OF)
    assert result.findings.empty and tuple(result.findings.columns) == OUT_COLUMNS


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".xlsx", ".parquet"])
def test_each_input_format(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"meds{suffix}"
    if suffix == ".csv":
        MEDS.to_csv(path, index=False)
    elif suffix == ".tsv":
        MEDS.to_csv(path, index=False, sep="\t")
    elif suffix == ".xlsx":
        MEDS.to_excel(path, index=False)
    else:
        MEDS.to_parquet(path, index=False)
    frame = read_table(str(path))
    assert list(frame["name"]) == list(MEDS["name"])


def test_ragged_bom_and_latin1_csv(tmp_path: Path, checker) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "meds.csv"
    path.write_bytes(
        "\ufeffpatient_id,name\np1,morphine 10 mg q4h\np1,tramadol,extra,cells\np2,café\n".encode(
            "utf-8"
        )
    )
    result = screen(read_table(str(path)), runner=checker, as_of=AS_OF)
    rejected = result.findings[result.findings["category"] == "rejected-row"]
    assert list(rejected["title"]) == ["Row 3 not screened"]
    latin = tmp_path / "latin.csv"
    latin.write_bytes("patient_id,name\np1,café\n".encode("latin-1"))
    assert list(read_table(str(latin))["name"]) == ["café"]


def test_csv_rows_are_numbered_as_a_spreadsheet_shows_them(tmp_path: Path, checker) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "meds.csv"
    path.write_text('patient_id,name\np1,morphine\n\np2,\np3,"tramadol\n50 mg"\n , \np4,\n')
    result = screen(read_table(str(path)), runner=checker, as_of=AS_OF)
    rejected = result.findings[result.findings["category"] == "rejected-row"]
    # the blank line is row 3 and the blank cells row 6: skipped, yet counted; a line break in a
    # name is how a quote left open looks, so row 5 is rejected, not read as a name
    assert list(rejected["title"]) == [
        "Row 4 not screened",
        "Row 5 not screened",
        "Row 7 not screened",
    ]


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_blank_rows_of_a_sheet_are_skipped_and_counted(
    tmp_path: Path, checker, suffix: str
) -> None:  # type: ignore[no-untyped-def]
    table = pd.DataFrame(
        {
            "patient_id": ["p1", None, "p2", " ", "p3"],
            "name": ["morphine", None, "", "", "tramadol"],
        }
    )
    path = tmp_path / f"meds{suffix}"
    table.to_excel(path, index=False) if suffix == ".xlsx" else table.to_parquet(path, index=False)
    result = screen(read_table(str(path)), runner=checker, as_of=AS_OF)
    rejected = result.findings[result.findings["category"] == "rejected-row"]
    assert list(rejected["title"]) == ["Row 4 not screened"] and result.rows_screened == 2


def test_malformed_rows_name_their_patient_and_row(tmp_path: Path, checker) -> None:  # type: ignore[no-untyped-def]
    meds, patients = tmp_path / "meds.csv", tmp_path / "patients.csv"
    meds.write_text("patient_id,name\np1,morphine\np2,tramadol\np3,lithium\np4,gabapentin,600 mg\n")
    patients.write_text("patient_id,age\np1,70\n\np2,abc\np3,40,extra\n,\np4,50\n")
    result = screen(read_table(str(meds)), read_table(str(patients)), runner=checker, as_of=AS_OF)
    rejected = result.findings[result.findings["category"] == "rejected-row"]
    assert list(zip(rejected["patient_id"], rejected["message"], strict=True)) == [
        ("p2", "row 3: patients row 4: patient age must be a number, got 'abc'"),
        ("p3", "row 4: patients row 5: 3 fields, expected 2"),
        ("p4", "row 5: 3 fields, expected 2"),
    ]
    assert set(result.findings["patient_id"]) == {"p1", "p2", "p3", "p4"}


def _csv_module_reading(text: str) -> tuple[list[str], list[tuple[int, list[str]]], list[int]]:
    """What Python's csv module reads: header, (row number, cells) of the rows kept, rejected rows.
    A row with too many cells, or a line break in a cell (every column here is one pharmcheck
    reads: a quote left open), is rejected; a short row's missing trailing cells are blank."""
    import csv
    import io

    header, *records = list(csv.reader(io.StringIO(text, newline="")))
    kept, rejected = [], []
    for number, cells in enumerate(records, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header) or any("\n" in c or "\r" in c for c in cells):
            rejected.append(number)
        else:
            kept.append((number, cells + [""] * (len(header) - len(cells))))
    return header, kept, rejected


@given(
    st.lists(
        st.text(alphabet=st.sampled_from('ab ,"\n\r\u00e9'), max_size=12), min_size=1, max_size=6
    )
)
def test_csv_reading_matches_the_csv_module(tmp_path_factory, lines) -> None:  # type: ignore[no-untyped-def]
    text = "patient_id,name\n" + "\n".join(lines) + "\n"
    path = tmp_path_factory.mktemp("csv") / "meds.csv"
    path.write_text(text, encoding="utf-8", newline="")
    header, kept, rejected = _csv_module_reading(text)
    frame = read_table(str(path))
    assert list(frame.columns) == header
    assert [list(r) for r in frame.astype(object).itertuples(index=False)] == [
        cells for _, cells in kept
    ]
    assert list(frame.attrs.get("source_rows", range(2, len(frame) + 2))) == [n for n, _ in kept]
    assert [n for n, _, _ in frame.attrs.get("rejected_rows", [])] == rejected


def test_duplicate_headers_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("patient_id,name,name\np1,a,b\n")
    with pytest.raises(InputError, match="duplicate column"):
        read_table(str(path))


def test_excel_without_sheets_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip: no workbook, no sheets
    with pytest.raises(InputError):
        read_table(str(path))


def test_screen_cli_formats_and_exit_codes(tmp_path: Path) -> None:
    meds = tmp_path / "meds.csv"
    MEDS.to_csv(meds, index=False)
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["screen", str(meds), "-o", str(out), "--format", "jsonl"])
    assert result.exit_code == 1
    assert "screened 5 medication row(s)" in result.output
    assert pd.read_json(out, lines=True).columns.tolist() == list(OUT_COLUMNS)
    parquet = tmp_path / "out.parquet"
    assert (
        CliRunner()
        .invoke(
            cli, ["screen", str(meds), "-o", str(parquet), "--format", "parquet", "--exit-zero"]
        )
        .exit_code
        == 0
    )
    assert len(pd.read_parquet(parquet)) > 0
    refused = CliRunner().invoke(cli, ["screen", str(meds), "-o", str(meds)])
    assert refused.exit_code == 2 and "it is the medications file" in refused.output


def test_screen_output_replaces_the_old_file_only_when_complete(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.batch.output import FindingRows

    meds, out, summary = tmp_path / "meds.csv", tmp_path / "out.csv", tmp_path / "summary.csv"
    MEDS.to_csv(meds, index=False)
    out.write_text("yesterday\n")

    def fails_midway(self, handle) -> None:  # type: ignore[no-untyped-def]
        handle.write(b"patient_id,code\np1,PC1")
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(FindingRows, "write_csv", fails_midway)
        failed = CliRunner().invoke(cli, ["screen", str(meds), "-o", str(out)])
    assert failed.exit_code == 2 and "No space left on device" in failed.output
    assert out.read_text() == "yesterday\n" and sorted(p.name for p in tmp_path.iterdir()) == [
        "meds.csv",
        "out.csv",
    ]
    done = CliRunner().invoke(cli, ["screen", str(meds), "-o", str(out), "--summary", str(summary)])
    assert done.exit_code == 1
    assert pd.read_csv(out, dtype="string").columns.tolist() == list(OUT_COLUMNS)
    assert pd.read_csv(summary)["patient_id"].tolist() == ["p1", "p2"]
    fresh = tmp_path / "fresh"
    fresh.write_text("")
    assert (
        out.stat().st_mode == summary.stat().st_mode == fresh.stat().st_mode
    )  # the usual permissions
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "fresh",
        "meds.csv",
        "out.csv",
        "summary.csv",
    ]


def test_screen_output_through_a_link_and_to_a_device(tmp_path: Path) -> None:
    meds, real, link = tmp_path / "meds.csv", tmp_path / "real.csv", tmp_path / "link.csv"
    MEDS.to_csv(meds, index=False)
    real.write_text("old\n")
    link.symlink_to(real)
    assert (
        CliRunner().invoke(cli, ["screen", str(meds), "-o", str(link), "--exit-zero"]).exit_code
        == 0
    )
    assert link.is_symlink() and real.read_text().startswith("patient_id,code,")
    if Path("/dev/null").exists():
        assert (
            CliRunner()
            .invoke(cli, ["screen", str(meds), "-o", "/dev/null", "--exit-zero"])
            .exit_code
            == 0
        )
        assert Path("/dev/null").is_char_device()


POOL = [
    "tramadol 50 mg qid",
    "Neurontin 600 tid",
    "sertraline 100 mg daily",
    "linezolid 600 bd",
    "valproic acid 500 mg bd",
    "meropenem 1 g tds",
    "clonazepam 0.5 mg bd",
    "Keppra 500 mg bd",
    "amlodipine 5 mg daily",
    "morphine 10 mg q4h",
    "lithium 400 mg nocte",
    "lisinopril 10 mg",
    "carbamazepine 200 mg bd",
    "cefepime 2 g q8h",
    "xyzzy",
    "amitriptyline 25 mg nocte",
]
WARDS = st.lists(
    st.tuples(
        st.lists(st.sampled_from(POOL), min_size=1, max_size=6),
        st.none() | st.integers(10, 120),
        st.none() | st.integers(18, 95),
        st.sampled_from(
            [
                "",
                "juvenile myoclonic epilepsy",
                "dehydration",
                "Dravet's syndrome",
                "made-up syndrome",
            ]
        ),
    ),
    min_size=1,
    max_size=6,
)


@given(WARDS)
def test_batch_equals_single_checks(checker, ward) -> None:  # type: ignore[no-untyped-def]
    meds = pd.DataFrame(
        [(f"p{i}", name) for i, (names, *_ignored) in enumerate(ward) for name in names],
        columns=["patient_id", "name"],
    )
    patients = pd.DataFrame(
        [
            (f"p{i}", "" if crcl is None else str(crcl), "" if age is None else str(age), cond)
            for i, (_, crcl, age, cond) in enumerate(ward)
        ],
        columns=["patient_id", "crcl", "age", "conditions"],
    )
    out = screen_frame(meds, patients, runner=checker, as_of=AS_OF)
    for i, (names, crcl, age, cond) in enumerate(ward):
        patient = Patient(id=f"p{i}", crcl=crcl, age=age, conditions=(cond,) if cond else ())
        report = checker.check([Medication(n) for n in names], patient, as_of=AS_OF)
        batch = out[(out["patient_id"] == f"p{i}") & ~out["category"].isin(NOT_FINDINGS)]
        expected = [
            (f.code, f.severity.label, ";".join(f.drugs), f.message) for f in report.findings
        ]
        assert (
            list(
                zip(batch["code"], batch["severity"], batch["drugs"], batch["message"], strict=True)
            )
            == expected
        )
        assert sum(out[out["patient_id"] == f"p{i}"]["category"] == "unrecognized") == len(
            report.unrecognized
        )


RICH_POOL = POOL + [
    "Demerol 75 mg IM q3h",
    "pethidine 100 mg q3h",
    "co-codamol 30/500 2 qid",
    "fentanyl 25 mcg/h patch",
    "oxycodone 10 mg q6h",
    "diazepam 5 mg tds",
    "gabapentin prn",
    "gabapentin 1600 mg tid",
    "levetiracetam 250 mg bd",
    "piracetam 2.4 g tds",
    "phenytoin 300 mg daily",
    "haloperidol 5 mg bd",
    "lithium carbonate 400 mg nocte",
    "morphine 30 mg q4h",
    "tramadol",
    "etomidate 20 mg iv",
    "oxybutynin 5 mg bd",
    "valproate 20 mg/kg/day",
    "levetiracetam 30 mg/kg bd",
    "sertraline 100 mg, tramadol 50 mg qid",
    "gabapentin 300mg bd + 600mg nocte",
    "clozapine 200 mg bd",
    "ciprofloxacin 500 mg bd",
    "metronidazole 400 mg tds",
    "lamotrigine 100 mg bd",
]
STATUSES = [
    "",
    "stopped",
    "active",
    "on-hold",
    "Held",
    "completed",
    "D/C",
    "cancelled",
    "entered-in-error",
    "not-taken",
    "unknown",
    "draft",
]
PLAIN_NAMES = [
    "gabapentin",
    "tramadol",
    "lithium",
    "morphine",
    "levetiracetam",
    "Keppra",
    "sertraline",
    "valproate",
    "carbamazepine",
    "meropenem",
    "amlodipine",
    "compound B",
    "xyzzy",
]
STRUCTURES = [
    "",
    "OC(=O)C1=CN(C2CC2)c2cc(N3CCNCC3)c(F)cc2C1=O.Cl",  # ciprofloxacin hydrochloride
    "CCN1C=C(C(=O)O)C(=O)c2cc(F)c(N3CCN(C)CC3)cc21",  # pefloxacin
    "CCCCCCCCCCCCCCCCCCO",  # octadecanol: no KB drug
]
DATES = st.sampled_from(["", "2026-01-10", "2026-10-01", "2026-11-20", "2027-01-01"])
# A sig string in the name, or a bare name with its own dose, frequency and route columns; some
# values are unreadable (a dose in parsecs, a frequency of a blue moon, a start after the date).
ENTRIES = st.tuples(
    st.one_of(
        st.tuples(st.sampled_from(RICH_POOL), st.just(""), st.just(""), st.just("")),
        st.tuples(
            st.sampled_from(PLAIN_NAMES),
            st.sampled_from(["", "50 mg", "600 mg", "1 g", "0.5 mg", "2 tablets", "12 parsecs"]),
            st.sampled_from(["", "bd", "tds", "q4h", "nocte", "prn", "every blue moon"]),
            st.sampled_from(["", "oral", "iv", "im", "patch"]),
        ),
    ),
    st.sampled_from(STATUSES),
    DATES,
    DATES,
    st.sampled_from(STRUCTURES),
    st.sampled_from(["", "epilepsy", "pain", "panic disorder"]),
)
FIELD_VALUES = {  # each patient field, with values to draw
    "crcl": st.sampled_from(["", "8", "25", "45", "90"]),
    "egfr": st.sampled_from(["", "12", "50"]),
    "dialysis": st.sampled_from(["", "none", "hemodialysis"]),
    "hepatic_impairment": st.sampled_from(["", "none", "mild", "moderate", "severe"]),
    "age": st.sampled_from(["", "11", "12", "16", "30", "55", "56", "70", "80"]),
    "sex": st.sampled_from(["", "female", "male"]),
    "pregnant": st.sampled_from(["", "no", "yes"]),
    "childbearing_potential": st.sampled_from(["", "no", "yes"]),
    "conditions": st.sampled_from(
        [
            "",
            "juvenile myoclonic epilepsy",
            "dehydration",
            "epilepsy;dehydration",
            "Juvenile Myoclonic Epilepsy (JME);made-up syndrome",
            "G40.834",
            "progressive myoclonus epilepsy;ULD",
            "ESRD;CKD",
            "Dravet syndrome",
            "Lafora disease",
            "Jeavons syndrome;epilepsy",
            "MERRF;ULD",
        ]
    ),
    "myoclonus": st.sampled_from(["", "present", "worsening", "absent"]),
    "weight_kg": st.sampled_from(["", "25", "70", "999"]),
    "as_of": st.sampled_from(["", "2026-11-20"]),
}
PEOPLE = st.fixed_dictionaries(FIELD_VALUES)


def _patient(pid: str, fields: dict[str, str]) -> Patient:
    def number(key: str) -> float | None:
        return float(fields[key]) if fields[key] else None

    def flag(key: str) -> bool | None:
        return {"": None, "yes": True, "no": False}[fields[key]]

    return Patient(
        id=pid,
        crcl=number("crcl"),
        weight_kg=number("weight_kg"),
        egfr=number("egfr"),
        age=number("age"),
        # the sampled texts are words of each field's vocabulary
        sex=cast(Sex | None, fields["sex"] or None),
        dialysis=cast(Dialysis | None, fields["dialysis"] or None),
        hepatic_impairment=cast(HepaticLevel | None, fields["hepatic_impairment"] or None),
        pregnant=flag("pregnant"),
        childbearing_potential=flag("childbearing_potential"),
        conditions=tuple(c for c in fields["conditions"].split(";") if c),
        myoclonus=cast(MyoclonusState | None, fields["myoclonus"] or None),
    )


MED_FIELDS = (
    "name",
    "dose",
    "frequency",
    "route",
    "status",
    "start",
    "stop",
    "smiles",
    "indication",
)


def _medication(row: dict[str, str]) -> Medication:
    def day(text: str) -> date | None:
        return date.fromisoformat(text) if text else None

    return Medication(
        row["name"],
        dose=row["dose"] or None,
        frequency=row["frequency"] or None,
        route=row["route"] or None,
        status=row["status"] or None,
        start=day(row["start"]),
        stop=day(row["stop"]),
        smiles=row["smiles"] or None,
        indication=row["indication"] or None,
    )


def _rejected_by_check(checker, medication: Medication, patient: Patient, as_of: date) -> bool:  # type: ignore[no-untyped-def]
    try:
        checker.check([medication], patient, as_of=as_of)
    except InputError:
        return True
    return False


@contextmanager
def selected_by_filters() -> Iterator[dict[str, set[str]]]:
    """While open, the ids of the patients that each rule's patient filter selects in a screen."""
    from pharmcheck.batch import screening

    selected: dict[str, set[str]] = {}
    originals = dict(screening.FILTERS)

    def recording(code, select):  # type: ignore[no-untyped-def]
        def recorded(ward):  # type: ignore[no-untyped-def]
            mask = select(ward)
            selected[code] = {p.id for p, chosen in zip(ward.patients, mask, strict=True) if chosen}
            return mask

        return recorded

    screening.FILTERS.update({code: recording(code, f) for code, f in originals.items()})
    try:
        yield selected
    finally:
        screening.FILTERS.update(originals)


def assert_filters_select(selected: dict[str, set[str]], pid: str, findings) -> None:  # type: ignore[no-untyped-def]
    """A patient the check form of a per-patient rule flags is one its filter selects."""
    for finding in findings:
        if finding.code in selected:
            assert pid in selected[finding.code], (finding.code, pid, finding.message)


@given(
    st.lists(st.tuples(st.lists(ENTRIES, min_size=1, max_size=6), PEOPLE), min_size=1, max_size=4)
)
def test_batch_equals_check_over_every_input_column_and_patient_field(checker, ward) -> None:  # type: ignore[no-untyped-def]
    """Each patient's findings are check's for the rows it accepts; each row check refuses (alone,
    for that patient) is a rejected row, and no other row is."""
    rows = [
        {"patient_id": f"p{i}", **dict(zip(MED_FIELDS, (*sig, *rest), strict=True))}
        for i, (entries, _) in enumerate(ward)
        for sig, *rest in entries
    ]
    meds = pd.DataFrame(rows, columns=["patient_id", *MED_FIELDS])
    patients = pd.DataFrame(
        [{"patient_id": f"p{i}", **fields} for i, (_, fields) in enumerate(ward)]
    )
    with selected_by_filters() as selected:
        out = screen_frame(meds, patients, runner=checker, as_of=AS_OF)
    rejected = set(out[out["category"] == "rejected-row"]["title"])
    for i, (_, fields) in enumerate(ward):
        patient = _patient(f"p{i}", fields)
        when = date.fromisoformat(fields["as_of"]) if fields["as_of"] else AS_OF
        mine = [(n + 2, r) for n, r in enumerate(rows) if r["patient_id"] == f"p{i}"]
        accepted = []
        for number, row in mine:
            refused = _rejected_by_check(checker, _medication(row), patient, when)
            assert (f"Row {number} not screened" in rejected) is refused, (number, row)
            if not refused:
                accepted.append(_medication(row))
        if not accepted:
            continue
        report = checker.check(accepted, patient, as_of=when)
        assert_filters_select(selected, f"p{i}", report.findings)
        batch = out[(out["patient_id"] == f"p{i}") & ~out["category"].isin(NOT_FINDINGS)]
        expected = [
            (
                f.code,
                f.severity.label,
                ";".join(f.drugs),
                f.title,
                f.message,
                f.recommendation,
                f.evidence,
                ";".join(f.reference_keys()),
            )
            for f in report.findings
        ]
        assert (
            list(
                zip(
                    batch["code"],
                    batch["severity"],
                    batch["drugs"],
                    batch["title"],
                    batch["message"],
                    batch["recommendation"],
                    batch["evidence"],
                    batch["references"],
                    strict=True,
                )
            )
            == expected
        )
        missing = out[(out["patient_id"] == f"p{i}") & (out["category"] == "unrecognized")]
        assert len(missing) == len(report.unrecognized)


def test_every_rule_example_screened_as_one_ward_matches_check(checker) -> None:  # type: ignore[no-untyped-def]
    """The frame forms re-select what each rule reads: the rules' own examples (without dose
    histories, which a ward table cannot give) must come out as ``check`` reports them."""
    from pharmcheck.rules import REGISTRY
    from tests.helpers import medications_from, patient_from

    examples = [e for r in REGISTRY.values() for e in r.examples if not e.history]
    meds, people = [], []
    for i, example in enumerate(examples):
        meds += [
            (f"e{i}", text, "stopped" if text in example.stopped else "")
            for text in example.medications
        ]
        fields = {
            k: ";".join(v)
            if k == "conditions"
            else {True: "yes", False: "no"}.get(v, v)
            if isinstance(v, bool)
            else str(v)
            for k, v in example.patient.items()
        }
        people.append({"patient_id": f"e{i}", **fields})
    with selected_by_filters() as selected:
        out = screen_frame(
            pd.DataFrame(meds, columns=["patient_id", "name", "status"]),
            pd.DataFrame(people).fillna(""),
            runner=checker,
            as_of=AS_OF,
        )
    flagged = 0
    for i, example in enumerate(examples):
        report = checker.check(
            medications_from(example),
            patient_from({"id": f"e{i}", **example.patient}),
            as_of=date.fromisoformat(example.patient.get("as_of", AS_OF.isoformat())),
        )
        assert_filters_select(selected, f"e{i}", report.findings)
        batch = out[(out["patient_id"] == f"e{i}") & ~out["category"].isin(NOT_FINDINGS)]
        assert list(zip(batch["code"], batch["severity"], batch["message"], strict=True)) == [
            (f.code, f.severity.label, f.message) for f in report.findings
        ], example
        by_structure = out[(out["patient_id"] == f"e{i}") & (out["category"] == "structure-only")]
        assert list(by_structure["title"]) == [
            f"Checked by structure only: {s.input}" for s in report.structures
        ]
        flagged += bool(report.findings)
    assert len(examples) > 30 and flagged > 20


def test_each_patient_filter_selects_every_patient_its_rule_flags(checker) -> None:  # type: ignore[no-untyped-def]
    """Every combination of the patient fields that the per-patient rules read (sex, age at the
    edges of the childbearing range, pregnancy, childbearing potential, hepatic level), on drugs
    with reproductive rules, hepatic cautions at some levels only, a tolerance or a withdrawal
    risk, given since January and beside a stopped drug: a patient that a per-patient rule flags
    in ``check`` is one its filter selects."""
    from pharmcheck.batch.screening import FILTERS

    given = [
        "valproic acid 500 mg bd",
        "pethidine 50 mg q4h",
        "venlafaxine 75 mg bd",
        "tapentadol 50 mg q6h",
        "clonazepam 0.5 mg bd",
        "tramadol 50 mg qid",
    ]
    stopped = ["clonazepam 1 mg bd", "baclofen 10 mg tds", "amlodipine 5 mg daily"]
    blank = dict.fromkeys(FIELD_VALUES, "")
    people = [
        {**blank, "sex": sex, "age": age, "pregnant": pregnant}
        | {"childbearing_potential": potential, "hepatic_impairment": hepatic}
        for sex, age, pregnant, potential, hepatic in product(
            ["", "female", "male"],
            ["", "11", "12", "55", "56"],
            ["", "no"],
            ["", "yes"],
            ["", "none", "mild", "moderate", "severe"],
        )
    ]
    wards = [
        (f"p{i}", drug, stopped[i % len(stopped)], fields)
        for i, (drug, fields) in enumerate(product(given, people))
    ]
    blank_row = dict.fromkeys(MED_FIELDS, "")
    rows = [
        {"patient_id": pid, **blank_row, "name": drug, "start": "2026-01-10"}
        for pid, drug, _, _ in wards
    ] + [
        {"patient_id": pid, **blank_row, "name": gone, "status": "stopped"}
        for pid, _, gone, _ in wards
    ]
    codes = sorted(FILTERS)
    with selected_by_filters() as selected:
        screen_frame(
            pd.DataFrame(rows, columns=["patient_id", *MED_FIELDS]),
            pd.DataFrame([{"patient_id": pid, **fields} for pid, _, _, fields in wards]),
            runner=checker,
            as_of=AS_OF,
            select=codes,
        )
    flagged: set[str] = set()
    for pid, drug, gone, fields in wards:
        meds = [
            _medication({**blank_row, "name": drug, "start": "2026-01-10"}),
            _medication({**blank_row, "name": gone, "status": "stopped"}),
        ]
        report = checker.check(meds, _patient(pid, fields), as_of=AS_OF, select=codes)
        assert_filters_select(selected, pid, report.findings)
        flagged |= {f.code for f in report.findings}
    assert {"PC503", "PC601", "PC611"} <= flagged  # each rule is put to the test


@pytest.mark.parametrize(
    "options",
    [
        {"min_severity": Severity.MAJOR},
        {"select": ["PC2"]},
        {"ignore": ["PC101", "PC5"]},
        {"select": ["PC611", "PC503"]},
    ],
)
def test_severity_floor_select_and_ignore_match_check(checker, options) -> None:  # type: ignore[no-untyped-def]
    names = RICH_POOL * 3
    meds = pd.DataFrame(
        {
            "patient_id": [f"p{i % 13}" for i in range(len(names))],
            "name": names,
            "status": ["stopped" if i % 11 == 0 else "" for i in range(len(names))],
        }
    )
    people = [
        Patient(
            id=f"p{i}",
            crcl=10 + 7 * i,
            myoclonus="present" if i % 2 else None,
            hepatic_impairment="severe" if i % 3 == 0 else None,
        )
        for i in range(13)
    ]
    patients = pd.DataFrame(
        {
            "patient_id": [p.id for p in people],
            "crcl": [str(p.crcl) for p in people],
            "myoclonus": [p.myoclonus or "" for p in people],
            "hepatic_impairment": [p.hepatic_impairment or "" for p in people],
        }
    )
    out = screen_frame(meds, patients, runner=checker, as_of=AS_OF, **options)
    for patient in people:
        rows = meds[meds["patient_id"] == patient.id]
        report = checker.check(
            [
                Medication(n, status=s or None)
                for n, s in zip(rows["name"], rows["status"], strict=True)
            ],
            patient,
            as_of=AS_OF,
            **options,
        )
        batch = out[(out["patient_id"] == patient.id) & (out["code"] != "")]
        assert list(zip(batch["code"], batch["message"], strict=True)) == [
            (f.code, f.message) for f in report.findings
        ]
    assert len(out[out["code"] != ""]) >= 5  # each option set leaves findings to compare


def test_every_patient_field_is_shared_by_the_batch_or_read_elsewhere() -> None:
    """A new Patient field must be declared where the batch reads it, or the batch would share one
    context among patients who differ in it."""
    from dataclasses import fields

    from pharmcheck.rules.base import CONTEXT_FIELDS

    elsewhere = {"id", "conditions", "myoclonus", "weight_kg"}  # see CONTEXT_FIELDS
    assert set(CONTEXT_FIELDS) | elsewhere == {f.name for f in fields(Patient)}
    assert not set(CONTEXT_FIELDS) & elsewhere


def test_every_rule_has_a_batch_form_or_a_declared_per_patient_path() -> None:
    from pharmcheck.rules import REGISTRY
    from pharmcheck.rules.ward import batch_forms

    frames, filters = batch_forms()
    assert set(frames) | set(filters) == set(REGISTRY)  # none missing, none for an unknown code
    assert not set(frames) & set(filters)  # a rule is computed one way or the other
    for code, compute in {**frames, **filters}.items():  # each beside its rule, in its family
        family = REGISTRY[code].check.__module__
        assert compute.__module__ == f"{family}.batch", code


def test_progress_is_told_every_step_in_order(checker) -> None:  # type: ignore[no-untyped-def]
    told: list[tuple[str, int, int]] = []
    screen(
        MEDS,
        PATIENTS,
        runner=checker,
        as_of=AS_OF,
        ignore=["PC5"],
        progress=lambda *step: told.append(step),
    )
    steps = [what for what, _, _ in told]
    assert [done for _, done, _ in told] == list(range(len(told))) and {
        total for _, _, total in told
    } == {len(told)}
    assert steps[0] == "resolving 5 distinct medications and reading the patients"
    assert steps[1] == "building the ward (5 rows)" and steps[-1] == "laying out the finding rows"
    assert "rule PC201" in steps and "rule PC501" not in steps and "rules read per patient" in steps


def test_a_screen_leaves_the_cyclic_collector_alone(checker) -> None:  # type: ignore[no-untyped-def]
    import gc

    seen: list[bool] = []
    assert gc.isenabled()
    screen(
        MEDS, PATIENTS, runner=checker, as_of=AS_OF, progress=lambda *_: seen.append(gc.isenabled())
    )
    assert seen and all(seen)  # the library never pauses it for the whole process


@given(total=st.integers(1, 40), data=st.data())
def test_progress_bar_counts_reading_each_screen_step_and_writing(
    total: int, data: st.DataObject
) -> None:
    """One bar over the whole command: reading the tables is the first step, the screen's
    steps follow it, writing the findings is the last."""
    import io

    from pharmcheck.cli.screen_command import ProgressBar

    done = data.draw(st.integers(0, total))
    shown = io.StringIO()
    bar = ProgressBar(shown)
    reading = shown.getvalue()
    bar.screening("rule PC201", done, total)
    screening = shown.getvalue()[len(reading) :]
    bar.writing()
    writing = shown.getvalue()[len(reading) + len(screening) :]
    bar.close()
    steps = total + 2
    assert "reading the tables" in reading and re.search(r"\b0/2 steps", reading)
    assert "rule PC201" in screening and re.search(rf"\b{done + 1}/{steps} steps", screening)
    assert "writing the findings" in writing
    assert re.search(rf"\b{steps - 1}/{steps} steps", writing)


def test_arrow_table_holds_the_findings_frame(checker) -> None:  # type: ignore[no-untyped-def]
    result = screen(MEDS, PATIENTS, runner=checker, as_of=AS_OF)
    table = result.rows.to_arrow()
    back = table.to_pandas().astype("string")
    assert table.column_names == list(OUT_COLUMNS) and len(back) == len(result.findings) > 3
    pd.testing.assert_frame_equal(back, result.findings)


@given(
    cells=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3)), min_size=0, max_size=12),
    texts=st.lists(
        st.one_of(st.sampled_from(["", "a,b", 'say "x"', "=1+1", "-2", "l1\nl2", " x"]), st.text()),
        min_size=4 * len(OUT_COLUMNS),
        max_size=4 * len(OUT_COLUMNS),
    ),
)
def test_written_csv_is_csv_writer_over_every_row_each_cell_made_safe(
    cells: list[tuple[int, int]], texts: list[str]
) -> None:
    """The rows share their patient ids and findings; the bytes are what ``csv.writer`` writes
    for each row in full, each cell first made safe for a spreadsheet."""
    import csv
    import io

    import numpy as np

    from pharmcheck.batch.output import FindingRows
    from pharmcheck.report.escape import spreadsheet_cell

    width = len(OUT_COLUMNS) - 1
    items = [tuple(texts[k * width : (k + 1) * width]) for k in range(4)]
    ids = texts[-3:]
    rows = FindingRows(
        ids,
        np.array([p for p, _ in cells], dtype=np.int64),
        items,
        np.array([i for _, i in cells], dtype=np.int64),
    )
    written = io.BytesIO()
    rows.write_csv(written)
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow(OUT_COLUMNS)
    writer.writerows([spreadsheet_cell(c) for c in (ids[p], *items[i])] for p, i in cells)
    assert written.getvalue() == expected.getvalue().encode("utf-8")


def test_written_csv_reads_back_as_the_findings_frame(checker, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = screen(MEDS, PATIENTS, runner=checker, as_of=AS_OF)
    path = tmp_path / "out.csv"
    with path.open("wb") as handle:
        result.rows.write_csv(handle)
    back = pd.read_csv(path, dtype="string", keep_default_na=False)
    pd.testing.assert_frame_equal(back, result.findings.fillna(""))


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_written_json_holds_the_findings_frame(checker, fmt: str) -> None:  # type: ignore[no-untyped-def]
    import io
    import json

    meds = pd.concat(
        [
            MEDS,
            pd.DataFrame(
                {"patient_id": ['p"4', "p\u00e95"], "name": ["caf\u00e9 \\ 1", "tramadol"]}
            ),
        ]
    )
    result = screen(meds, runner=checker, as_of=AS_OF)
    written = io.BytesIO()
    (result.rows.write_jsonl if fmt == "jsonl" else result.rows.write_json)(written)
    text = written.getvalue().decode("utf-8")
    records = (
        [json.loads(line) for line in text.splitlines()] if fmt == "jsonl" else json.loads(text)
    )
    assert records == result.findings.to_dict(orient="records") and len(records) > 5
    assert all(list(r) == list(OUT_COLUMNS) for r in records)
    assert len(text.splitlines()) == len(records) + 2 * (fmt == "json")  # one record a line


def test_structures_in_a_batch_match_check(checker) -> None:  # type: ignore[no-untyped-def]
    ciprofloxacin_hcl = "OC(=O)C1=CN(C2CC2)c2cc(N3CCNCC3)c(F)cc2C1=O.Cl"
    analogue = "CCN1C=C(C(=O)O)C(=O)c2cc(F)c(N3CCN(C)CC3)cc21"  # a quinolone core, pefloxacin-like
    frame = pd.DataFrame(
        {
            "patient_id": ["s1", "s1"],
            "name": ["antibiotic A", "compound B"],
            "smiles": [ciprofloxacin_hcl, analogue],
        }
    )
    out = screen_frame(frame, runner=checker, as_of=AS_OF)
    report = checker.check(
        [
            Medication("antibiotic A", smiles=ciprofloxacin_hcl),
            Medication("compound B", smiles=analogue),
        ],
        as_of=AS_OF,
    )
    assert list(out["code"]) == [f.code for f in report.findings]
    assert "ciprofloxacin" in set(";".join(out["drugs"]).split(";"))


def test_blank_status_cells_are_not_given(checker) -> None:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame(
        {
            "patient_id": ["p1", "p1"],
            "name": ["morphine 10 mg q4h", "clonazepam 1 mg bd"],
            "status": ["", "stopped"],
        }
    )
    out = screen_frame(frame, runner=checker, as_of=AS_OF)
    assert "PC611" in set(out["code"]) and "PC101" in set(out["code"])


def test_unrecognised_conditions_are_rows_with_their_patients_row(checker) -> None:  # type: ignore[no-untyped-def]
    meds = pd.DataFrame(
        {"patient_id": ["p1", "p2"], "name": ["carbamazepine 200 mg bd", "amlodipine 5 mg daily"]}
    )
    patients = pd.DataFrame(
        {
            "patient_id": ["p1", "p2", "p3"],
            "conditions": [
                "Juvenile Myoclonic Epilepsy (JME)",
                "made-up syndrome;Dravet's syndrome",
                "xyzzy disease",
            ],
        }
    )
    result = screen(meds, patients, runner=checker, as_of=AS_OF)
    out = result.findings
    missing = out[out["category"] == "unrecognized"]
    assert list(zip(missing["patient_id"], missing["title"], strict=True)) == [
        ("p2", "Not checked: condition made-up syndrome"),
        ("p3", "Not checked: condition xyzzy disease"),
    ]
    assert [m.split(":")[0] for m in missing["message"]] == ["patients row 3", "patients row 4"]
    assert "PC701" in set(out[out["patient_id"] == "p1"]["code"])  # JME as written is read
    assert result.unrecognized == 2
    summary = result.summary.set_index("patient_id")
    assert (summary.loc["p2", "unrecognized"], summary.loc["p3", "unrecognized"]) == (1, 1)


def test_screen_exit_code_for_an_unrecognised_condition(tmp_path: Path) -> None:
    meds, patients = tmp_path / "meds.csv", tmp_path / "patients.csv"
    pd.DataFrame({"patient_id": ["p1"], "name": ["amlodipine 5 mg daily"]}).to_csv(
        meds, index=False
    )
    pd.DataFrame({"patient_id": ["p1"], "conditions": ["made-up syndrome"]}).to_csv(
        patients, index=False
    )
    args = ["screen", str(meds), "--patients", str(patients), "-o", str(tmp_path / "out.csv")]
    assert CliRunner().invoke(cli, args).exit_code == 1
    assert CliRunner().invoke(cli, [*args, "--allow-unrecognized"]).exit_code == 0
    pd.DataFrame({"patient_id": ["p1"], "conditions": ["Dravet's syndrome"]}).to_csv(
        patients, index=False
    )
    assert CliRunner().invoke(cli, args).exit_code == 0


def test_a_look_alike_near_miss_in_a_ward_is_not_screened_as_either(checker) -> None:  # type: ignore[no-untyped-def]
    meds = pd.DataFrame(
        {"patient_id": ["p1", "p1"], "name": ["trazodol 50 mg nocte", "sertraline 100 mg daily"]}
    )
    out = screen_frame(meds, runner=checker, as_of=AS_OF)
    missing = out[out["category"] == "unrecognized"]
    assert list(missing["title"]) == ["Not checked: trazodol 50 mg nocte"]
    assert (
        "row 2" in missing["message"].iloc[0] and "trazodone" in missing["recommendation"].iloc[0]
    )
    assert not out["drugs"].str.contains("tramadol|trazodone").any()


def test_check_never_imports_the_batch_forms_numpy_or_pandas(kb_url: str) -> None:
    import subprocess
    import sys

    from tests.conftest import REPO

    code = (
        "import sys; from pharmcheck.engine import check; "
        f"r = check(['tramadol 50 mg qid', 'sertraline 100 mg', 'gabapentin'], db_url={kb_url!r}); "
        "assert r.findings; print(sorted(m for m in ('numpy', 'pandas', 'pharmcheck.rules.ward', "
        "'pharmcheck.rules.causative.batch') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_same_patient_pairs_is_a_self_join_on_the_patient() -> None:
    import numpy as np

    from pharmcheck.rules.ward import same_patient_pairs

    one, other = same_patient_pairs(np.array([0, 0, 1, 2, 2, 2]))
    # positions 0-1 are one patient's, 2 is alone, 3-5 another's: every ordered pair within each
    expected = {(0, 1), (1, 0), (3, 4), (3, 5), (4, 3), (4, 5), (5, 3), (5, 4)}
    assert sorted(zip(one.tolist(), other.tolist(), strict=True)) == sorted(expected)
    assert [len(a) for a in same_patient_pairs(np.zeros(0, dtype=np.int64))] == [0, 0]
