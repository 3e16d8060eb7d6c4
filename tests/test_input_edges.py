"""Unusual input at the edges: what a file, a cell or an option says is read as it says, or
refused or reported; never dropped or assumed."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

pytest.importorskip("pandas", reason="needs the batch extra (pandas)")

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pharmcheck.batch import read_table, screen
from pharmcheck.domain import Medication, Patient, Quantity
from tests.test_bad_input import REPO, assert_outcome, run

AS_OF = date(2026, 11, 25)
PAIR = ("tramadol 50 mg qid", "sertraline 100 mg daily")  # PC201: a major interaction


def _codes(findings: pd.DataFrame) -> set[str]:
    return set(findings["code"].dropna()) - {""}


# --- a stop date after the check date: a planned end, still given on that date ---------------


def test_a_planned_stop_date_is_still_given_in_check(checker) -> None:  # type: ignore[no-untyped-def]
    later = AS_OF + timedelta(days=7)
    report = checker.check(
        [Medication(PAIR[0], stop=later), Medication(PAIR[1])], Patient(), as_of=AS_OF
    )
    assert "PC201" in {f.code for f in report.findings}
    assert any("after the check date" in note and "still given" in note for note in report.notes)


def test_a_planned_stop_date_is_still_given_in_a_screen(checker) -> None:  # type: ignore[no-untyped-def]
    meds = pd.DataFrame(
        {"patient_id": ["p1", "p1"], "name": list(PAIR), "stop": ["9999-12-31", ""]}
    )
    result = screen(meds, runner=checker, as_of=AS_OF)
    assert "PC201" in _codes(result.findings)
    assert (
        "stop date after the screening date on 1 row(s) (rows 2): still given on it" in result.notes
    )


def test_a_stop_date_on_or_before_the_check_date_still_means_stopped(checker) -> None:  # type: ignore[no-untyped-def]
    for stop in (AS_OF, AS_OF - timedelta(days=1)):
        report = checker.check(
            [Medication(PAIR[0], stop=stop), Medication(PAIR[1])], Patient(), as_of=AS_OF
        )
        assert "PC201" not in {f.code for f in report.findings}


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(days=st.integers(min_value=1, max_value=3000))
def test_any_stop_after_the_check_date_reads_as_no_stop_date(checker, days: int) -> None:  # type: ignore[no-untyped-def]
    stop = AS_OF + timedelta(days=days)
    with_stop = checker.check(
        [Medication(PAIR[0], stop=stop), Medication(PAIR[1])], Patient(), as_of=AS_OF
    )
    without = checker.check([Medication(PAIR[0]), Medication(PAIR[1])], Patient(), as_of=AS_OF)
    assert [f.code for f in with_stop.findings] == [f.code for f in without.findings]
    meds = pd.DataFrame(
        {"patient_id": ["p1", "p1"], "name": list(PAIR), "stop": [stop.isoformat(), ""]}
    )
    screened = screen(meds, runner=checker, as_of=AS_OF).findings
    assert sorted(screened["code"]) == sorted(f.code for f in without.findings)


# --- Parquet columns of other types than text: read as a CSV's cells would be written --------


def test_parquet_whole_numbers_with_a_gap_keep_their_text(checker, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An integer column with a null is float64 in pandas: 1001 became "1001.0", matching no
    patient of a patients table whose ids have no gap."""
    import pyarrow as pa
    from pyarrow import parquet

    meds, patients = tmp_path / "meds.parquet", tmp_path / "patients.parquet"
    parquet.write_table(
        pa.table({"patient_id": pa.array([1001, None, 1002]), "name": list(PAIR) + ["lithium"]}),
        meds,
    )
    parquet.write_table(
        pa.table({"patient_id": pa.array([1001, 1002]), "crcl": pa.array([28.0, None])}), patients
    )
    assert read_table(str(meds))["patient_id"].tolist()[::2] == ["1001", "1002"]
    result = screen(read_table(str(meds)), read_table(str(patients)), runner=checker, as_of=AS_OF)
    assert result.rejected_rows == [3]  # the row without an id, and only it
    assert set(result.summary["patient_id"]) == {"1001", "1002"}
    assert "PC501" in _codes(result.findings)  # tramadol at CrCl 28: the crcl was read


def test_a_parquet_list_of_conditions_is_read_item_by_item(checker, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A list cell was read as its Python text "['epilepsy', 'xyzzy']": one condition, read
    fuzzily, its unknown item silently gone."""
    import pyarrow as pa
    from pyarrow import parquet

    patients = tmp_path / "patients.parquet"
    conditions = pa.array([["juvenile myoclonic epilepsy", "xyzzy disease"], [], None])
    parquet.write_table(
        pa.table({"patient_id": ["p1", "p2", "p3"], "conditions": conditions}), patients
    )
    table = read_table(str(patients))
    read = table["conditions"].fillna("").tolist()
    assert read == ["juvenile myoclonic epilepsy; xyzzy disease", "", ""]
    meds = pd.DataFrame({"patient_id": ["p1", "p2", "p3"], "name": ["tramadol"] * 3})
    result = screen(meds, table, runner=checker, as_of=AS_OF)
    unread = result.findings[result.findings["category"] == "unrecognized"]
    assert unread["title"].tolist() == ["Not checked: condition xyzzy disease"]
    assert "PC702" in _codes(result.findings)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.integers(min_value=-(2**63), max_value=2**63 - 1)),
        min_size=1,
        max_size=20,
    )
)
def test_parquet_integers_read_as_written(values: list[int | None]) -> None:
    import tempfile

    import pyarrow as pa
    from pyarrow import parquet

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.parquet"
        parquet.write_table(
            pa.table({"patient_id": pa.array(values, pa.int64()), "name": ["x"] * len(values)}),
            path,
        )
        table = read_table(str(path))
    written = [str(v) for v in values if v is not None]
    assert [v for v in table["patient_id"].tolist() if pd.notna(v)] == written


# --- options that make no sense together, or would be silently ignored ----------------------


def _ward_files(tmp_path: Path) -> tuple[str, str]:
    meds, patients = tmp_path / "meds.csv", tmp_path / "patients.csv"
    meds.write_text("patient_id,name\np1,amlodipine\n", encoding="utf-8")
    patients.write_text("patient_id,age\np1,70\n", encoding="utf-8")
    return str(meds), str(patients)


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--sheet", "Meds"], "not a workbook"),
        (["--patients", "{patients}", "--patients-sheet", "P"], "not a workbook"),
        (["--patients-sheet", "P"], "--patients-sheet needs --patients"),
        (["--engine", "dask", "-o", "{out}", "--unit", "ICU"], "--unit"),
        (["--engine", "dask", "-o", "{out}", "--format", "json"], "--format json"),
        (["--engine", "dask", "-o", "{out}", "--sheet", "Meds"], "--sheet"),
    ],
    ids=["sheet-of-csv", "patients-sheet-of-csv", "patients-sheet-alone", "dask-unit",
         "dask-format", "dask-sheet"],
)  # fmt: skip
def test_an_option_that_would_be_ignored_is_refused(
    tmp_path: Path, kb_url: str, extra: list[str], words: str
) -> None:
    meds, patients = _ward_files(tmp_path)
    out = tmp_path / "out"
    args = [a.format(patients=patients, out=out) for a in extra]
    done = run(["screen", meds, "--as-of", "2026-11-25", *args], kb_url)
    assert_outcome(done, 2, words)
    assert not out.exists()


def test_meds_and_patients_cannot_both_come_from_stdin(kb_url: str) -> None:
    done = run(["screen", "-", "--patients", "-"], kb_url, stdin="patient_id,name\np1,x\n")
    assert_outcome(done, 2, "cannot both be read from stdin")


@pytest.mark.parametrize("command", ["check", "screen"])
def test_output_dash_is_stdout_not_a_file_named_dash(
    tmp_path: Path, kb_url: str, command: str
) -> None:
    meds, _ = _ward_files(tmp_path)
    args = ["check", "amlodipine", "--format", "csv"] if command == "check" else ["screen", meds]
    done = subprocess.run(
        [sys.executable, "-m", "pharmcheck", *args, "-o", "-", "--as-of", "2026-11-25"],
        check=False, capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO), "PHARMCHECK_DB": kb_url},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("patient_id,code") or "amlodipine" in done.stdout
    assert not (tmp_path / "-").exists()


# --- a blank first line: the header is not on row 1, so every row number would be off --------


@settings(max_examples=20, deadline=None)
@given(
    blank=st.lists(st.sampled_from(["", " ", "\t", "  "]), min_size=1, max_size=3),
    end=st.sampled_from(["\n", "\r\n"]),
)
def test_a_csv_whose_first_line_is_blank_is_refused(blank: list[str], end: str) -> None:
    """pyarrow took the first line after one blank one as the header: rows were numbered one
    less than the file's (row 3 reported as row 2); two blank lines lost the header."""
    import tempfile

    from pharmcheck.errors import InputError

    text = end.join([*blank, "patient_id,name", "p1,tramadol", "p2,"]) + end
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "meds.csv"
        path.write_bytes(text.encode())
        with pytest.raises(InputError, match="line 1 is blank"):
            read_table(str(path))


def test_a_workbook_whose_first_row_is_blank_says_so(tmp_path: Path) -> None:
    from pharmcheck.errors import InputError

    table = pd.DataFrame({"patient_id": ["p1"], "name": ["tramadol"]})
    table.to_excel(tmp_path / "meds.xlsx", index=False, startrow=1)  # the header on row 2
    with pytest.raises(InputError, match="row 1 is blank"):
        read_table(str(tmp_path / "meds.xlsx"))


# --- an output that cannot be written: said by its own name, before anything is replaced ------


def test_a_summary_that_cannot_be_written_leaves_the_findings_file_as_it_was(
    tmp_path: Path, kb_url: str
) -> None:
    meds, _ = _ward_files(tmp_path)
    findings = tmp_path / "findings.csv"
    findings.write_text("the previous run's findings\n", encoding="utf-8")
    summary = tmp_path / "no such folder" / "summary.csv"
    done = run(
        ["screen", meds, "-o", str(findings), "--summary", str(summary), "--as-of", "2026-11-25"],
        kb_url,
    )
    assert_outcome(done, 2, str(summary))
    assert ".partial" not in done.stderr
    assert findings.read_text(encoding="utf-8") == "the previous run's findings\n"


@pytest.mark.parametrize("command", ["check", "screen"])
def test_an_output_in_a_missing_folder_is_named_as_given(
    tmp_path: Path, kb_url: str, command: str
) -> None:
    meds, _ = _ward_files(tmp_path)
    target = tmp_path / "missing" / "out.csv"
    args = ["check", "amlodipine"] if command == "check" else ["screen", meds]
    done = run([*args, "-o", str(target), "--as-of", "2026-11-25"], kb_url)
    assert_outcome(done, 2, f"No such file or directory: {target}")


# --- a route given that pharmcheck does not read: refused, never a silently skipped limit ----

DOSE = "300 mg"  # tramadol 300 mg qid: 1200 mg/day, above the oral maximum (PC402)


def _tramadol(route: str) -> Medication:
    return Medication("tramadol", dose=DOSE, frequency="qid", route=route)


@pytest.mark.parametrize("route", ["PO", "p.o.", "per os", "by mouth", "Oral"])
def test_oral_written_any_common_way_gets_the_oral_maximum(checker, route: str) -> None:  # type: ignore[no-untyped-def]
    report = checker.check([_tramadol(route)], Patient(), as_of=AS_OF)
    assert "PC402" in {f.code for f in report.findings}


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz .-/", min_size=1, max_size=12))
def test_a_route_it_does_not_read_is_refused(checker, route: str) -> None:  # type: ignore[no-untyped-def]
    """ "sideways" or "per os" was kept as written and matched no limit's route, so the maximum
    dose check was skipped without a word: 1200 mg/day of tramadol passed."""
    from pharmcheck.errors import InputError
    from pharmcheck.inputs.sig import ROUTES, normalize_route

    if not route.strip():
        return
    if normalize_route(route) in ROUTES:
        report = checker.check([_tramadol(route)], Patient(), as_of=AS_OF)
        assert report.medications[0].route in ROUTES
    else:
        with pytest.raises(InputError, match="unknown route"):
            checker.check([_tramadol(route)], Patient(), as_of=AS_OF)


def test_a_ward_row_with_a_route_it_does_not_read_is_rejected(checker) -> None:  # type: ignore[no-untyped-def]
    meds = pd.DataFrame(
        {
            "patient_id": ["p1", "p2"],
            "name": ["tramadol", "tramadol"],
            "dose": [DOSE, DOSE],
            "frequency": ["qid", "qid"],
            "route": ["sideways", "po"],
        }
    )
    result = screen(meds, runner=checker, as_of=AS_OF)
    assert result.rejected_rows == [2]
    rejected = result.findings[result.findings["category"] == "rejected-row"]
    assert "unknown route 'sideways'" in rejected["message"].iloc[0]
    assert "PC402" in set(result.findings[result.findings["patient_id"] == "p2"]["code"])


def test_a_fhir_route_it_cannot_place_is_read_as_not_given_with_a_note(checker) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("fhir.resources", reason="the fhir extra is not installed")
    import json

    from pharmcheck.fhir import read_bundle

    text = (Path(__file__).parent / "fhir" / "ehr_bundle.json").read_text(encoding="utf-8")
    bundle = json.loads(text.replace('"display": "Oral route"', '"display": "Sideways route"'))
    meds, _, notes = read_bundle(bundle, AS_OF, kb=checker.kb)
    assert '"display": "Oral route"' in text  # the bundle has the route to rename
    assert any("'Sideways route' is not one pharmcheck reads" in n for n in notes)
    checker.check(meds, Patient(), as_of=AS_OF)  # read as not given: checked, not refused


# --- a renal value given and not used is said, as a serum creatinine not used is --------------


@pytest.mark.parametrize(
    ("patient", "used"),
    [
        (Patient(crcl=90, egfr=20), "CrCl 90 mL/min was given: eGFR 20 not used"),
        (
            Patient(
                age=70, sex="male", weight_kg=70, egfr=20,
                serum_creatinine=Quantity(1.0, "mg/dL"),
            ),
            "eGFR 20 not used",
        ),
    ],
    ids=["crcl", "creatinine"],
)  # fmt: skip
def test_an_egfr_not_used_is_said(checker, patient: Patient, used: str) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(["tramadol 50 mg qid"], patient, as_of=AS_OF)
    assert any(used in note for note in report.notes), report.notes


def test_an_egfr_used_has_no_such_note(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(["tramadol 50 mg qid"], Patient(egfr=20), as_of=AS_OF)
    assert not any("not used" in note for note in report.notes)


# --- messages that name what was read ----------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_table_is_read_as_text_not_refused_as_binary(tmp_path: Path, encoding: str) -> None:
    """Excel's "Unicode text" is UTF-16 with a byte-order mark: it was refused as binary."""
    text = "patient_id\tname\np1\tcaf\u00e9ine\np2\ttramadol\n"
    path = tmp_path / "meds.txt"
    bom = {"utf-16-le": "\ufeff", "utf-16-be": "\ufeff"}.get(encoding, "")
    path.write_bytes((bom + text).encode(encoding))
    table = read_table(str(path))
    assert table["name"].tolist() == ["caf\u00e9ine", "tramadol"]


def test_a_workbook_without_the_columns_names_the_sheet_read(tmp_path: Path) -> None:
    from pharmcheck.batch import MED_COLUMNS, normalise_columns
    from pharmcheck.errors import InputError

    path = tmp_path / "meds.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"notes": ["read me"]}).to_excel(writer, sheet_name="Notes", index=False)
        pd.DataFrame({"patient_id": ["p1"], "name": ["x"]}).to_excel(
            writer, sheet_name="Meds", index=False
        )
    with pytest.raises(InputError, match="read sheet 'Notes'; its other sheets: 'Meds'"):
        normalise_columns(read_table(str(path)), MED_COLUMNS, ("patient_id", "name"), "meds")


def test_an_empty_stdin_request_is_called_stdin(kb_url: str) -> None:
    assert_outcome(run(["check", "--input", "-"], kb_url, stdin=""), 2, "stdin is empty")


# --- how a ward's medication rows were read is said, as check says it ---------------------------


def test_a_screen_says_what_it_assumed_in_reading_a_row(checker) -> None:  # type: ignore[no-untyped-def]
    """check notes a dose without a unit read as mg and lists a name read fuzzily; a screen of
    the same rows said neither."""
    meds = pd.DataFrame(
        {
            "patient_id": ["p1", "p1", "p2", "p3"],
            "name": ["tramadol", "neurontn 300 mg tid", "tramadol", "amlodipine"],
            "dose": ["50", "", "50", ""],
            "frequency": ["qid", "", "qid", ""],
        }
    )
    result = screen(meds, runner=checker, as_of=AS_OF)
    assert "rows 2, 4: 'tramadol': dose 50 mg read as mg (no unit given)" in result.notes
    assert any(
        n.startswith("rows 3: 'neurontn 300 mg tid' read as gabapentin (fuzzy")
        for n in result.notes
    ), result.notes
    assert not any("amlodipine" in n for n in result.notes)


# --- a flag that replaces a value of the --input request says so -----------------------------


def test_a_flag_replacing_a_value_of_the_request_is_said(tmp_path: Path, kb_url: str) -> None:
    """--crcl 90 over the request's crcl 28 silently used 90 (a key given twice in one request
    is refused for the same reason: one value would silently win)."""
    import json

    path = tmp_path / "request.json"
    request = {
        "as_of": "2026-11-20",
        "patient": {"crcl": 28, "age": 70},
        "medications": ["tramadol 50 mg qid"],
    }
    path.write_text(json.dumps(request), encoding="utf-8")
    done = run(
        ["check", "--input", str(path), "--crcl", "90", "--age", "70", "--as-of", "2026-11-25",
         "--format", "json"],
        kb_url,
    )  # fmt: skip
    notes = json.loads(done.stdout)["notes"]
    assert f"--crcl 90 replaces the patient's crcl 28 in {path}" in notes
    assert f"--as-of 2026-11-25 replaces the as_of 2026-11-20 in {path}" in notes
    assert not any("--age" in n for n in notes)  # the same value: nothing replaced


def test_a_screen_says_how_it_read_a_patients_row(checker) -> None:  # type: ignore[no-untyped-def]
    """check notes a condition read fuzzily and an eGFR not used; a screen said neither."""
    meds = pd.DataFrame({"patient_id": ["p1", "p2", "p3"], "name": ["tramadol"] * 3})
    patients = pd.DataFrame(
        {
            "patient_id": ["p1", "p2", "p3"],
            "conditions": ["juvenile myoclonic epilepsy xyzzy", "", ""],
            "crcl": ["", "90", ""],
            "egfr": ["", "20", "20"],
        }
    )
    result = screen(meds, patients, runner=checker, as_of=AS_OF)
    assert "patients rows 3: CrCl 90 mL/min was given: eGFR 20 not used" in result.notes
    assert any(
        n.startswith("patients rows 2: condition 'juvenile myoclonic epilepsy xyzzy' read as")
        for n in result.notes
    ), result.notes


def test_a_medication_without_a_name_is_named_by_its_place(kb_url: str) -> None:
    done = run(["check", "tramadol", "  ", "--as-of", "2026-11-25"], kb_url)
    assert_outcome(done, 2, "medication 2 has no name")
    assert "Medication(" not in done.stderr  # not the object's repr


def test_an_id_that_differs_only_in_case_or_spaces_is_pointed_out(checker) -> None:  # type: ignore[no-untyped-def]
    meds = pd.DataFrame({"patient_id": ["p1", "MRN 7", "p9"], "name": ["tramadol"] * 3})
    patients = pd.DataFrame({"patient_id": ["P1", "mrn7"], "age": ["70", "40"]})
    result = screen(meds, patients, runner=checker, as_of=AS_OF)
    messages = result.findings[result.findings["category"] == "rejected-row"]["message"].tolist()
    assert messages == [
        "row 2: patient_id p1 is not in the patients table (it has 'P1': ids must match exactly)",
        "row 3: patient_id MRN 7 is not in the patients table (it has 'mrn7': ids must match"
        + " exactly)",
        "row 4: patient_id p9 is not in the patients table",
    ]
