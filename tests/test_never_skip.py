"""Never under-read, never skip: statuses, ward files as they come, and documents with traps.

Every value is read correctly or reported as not understood: a rejected row with its number,
or exit 2 with one line. Expected meanings are written from the FHIR R4 status definitions.
"""

from __future__ import annotations

import json
import time
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

pytest.importorskip("pandas", reason="needs the batch extra (pandas)")

import pandas as pd
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from pharmcheck.batch import read_table, screen
from pharmcheck.batch.tables import MAX_CELL_CHARS, natural_key
from pharmcheck.cli import cli
from pharmcheck.domain import Medication, Patient
from pharmcheck.errors import InputError
from pharmcheck.inputs.document import MAX_NESTING_DEPTH, parse_document, read_date
from pharmcheck.inputs.patient import MAX_TEXT_CHARS
from pharmcheck.inputs.status import ACTIVE, STATUS_MEANINGS, STOPPED, VOID, status_meaning

AS_OF = date(2026, 11, 25)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def one_line_error(result: Result, *words: str) -> str:
    """The run ended with exit 2 and one line naming ``words``."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    for word in words:
        assert word.lower() in lines[0].lower(), lines[0]
    return lines[0]


def codes_of(result: pd.DataFrame, pid: str) -> set[str]:
    return set(result[(result["patient_id"] == pid) & (result["code"] != "")]["code"])


# --- 3. medication status ----------------------------------------------------------------------

# From the FHIR R4 definitions: given now or about to be -> active; no longer given -> stopped
# (on-hold: "temporarily halted": not given now); withdrawn before any administration, not taken,
# or recorded in error -> void.
FHIR_MEANINGS = [
    ("active", ACTIVE),
    ("intended", ACTIVE),
    ("draft", ACTIVE),
    ("unknown", ACTIVE),
    ("on-hold", STOPPED),
    ("completed", STOPPED),
    ("stopped", STOPPED),
    ("cancelled", VOID),
    ("entered-in-error", VOID),
    ("not-taken", VOID),
    ("D/C", STOPPED),
    ("Discontinued", STOPPED),
    ("held", STOPPED),
    ("Suspended", STOPPED),
    ("ceased", STOPPED),
    ("On Hold", STOPPED),
    ("entered in error", VOID),
    ("NOT_TAKEN", VOID),
]


@pytest.mark.parametrize(("status", "meaning"), FHIR_MEANINGS)
def test_each_status_has_its_meaning(status: str, meaning: str) -> None:
    assert status_meaning(status) == meaning


@pytest.mark.parametrize("status", ["xyz", "prn", "maybe", "activ", "d/c?", "stop ped"])
def test_a_status_outside_the_vocabulary_is_refused_by_the_library(status: str) -> None:
    with pytest.raises(InputError, match="unknown status.*use one of: active"):
        Medication("tramadol", status=status)


@given(st.sampled_from(sorted(STATUS_MEANINGS)), st.sampled_from(["", " ", "  "]), st.booleans())
def test_case_and_spacing_do_not_change_a_status(status: str, pad: str, upper: bool) -> None:
    written = pad + (status.upper() if upper else status.title()).replace("-", " ") + pad
    assert status_meaning(written) == status_meaning(status) is not None


# sertraline under the status, tramadol active: PC201 (their interaction) iff sertraline counts as
# given
INTERACTION_CASES = [
    ("active", True),
    ("unknown", True),
    ("intended", True),
    ("on-hold", False),
    ("completed", False),
    ("d/c", False),
    ("entered-in-error", False),
    ("not-taken", False),
    ("cancelled", False),
]


def test_screen_and_check_read_every_status_alike(checker) -> None:  # type: ignore[no-untyped-def]
    meds = pd.DataFrame(
        [
            (f"p{i}", name, status)
            for i, (status, _) in enumerate(INTERACTION_CASES)
            for name, status in (("tramadol 50 mg qid", ""), ("sertraline 100 mg daily", status))
        ],
        columns=["patient_id", "name", "status"],
    )
    out = screen(meds, runner=checker, as_of=AS_OF).findings
    for i, (status, interacts) in enumerate(INTERACTION_CASES):
        report = checker.check(
            [
                Medication("tramadol 50 mg qid"),
                Medication("sertraline 100 mg daily", status=status),
            ],
            Patient(id=f"p{i}"),
            as_of=AS_OF,
        )
        assert ("PC201" in codes_of(out, f"p{i}")) is interacts, status
        assert ("PC201" in {f.code for f in report.findings}) is interacts, status


@pytest.mark.parametrize(
    ("status", "withdrawal"),
    [
        ("d/c", True),
        ("on-hold", True),
        ("completed", True),
        ("entered-in-error", False),
        ("not-taken", False),
        ("cancelled", False),
        ("active", False),
    ],
)
def test_only_a_drug_that_was_given_and_stopped_feeds_the_withdrawal_rule(
    checker,
    status: str,  # type: ignore[no-untyped-def]
    withdrawal: bool,
) -> None:
    meds = pd.DataFrame({"patient_id": ["p1"], "name": ["clonazepam 1 mg bd"], "status": [status]})
    out = screen(meds, runner=checker, as_of=AS_OF).findings
    report = checker.check([Medication("clonazepam 1 mg bd", status=status)], as_of=AS_OF)
    assert ("PC611" in codes_of(out, "p1")) is withdrawal
    assert ("PC611" in {f.code for f in report.findings}) is withdrawal


def test_a_void_medication_feeds_no_rule_at_all(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(
        [Medication("tramadol 50 mg qid", status="entered-in-error")], Patient(crcl=10), as_of=AS_OF
    )
    assert report.findings == ()
    assert report.medications[0].drug == "tramadol"  # listed, not dropped
    assert any("entered-in-error" in note and "not screened" in note for note in report.notes)


def test_unknown_status_is_screened_as_active_and_said(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check([Medication("sertraline", status="unknown")], as_of=AS_OF)
    assert "PC101" in {f.code for f in report.findings}
    assert any("status unknown" in note for note in report.notes)
    result = screen(
        pd.DataFrame({"patient_id": ["p1"], "name": ["sertraline"], "status": ["Unknown"]}),
        runner=checker,
        as_of=AS_OF,
    )
    assert any("status unknown" in note and "rows 2" in note for note in result.notes)


def test_screen_notes_the_rows_it_does_not_count(checker) -> None:  # type: ignore[no-untyped-def]
    meds = pd.DataFrame(
        {
            "patient_id": ["p1", "p1"],
            "name": ["tramadol", "sertraline"],
            "status": ["Entered in error", ""],
        }
    )
    result = screen(meds, runner=checker, as_of=AS_OF)
    assert any("rows 2" in note and "not screened" in note for note in result.notes)
    assert "PC201" not in codes_of(result.findings, "p1")


def test_screen_rejects_a_status_it_does_not_know(checker) -> None:  # type: ignore[no-untyped-def]
    meds = pd.DataFrame(
        {
            "patient_id": ["p1", "p1", "p2"],
            "name": ["tramadol 50 mg qid", "sertraline", "sertraline"],
            "status": ["", "xyz", "active"],
        }
    )
    result = screen(meds, runner=checker, as_of=AS_OF)
    rejected = result.findings[result.findings["category"] == "rejected-row"]
    assert list(rejected["title"]) == ["Row 3 not screened"]
    assert (
        "unknown status 'xyz'" in rejected["message"].iloc[0]
        and "on-hold" in rejected["message"].iloc[0]
    )
    assert "PC201" not in codes_of(result.findings, "p1")  # never "active" by default


def test_check_input_with_an_unknown_status_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    path.write_text(
        json.dumps({"medications": ["sertraline", {"name": "tramadol", "status": "d/c?"}]})
    )
    one_line_error(
        invoke("check", "--input", str(path)),
        "medication 2 (tramadol)",
        "d/c?",
        "on-hold",
        "not-taken",
    )


# --- 6. ward files as they come ----------------------------------------------------------------


def stray_quote_ward(path: Path) -> None:
    rows = ["patient_id,name,dose,frequency"]
    rows += [f"P{i},sertraline,100 mg,daily" for i in range(1, 9)]
    rows += ['P9,"sertraline,100 mg,daily']
    rows += [f"P{i},sertraline,100 mg,daily" for i in range(10, 500)]
    rows += ['P500,tramadol",50 mg,qid']
    rows += [f"P{i},sertraline,100 mg,daily" for i in range(501, 510)]
    path.write_text("\n".join(rows) + "\n")


def test_a_stray_quote_is_a_rejected_row_never_a_swallowed_ward(tmp_path: Path) -> None:
    path = tmp_path / "ward.csv"
    stray_quote_ward(path)
    out = tmp_path / "out.csv"
    result = invoke("screen", str(path), "-o", str(out), "--as-of", "2026-11-25")
    assert result.exit_code == 1, result.output
    rejected = pd.read_csv(out, dtype=str, keep_default_na=False).query(
        "category == 'rejected-row'"
    )
    assert list(rejected["title"]) == ["Row 10 not screened"]
    assert "lines 10-501" in rejected["message"].iloc[0] and "quote" in rejected["message"].iloc[0]
    assert "1 rejected row" in result.output
    assert "510 lines hold 19 rows" in result.output  # the row count disagrees with the line count


def test_an_unclosed_quote_at_the_end_is_a_rejected_row(tmp_path: Path, checker) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ward.csv"
    path.write_text('patient_id,name\np1,sertraline\np2,"tramadol\np3,lithium\n')
    result = screen(read_table(str(path)), runner=checker, as_of=AS_OF)
    rejected = result.findings[result.findings["category"] == "rejected-row"]
    assert list(rejected["title"]) == ["Row 3 not screened"] and list(rejected["patient_id"]) == [
        "p2"
    ]


def test_a_giant_cell_is_a_rejected_row(tmp_path: Path, checker) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ward.csv"
    path.write_text(f"patient_id,name\np1,sertraline\np2,{'x' * (MAX_CELL_CHARS + 1)}\n")
    result = screen(read_table(str(path)), runner=checker, as_of=AS_OF)
    rejected = result.findings[result.findings["category"] == "rejected-row"]
    assert (
        list(rejected["title"]) == ["Row 3 not screened"]
        and "characters" in rejected["message"].iloc[0]
    )


@pytest.mark.parametrize(
    ("text", "suffix"),
    [
        ("Patient ID;Drug Name;Dose\np1;tramadol;50 mg\np1;sertraline;100 mg\n", ".csv"),
        (
            "patient_id\tMedication Name\tdose\np1\ttramadol\t50 mg\np1\tsertraline\t100 mg\n",
            ".csv",
        ),
        ("MRN,Medication-Name,Start Date\np1,tramadol 50 mg,2026-01-01\np1,sertraline,\n", ".csv"),
        ('patient id;medicine name\np1;tramadol\np1;"sertraline; 100 mg"\n', ".txt"),
    ],
)
def test_delimiters_and_header_aliases_are_read(
    tmp_path: Path,
    checker,
    text: str,  # type: ignore[no-untyped-def]
    suffix: str,
) -> None:
    path = tmp_path / f"ward{suffix}"
    path.write_text(text)
    result = screen(read_table(str(path)), runner=checker, as_of=AS_OF)
    assert result.rows_screened == 2 and "PC201" in codes_of(result.findings, "p1")


def test_a_missing_column_names_the_delimiter_seen(tmp_path: Path) -> None:
    path = tmp_path / "ward.csv"
    path.write_text("patient_id;dose\np1;5 mg\n")
    one_line_error(invoke("screen", str(path)), "missing required column", "semicolon-separated")


def test_a_patients_row_with_a_missing_trailing_field_reads_it_blank(
    tmp_path: Path, checker
) -> None:  # type: ignore[no-untyped-def]
    patients = tmp_path / "patients.csv"
    patients.write_text("patient_id,age,crcl\np1,70,25\np2,40\n")
    meds = pd.DataFrame({"patient_id": ["p1", "p2"], "name": ["tramadol 50 mg qid"] * 2})
    result = screen(meds, read_table(str(patients)), runner=checker, as_of=AS_OF)
    assert result.rows_reported == 0 and result.rows_screened == 2
    assert "PC502" in codes_of(result.findings, "p2")  # crcl read as blank: unknown, so asked for
    assert any("rows 3" in note and "blank" in note for note in result.notes)


def test_the_summary_lists_every_patient_in_natural_order(checker) -> None:  # type: ignore[no-untyped-def]
    meds = pd.DataFrame(
        {
            "patient_id": ["P10", "P2", "P1", "P3", "P4"],
            "name": ["sertraline", "sertraline", "", "sertraline", "sertraline"],
        }
    )
    patients = pd.DataFrame(
        {
            "patient_id": ["P10", "P2", "P1", "P3", "P20", "P7"],
            "age": ["50", "50", "50", "400", "50", "500"],
        }
    )
    result = screen(meds, patients, runner=checker, as_of=AS_OF)
    summary = result.summary.set_index("patient_id")
    assert list(summary.index) == ["P1", "P2", "P3", "P4", "P7", "P10", "P20"]
    assert (
        summary.loc["P1", "highest_severity"] == "not screened"
        and summary.loc["P1", "rejected"] == 1
    )
    assert summary.loc["P3", "rejected"] == 1  # its patients row is invalid
    assert summary.loc["P4", "rejected"] == 1  # not in the patients file
    assert summary.loc["P20", "highest_severity"] == "no medications"
    assert summary.loc["P7", "highest_severity"] == "not screened"
    assert any("P7" in note and "500" in note for note in result.notes)


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=20, unique=True))
def test_natural_order_sorts_numbered_ids_by_number(numbers: list[int]) -> None:
    assert sorted((f"P{n}" for n in numbers), key=natural_key) == [f"P{n}" for n in sorted(numbers)]


def workbook(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    with pd.ExcelWriter(path) as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)


def test_a_workbook_names_the_sheets_it_did_not_read(tmp_path: Path) -> None:
    path = tmp_path / "wards.xlsx"
    workbook(
        path,
        {
            "Ward A": pd.DataFrame({"patient_id": ["a1"], "name": ["sertraline"]}),
            "Ward B": pd.DataFrame(
                {"patient_id": ["b1", "b1"], "name": ["sertraline", "tramadol"]}
            ),
        },
    )
    first = invoke("screen", str(path), "--as-of", "2026-11-25")
    assert "only sheet 'Ward A' was read; not read: 'Ward B'" in first.output
    second = invoke("screen", str(path), "--sheet", "Ward B", "--as-of", "2026-11-25")
    assert "b1: 2 medication(s)" in second.output and "PC201" in second.output
    one_line_error(
        invoke("screen", str(path), "--sheet", "Ward C"), "no sheet 'Ward C'", "'Ward B'"
    )


def test_a_workbook_that_unpacks_to_a_giant_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    zeros = b"0" * 2**20
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/worksheets/sheet1.xml", "w") as sheet,
    ):
        for _ in range(260):
            sheet.write(zeros)
    assert path.stat().st_size < 2**20
    started = time.monotonic()
    one_line_error(invoke("screen", str(path)), "bomb.xlsx", "unpacks to 260 MB")
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("start", "reason"),
    [
        ("2026-01-01T00:00:00Z", "time zone"),
        ("2026-01-01T08:00:00+02:00", "time zone"),
        ("31/02/2026", "not a date"),
        ("2026-01-01 08:30", None),
        ("2026-01-01T00:00:00", None),
        ("2026-01-01", None),
        ("20260101", None),
    ],
)
def test_screen_reads_dates_as_check_does(checker, start: str, reason: str | None) -> None:  # type: ignore[no-untyped-def]
    meds = pd.DataFrame(
        {"patient_id": ["p1", "p2"], "name": ["tramadol", "sertraline"], "start": [start, ""]}
    )
    result = screen(meds, runner=checker, as_of=AS_OF)  # one bad date never aborts the screen
    rejected = result.findings[result.findings["category"] == "rejected-row"]
    document = {"medications": [{"name": "tramadol", "start": start}]}
    if reason is None:
        assert rejected.empty
        assert parse_document(json.dumps(document)).medications[0].start == date(2026, 1, 1)
    else:
        assert (
            list(rejected["title"]) == ["Row 2 not screened"]
            and reason in rejected["message"].iloc[0]
        )
        with pytest.raises(InputError, match=reason):
            parse_document(json.dumps(document))
    assert "PC101" in codes_of(result.findings, "p2")


@given(st.dates(date(1900, 1, 1), date(2200, 1, 1)), st.times(), st.integers(-12, 12))
def test_a_date_with_a_time_is_its_day_and_one_with_a_zone_is_refused(
    day: date, moment, hours: int
) -> None:  # type: ignore[no-untyped-def]
    naive = datetime.combine(day, moment)
    assert read_date(naive.isoformat()) == day
    assert read_date(naive.isoformat(sep=" ")) == day
    zoned = naive.replace(tzinfo=timezone(timedelta(hours=hours)))
    assert "time zone" in str(read_date(zoned.isoformat()))


def test_a_structure_only_medication_appears_as_check_lists_it(checker) -> None:  # type: ignore[no-untyped-def]
    smiles = "CCCCCCCCN(C)C"
    meds = pd.DataFrame(
        {"patient_id": ["p1", "p1"], "name": ["compound X", "sertraline"], "smiles": [smiles, ""]}
    )
    result = screen(meds, runner=checker, as_of=AS_OF)
    report = checker.check(
        [Medication("compound X", smiles=smiles), Medication("sertraline")], as_of=AS_OF
    )
    assert [s.input for s in report.structures] == ["compound X"]
    listed = result.findings[result.findings["category"] == "structure-only"]
    assert list(listed["title"]) == ["Checked by structure only: compound X"]
    assert (
        "row 2" in listed["message"].iloc[0]
        and report.structures[0].smiles in listed["message"].iloc[0]
    )
    assert result.by_structure == 1 and result.unrecognized == 0


# --- 8. documents ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('{"medications": ["tramadol"], "medications": ["sertraline"]}', "medications"),
        ('{"medications": [{"name": "tramadol", "dose": "50 mg", "dose": "5 mg"}]}', "dose"),
        ('{"patient": {"age": 70, "age": 7}, "medications": ["tramadol"]}', "age"),
        ("medications: [tramadol]\nmedications: [sertraline]\n", "medications"),
        ("medications:\n  - name: tramadol\n    status: stopped\n    status: active\n", "status"),
    ],
)
def test_a_key_given_twice_is_an_error(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "request.yaml"
    path.write_text(text)
    one_line_error(invoke("check", "--input", str(path)), f"'{key}'", "twice")


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 30)]
    lines += ["medications: *a29"]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    started = time.monotonic()
    one_line_error(invoke("check", "--input", str(path)), "aliases", "line 2")
    assert time.monotonic() - started < 2


def test_even_one_yaml_alias_is_refused() -> None:
    with pytest.raises(InputError, match="aliases"):
        parse_document("x: &name tramadol\nmedications: [*name]\n")


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000 + "]" * 5000,
        "medications: " + "[" * 5000 + "]" * 5000,
        '{"medications": [{"name": "x", "history": ' + "[" * 12 + "]" * 12 + "}]}",
    ],
)
def test_nesting_deeper_than_the_limit_is_refused(text: str) -> None:
    with pytest.raises(InputError, match=f"nested deeper than {MAX_NESTING_DEPTH}"):
        parse_document(text)


def test_a_request_at_the_usual_depth_is_read() -> None:
    request = parse_document(
        json.dumps(
            {
                "medications": [
                    {
                        "name": "clonazepam",
                        "history": [
                            {"date": "2026-01-01", "daily_dose": "2 mg"},
                            {"date": "2026-02-01", "daily_dose": "1 mg"},
                        ],
                    }
                ]
            }
        )
    )
    assert len(request.medications[0].history) == 2


def test_a_text_longer_than_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps({"medications": ["tramadol", {"name": "x" * (MAX_TEXT_CHARS + 1)}]}))
    one_line_error(
        invoke("check", "--input", str(path)), "medication 2", f"at most {MAX_TEXT_CHARS:,}"
    )
    with pytest.raises(InputError, match="at most"):
        parse_document(
            json.dumps(
                {"patient": {"conditions": ["y" * (MAX_TEXT_CHARS + 1)]}, "medications": ["x"]}
            )
        )


def test_a_line_break_in_a_free_text_column_pharmcheck_does_not_read_is_left_alone(
    tmp_path: Path,  # type: ignore[no-untyped-def]
    checker,
) -> None:
    path = tmp_path / "ward.csv"
    path.write_text(
        'patient_id,name,comment\np1,sertraline,"seen by\npsychiatry"\np2,tramadol,"a, b\nc"\n'
    )
    result = screen(read_table(str(path)), runner=checker, as_of=AS_OF)
    rejected = result.findings[result.findings["category"] == "rejected-row"]
    assert list(rejected["title"]) == ["Row 3 not screened"]  # its comment holds the delimiter too
    assert result.rows_screened == 1


def test_a_yaml_key_that_is_a_list_is_malformed_yaml_not_an_internal_error() -> None:
    with pytest.raises(InputError, match="unhashable key"):
        parse_document("? [a]\n: 1\nmedications: [tramadol]\n")
