"""Reading a pasted medication list (pharmcheck.inputs.pasted): every line accounted for."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from pharmcheck.domain import Medication
from pharmcheck.inputs.pasted import (
    CONTINUATION,
    IGNORED,
    LINE_KINDS,
    MEDICATION,
    NOT_A_MEDICATION,
    NOT_CHECKED,
    PastedLine,
    clean_line,
    edited,
    fields_of,
    read_pasted,
)
from pharmcheck.inputs.status import status_problem

DISCHARGE_LETTER = """Current medications:
\u2022 Tramadol 50\u00a0mg PO q6h
  2. Levetiracetam 1,000 mg PO BID
3) Neurontin 600 tid (held)
vancomycin 1,250 mg in sodium chloride 0.9 % 250 mL IVPB every 12 hours (Dosing Weight)
gabapentin 300 mg capsule, 600 mg, oral, 3 times daily
oxycodone 5 mg tablet
   Take 1 tablet by mouth every 4 hours as needed for pain

Allergies:
penicillin

Stopped:
- clonazepam 0.5 mg bd
Plan:
sertraline 50 mg daily
-----
Discontinued: baclofen 10 mg tid
"""


def _by_number(text: str) -> dict[int, tuple[str, str | None, str | None]]:
    return {
        line.number: (
            line.kind,
            line.medication.name if line.medication else None,
            line.medication.status if line.medication else None,
        )
        for line in read_pasted(text)
    }


def test_discharge_letter_lines_are_read_as_a_pharmacist_reads_them() -> None:
    read = _by_number(DISCHARGE_LETTER)
    assert read[1][0] == IGNORED  # "Current medications:" is a header
    assert read[2] == (MEDICATION, "Tramadol 50 mg PO q6h", None)  # bullet and NBSP gone
    assert read[3] == (MEDICATION, "Levetiracetam 1,000 mg PO BID", None)  # numbering gone
    assert read[4] == (MEDICATION, "Neurontin 600 tid", "held")
    # The diluent is not a second drug, and the dosing-weight remark is not part of the sig.
    assert read[5] == (MEDICATION, "vancomycin 1,250 mg IVPB every 12 hours", None)
    # EHR columns: the dose given is the dose column (600 mg), not the capsule strength (300 mg).
    assert read[6] == (MEDICATION, "gabapentin 600 mg oral 3 times daily", None)
    assert read[7][0] == MEDICATION and read[7][1] is not None
    assert read[7][1].endswith("every 4 hours as needed for pain")
    assert read[8][0] == CONTINUATION
    assert read[9][0] == IGNORED  # blank
    assert read[11][0] == IGNORED  # an allergy is not a medication given
    assert read[14] == (MEDICATION, "clonazepam 0.5 mg bd", "stopped")
    assert read[16][0] == NOT_CHECKED  # under "Plan:", which may or may not be given now
    assert read[17][0] == IGNORED  # a rule of dashes
    assert read[18] == (MEDICATION, "baclofen 10 mg tid", "stopped")


def test_a_continuation_line_names_the_line_it_belongs_to() -> None:
    lines = read_pasted("oxycodone 5 mg tablet\nTake 1 tablet every 4 hours")
    assert lines[1].kind == CONTINUATION and lines[1].continues == 1


def test_a_take_line_under_a_complete_sig_is_its_own_medication() -> None:
    lines = read_pasted("tramadol 50 mg qid\nTake 1 tablet paracetamol 500 mg qid")
    assert [line.kind for line in lines] == [MEDICATION, MEDICATION]


def test_held_and_discontinued_markers_set_the_status_whatever_the_section() -> None:
    read = _by_number("Current medications:\nsertraline 50 mg daily - Held by provider\n")
    assert read[2] == (MEDICATION, "sertraline 50 mg daily", "held")


def test_a_hold_instruction_is_not_a_held_status() -> None:
    read = _by_number("morphine 10 mg q4h prn, hold if sedated")
    assert read[1][2] is None


def test_a_blank_line_after_a_stopped_section_ends_it() -> None:
    read = _by_number("Stopped:\nclonazepam 0.5 mg bd\n\ntramadol 50 mg qid")
    assert read[2][2] == "stopped"
    assert read[4] == (MEDICATION, "tramadol 50 mg qid", None)


def test_a_blank_line_right_after_a_header_does_not_end_it() -> None:
    read = _by_number("Stopped:\n\nclonazepam 0.5 mg bd")
    assert read[3][2] == "stopped"


def test_crlf_and_tabs() -> None:
    read = _by_number("tramadol\t50 mg\tPO\tq6h\r\nsertraline 50 mg daily\r\n")
    assert read[1] == (MEDICATION, "tramadol 50 mg PO q6h", None)
    assert read[2] == (MEDICATION, "sertraline 50 mg daily", None)


def test_clean_line_keeps_a_dose_that_starts_the_line() -> None:
    assert clean_line("  10 mL Oramorph 10 mg/5 mL") == "10 mL Oramorph 10 mg/5 mL"
    assert clean_line("1. 10 mL Oramorph") == "10 mL Oramorph"


def test_a_status_alone_is_not_checked() -> None:
    assert read_pasted("(held)")[0].kind == NOT_CHECKED


_LINE = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "Current medications:",
            "Stopped:",
            "Held medications",
            "Allergies:",
            "Plan:",
            "",
            "   ",
            "\u2022 tramadol 50 mg qid",
            "2. Levetiracetam 1,000 mg BID",
            "Take 1 tablet by mouth daily",
            "Neurontin 600 tid (held)",
            "Discontinued: baclofen 10 mg tid",
            "vancomycin 1 g in sodium chloride 0.9 % 250 mL",
            "gabapentin 300 mg capsule, 600 mg, oral, 3 times daily",
            "-----",
            "\u00a0",
        ]
    ),
).map(lambda text: text.replace("\r", " ").replace("\n", " "))


@given(st.lists(_LINE, max_size=25))
def test_no_line_is_lost(lines: list[str]) -> None:
    """Every line is a medication (or part of one), ignored with a reason, or not checked with a
    reason, in order, and the text it came from is kept."""
    text = "\n".join(lines)
    read = read_pasted(text)
    assert [line.number for line in read] == list(range(1, len(text.splitlines()) + 1))
    assert [line.text for line in read] == text.splitlines()
    for line in read:
        assert line.kind in LINE_KINDS
        if line.kind == MEDICATION:
            assert line.medication is not None and line.medication.name.strip()
            assert status_problem(line.medication.status) is None
        elif line.kind == CONTINUATION:
            assert line.continues is not None
            assert read[line.continues - 1].kind == MEDICATION
        else:
            assert line.medication is None and line.reason


@given(st.lists(st.sampled_from(["tramadol 50 mg qid", "sertraline 50 mg daily"]), max_size=10))
def test_plain_lists_are_read_whole(lines: list[str]) -> None:
    read = read_pasted("\n".join(lines))
    assert [line.medication.name for line in read if line.medication] == lines


def _edit(text: str, **changes: str) -> PastedLine:
    line = read_pasted(text)[0]
    read = fields_of(line)
    return edited(line, read, replace(read, **changes))


def test_an_unchanged_reading_leaves_the_line_as_read() -> None:
    line = read_pasted("tramadol 50 mg qid")[0]
    assert edited(line, fields_of(line), fields_of(line)) == line


def test_a_renamed_drug_keeps_the_sig_around_it() -> None:
    corrected = _edit("tramadl 50 mg qid + 100 mg nocte", drug="tramadol")
    assert corrected.kind == MEDICATION and corrected.medication is not None
    assert corrected.medication.name == "tramadol 50 mg qid + 100 mg nocte"


def test_a_changed_dose_is_checked_as_given() -> None:
    corrected = _edit("tramadol 50 mg qid", dose="100 mg")
    assert corrected.medication == Medication("tramadol", dose="100 mg", frequency="qid")


def test_an_unreadable_correction_is_not_checked_never_guessed() -> None:
    assert _edit("tramadol 50 mg qid", dose="a lot").kind == NOT_CHECKED
    assert _edit("tramadol 50 mg qid", frequency="whenever").kind == NOT_CHECKED
    assert _edit("tramadol 50 mg qid", status="sometimes").kind == NOT_CHECKED


def test_a_status_correction_keeps_the_text() -> None:
    corrected = _edit("clonazepam 2 mg tid", status="stopped")
    assert corrected.medication == Medication("clonazepam 2 mg tid", status="stopped")


def test_a_line_not_read_as_a_medication_can_be_made_one() -> None:
    line = read_pasted("Plan:\nsertraline 50 mg daily")[1]
    assert line.kind == NOT_CHECKED
    read = fields_of(line)
    corrected = edited(line, read, replace(read, status="active"))
    assert corrected.medication == Medication("sertraline 50 mg daily", status="active")
    left_out = _edit("tramadol 50 mg qid", status=NOT_A_MEDICATION)
    assert left_out.kind == IGNORED and left_out.reason
