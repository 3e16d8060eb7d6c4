"""Batch screening: formats, aliases, bad rows, empty input, schema, and agreement with check."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pharmcheck.batch import OUT_COLUMNS, read_table, screen, screen_frame
from pharmcheck.cli import cli
from pharmcheck.domain import Medication, Patient
from pharmcheck.errors import InputError

AS_OF = date(2026, 11, 25)
MEDS = pd.DataFrame({
    "patient_id": ["p1", "p1", "p1", "p2", "p2"],
    "name": ["tramadol 50 mg qid", "Neurontin 600 tid", "xyzzy", "sertraline", "linezolid 600 bd"],
})
PATIENTS = pd.DataFrame({"patient_id": ["p1", "p2", "p3"], "crcl": ["28", "", "90"], "age": ["70", "40", "50"]})


def test_output_schema(checker) -> None:  # type: ignore[no-untyped-def]
    out = screen_frame(MEDS, PATIENTS, runner=checker, as_of=AS_OF)
    assert tuple(out.columns) == OUT_COLUMNS
    assert set(out["patient_id"]) == {"p1", "p2"}
    unrecognized = out[out["category"] == "unrecognized"]
    assert list(unrecognized["title"]) == ["Not checked: xyzzy"] and "row 4" in unrecognized["message"].iloc[0]


def test_patients_without_findings_are_in_the_summary_only(checker) -> None:  # type: ignore[no-untyped-def]
    result = screen(MEDS, PATIENTS, runner=checker, as_of=AS_OF)
    assert "p3" not in set(result.findings["patient_id"])
    assert result.summary.set_index("patient_id").loc["p3", "highest_severity"] == "no medications"


def test_batch_equals_check_for_each_patient(checker) -> None:  # type: ignore[no-untyped-def]
    out = screen_frame(MEDS, PATIENTS, runner=checker, as_of=AS_OF)
    report = checker.check(["tramadol 50 mg qid", "Neurontin 600 tid", "xyzzy"], Patient(id="p1", crcl=28, age=70),
                           as_of=AS_OF)
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
    frame = pd.DataFrame({
        "patient_id": ["p1", "p1", "", "p1", "p9", "p1", "p1", "p1"],
        "name": ["morphine 10 mg q4h", "", "tramadol", "amlodipine", "tramadol", "lithium", "sertraline", "clonazepam"],
        "dose": ["", "", "", "12 parsecs", "", "", "", ""],
        "start": ["", "", "", "", "", "not a date", "2026-05-01", "2027-05-01"],
        "stop": ["", "", "", "", "", "", "2026-01-01", ""],
    })
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
    path.write_bytes("\ufeffpatient_id,name\np1,morphine 10 mg q4h\np1,tramadol,extra,cells\np2,café\n".encode("utf-8"))
    result = screen(read_table(str(path)), runner=checker, as_of=AS_OF)
    rejected = result.findings[result.findings["category"] == "rejected-row"]
    assert list(rejected["title"]) == ["Row 3 not screened"]
    latin = tmp_path / "latin.csv"
    latin.write_bytes("patient_id,name\np1,café\n".encode("latin-1"))
    assert list(read_table(str(latin))["name"]) == ["café"]


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
    assert CliRunner().invoke(cli, ["screen", str(meds), "-o", str(parquet), "--format", "parquet",
                                    "--exit-zero"]).exit_code == 0
    assert len(pd.read_parquet(parquet)) > 0
    refused = CliRunner().invoke(cli, ["screen", str(meds), "-o", str(meds)])
    assert refused.exit_code == 2 and "refusing to overwrite" in refused.output


POOL = ["tramadol 50 mg qid", "Neurontin 600 tid", "sertraline 100 mg daily", "linezolid 600 bd",
        "valproic acid 500 mg bd", "meropenem 1 g tds", "clonazepam 0.5 mg bd", "Keppra 500 mg bd",
        "amlodipine 5 mg daily", "morphine 10 mg q4h", "lithium 400 mg nocte", "lisinopril 10 mg",
        "carbamazepine 200 mg bd", "cefepime 2 g q8h", "xyzzy", "amitriptyline 25 mg nocte"]
WARDS = st.lists(
    st.tuples(st.lists(st.sampled_from(POOL), min_size=1, max_size=6),
              st.none() | st.integers(10, 120), st.none() | st.integers(18, 95),
              st.sampled_from(["", "juvenile myoclonic epilepsy", "dehydration"])),
    min_size=1, max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(WARDS)
def test_batch_equals_single_checks(checker, ward) -> None:  # type: ignore[no-untyped-def]
    meds = pd.DataFrame([(f"p{i}", name) for i, (names, *_ignored) in enumerate(ward) for name in names],
                        columns=["patient_id", "name"])
    patients = pd.DataFrame([(f"p{i}", "" if crcl is None else str(crcl), "" if age is None else str(age), cond)
                             for i, (_, crcl, age, cond) in enumerate(ward)],
                            columns=["patient_id", "crcl", "age", "conditions"])
    out = screen_frame(meds, patients, runner=checker, as_of=AS_OF)
    for i, (names, crcl, age, cond) in enumerate(ward):
        patient = Patient(id=f"p{i}", crcl=crcl, age=age, conditions=(cond,) if cond else ())
        report = checker.check([Medication(n) for n in names], patient, as_of=AS_OF)
        batch = out[(out["patient_id"] == f"p{i}") & ~out["category"].isin(["unrecognized", "rejected-row"])]
        expected = [(f.code, f.severity.label, ";".join(f.drugs), f.message) for f in report.findings]
        assert list(zip(batch["code"], batch["severity"], batch["drugs"], batch["message"], strict=True)) == expected
        assert sum(out[out["patient_id"] == f"p{i}"]["category"] == "unrecognized") == len(report.unrecognized)


def test_structures_in_a_batch_match_check(checker) -> None:  # type: ignore[no-untyped-def]
    ciprofloxacin_hcl = "OC(=O)C1=CN(C2CC2)c2cc(N3CCNCC3)c(F)cc2C1=O.Cl"
    analogue = "CCN1C=C(C(=O)O)C(=O)c2cc(F)c(N3CCN(C)CC3)cc21"  # a quinolone core, pefloxacin-like
    frame = pd.DataFrame({"patient_id": ["s1", "s1"], "name": ["antibiotic A", "compound B"],
                          "smiles": [ciprofloxacin_hcl, analogue]})
    out = screen_frame(frame, runner=checker, as_of=AS_OF)
    report = checker.check([Medication("antibiotic A", smiles=ciprofloxacin_hcl),
                            Medication("compound B", smiles=analogue)], as_of=AS_OF)
    assert list(out["code"]) == [f.code for f in report.findings]
    assert "ciprofloxacin" in set(";".join(out["drugs"]).split(";"))


def test_blank_status_cells_are_not_given(checker) -> None:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame({"patient_id": ["p1", "p1"], "name": ["morphine 10 mg q4h", "clonazepam 1 mg bd"],
                          "status": ["", "stopped"]})
    out = screen_frame(frame, runner=checker, as_of=AS_OF)
    assert "PC611" in set(out["code"]) and "PC101" in set(out["code"])
