"""One patient reader: a document's patient object and a PATIENTS table row give the same Patient,
or refuse with the same one-line message."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pharmcheck.domain import Patient
from pharmcheck.errors import InputError
from pharmcheck.inputs.document import request_from_data
from pharmcheck.inputs.patient import patient_from_fields, validate_patient

TODAY = date(2026, 11, 25)


def _from_document(fields: dict[str, Any]) -> Patient:
    return request_from_data({"patient": fields, "medications": ["tramadol"]}).patient


def _from_table(fields: dict[str, str]) -> Patient | str:
    """The patient a one-row PATIENTS table gives, or the message of its rejection."""
    pd = pytest.importorskip("pandas")
    from pharmcheck.batch.patients import read_patients

    people, problems, _ = read_patients(pd.DataFrame([{"patient_id": "p1", **fields}]), TODAY)
    assert people is not None
    if "p1" in problems:
        return problems["p1"].removeprefix("patients row 2: ")
    return people["p1"][0]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"age": "70", "crcl": "25.5"}, Patient(age=70.0, crcl=25.5)),
        ({"sex": " F "}, Patient(sex="female")),
        ({"sex": "Male"}, Patient(sex="male")),
        ({"sex": "unknown"}, Patient()),
        (
            {"pregnant": "yes", "childbearing_potential": "N"},
            Patient(pregnant=True, childbearing_potential=False),
        ),
        (
            {"dialysis": "Hemodialysis", "hepatic_impairment": "SEVERE"},
            Patient(dialysis="hemodialysis", hepatic_impairment="severe"),
        ),
        ({"dialysis": "HD"}, Patient(dialysis="hemodialysis")),
        ({"dialysis": "haemodialysis"}, Patient(dialysis="hemodialysis")),
        ({"dialysis": " CAPD "}, Patient(dialysis="peritoneal")),
        ({"dialysis": "Peritoneal  dialysis"}, Patient(dialysis="peritoneal")),
        ({"dialysis": "no"}, Patient(dialysis="none")),
        ({"conditions": "epilepsy; ; ESRD"}, Patient(conditions=("epilepsy", "ESRD"))),
        ({"myoclonus": "", "age": "  "}, Patient()),
    ],
)
def test_text_fields_read_the_same_from_a_document_and_a_table(
    fields: dict[str, str], expected: Patient
) -> None:
    assert _from_document(fields) == expected
    assert _from_table(fields) == Patient(id="p1", **{k: getattr(expected, k) for k in fields})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"age": "old"}, "patient age must be a number, got 'old'"),
        ({"age": "400"}, "patient age 400 is outside the plausible range 0-130"),
        ({"crcl": "-5"}, "patient crcl -5 is outside the plausible range 0-250"),
        ({"weight_kg": "nan"}, "patient weight_kg nan is outside the plausible range 0.2-500"),
        ({"sex": "x"}, "patient sex must be one of female, male, other, got 'x'"),
        (
            {"dialysis": "daily"},
            "patient dialysis must be one of none, hemodialysis, peritoneal, got 'daily'",
        ),
        ({"pregnant": "maybe"}, "patient pregnant must be true or false (yes or no), got 'maybe'"),
        # The first wrong value in the Patient's field order is the one named.
        ({"myoclonus": "often", "age": "old"}, "patient age must be a number, got 'old'"),
    ],
)
def test_a_wrong_value_is_refused_with_one_message_by_both(
    fields: dict[str, str], message: str
) -> None:
    with pytest.raises(InputError) as refused:
        _from_document(fields)
    assert str(refused.value) == message
    assert _from_table(fields) == message


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"age": True}, "patient age must be a number, got True"),
        ({"pregnant": 1}, "patient pregnant must be true or false (yes or no), got 1"),
        ({"conditions": [1]}, "patient conditions must be a list of text"),
        ({"weight": 70}, "patient: unknown field(s) weight"),
        ({"sex": "f" * 1001}, "patient sex: a text of 1,001 characters; at most 1,000 are read"),
    ],
)
def test_a_document_value_of_the_wrong_kind_is_refused(
    fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError) as refused:
        patient_from_fields(fields)
    assert str(refused.value) == message


def test_a_patient_built_in_code_is_held_to_the_same_vocabulary_and_ranges() -> None:
    with pytest.raises(InputError, match="patient sex must be one of female, male, other, got 'F'"):
        validate_patient(Patient(sex="F"))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="patient egfr 300 is outside"):
        validate_patient(Patient(egfr=300))
    assert validate_patient(Patient(conditions=["ESRD"])).conditions == ("ESRD",)  # type: ignore[arg-type]


CELLS = st.fixed_dictionaries(
    {},
    optional={
        "age": st.sampled_from(["", "0", "45", "130", "131", "-1", "4 5", "1e2", "x"]),
        "weight_kg": st.sampled_from(["", "0.1", "0.2", "70", "500.5"]),
        "crcl": st.sampled_from(["", "25", "250", "nan", "inf"]),
        "egfr": st.sampled_from(["", "60", "12.5"]),
        "sex": st.sampled_from(["", "female", "M", "woman", "other", "unknown", "x"]),
        "dialysis": st.sampled_from(["", "none", "Peritoneal", "yes", "HD", "CAPD", "CRRT"]),
        "hepatic_impairment": st.sampled_from(["", "mild", "Moderate", "bad"]),
        "pregnant": st.sampled_from(["", "yes", "no", "TRUE", "0", "maybe"]),
        "childbearing_potential": st.sampled_from(["", "y", "f", "2"]),
        "conditions": st.sampled_from(["", "ESRD", "epilepsy;ESRD", " ; "]),
        "myoclonus": st.sampled_from(["", "present", "Worsening", "gone"]),
    },
)


@given(CELLS)
def test_any_row_reads_as_the_same_patient_or_message_as_the_document(
    fields: dict[str, str],
) -> None:
    try:
        expected: Patient | str = _from_document(fields)
    except InputError as exc:
        expected = str(exc)
    table = _from_table(fields)
    if isinstance(expected, Patient):
        assert table == Patient(id="p1", **{k: getattr(expected, k) for k in fields})
        assert validate_patient(expected) == expected
    else:
        assert table == expected


def test_the_check_command_reads_dialysis_as_wards_write_it() -> None:
    from click.testing import CliRunner

    from pharmcheck.cli import cli

    def run(kind: str):  # type: ignore[no-untyped-def]
        args = ["check", "gabapentin 300 mg tid", "--crcl", "10", "--dialysis", kind]
        return CliRunner().invoke(cli, [*args, "--format", "json", "--exit-zero"])

    written, spelled = run("HD"), run("hemodialysis")
    assert written.exit_code == 0, written.output
    assert '"dialysis": "hemodialysis"' in written.output
    assert written.output == spelled.output
    refused = run("CRRT")
    assert refused.exit_code == 2
    assert "patient dialysis must be one of none, hemodialysis, peritoneal, got 'CRRT'" in (
        refused.output
    )
