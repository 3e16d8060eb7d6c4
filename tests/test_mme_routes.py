"""PC401 converts with the CDC 2022 table only what the table has a factor for. A dose given by
injection or infusion (or as a rate by the hour) bypasses absorption, so the table's factor
understates it: it is counted as a lower bound ("At least"). A dose by another route the table
has no factor for is left out. Either way the total says it is incomplete, never a smaller total
presented as whole."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pharmcheck.domain import Medication, Patient, Severity
from tests.helpers import AS_OF

pytestmark = pytest.mark.core  # runs in the install without extras (test_core_install.py)

PARENTERAL = ["iv", "im", "sc", "intrathecal"]
UNCONVERTED = ["sl", "pr", "buccal"]


def _mme(checker, meds):  # type: ignore[no-untyped-def]
    report = checker.check(meds, Patient(), as_of=AS_OF)
    return next((f for f in report.findings if f.code == "PC401"), None)


@pytest.mark.parametrize("route", PARENTERAL)
def test_a_dose_by_injection_is_a_lower_bound(checker, route: str) -> None:  # type: ignore[no-untyped-def]
    found = _mme(checker, [f"morphine 30 mg {route} q4h"])
    assert found is not None and found.severity == Severity.MAJOR
    assert found.message.startswith("At least 180 MME/day (morphine 180 mg x 1 = 180).")
    assert "counted at the table's factor as a lower bound" in found.message


@pytest.mark.parametrize("route", UNCONVERTED)
def test_a_dose_by_a_route_without_a_factor_is_left_out(checker, route: str) -> None:  # type: ignore[no-untyped-def]
    found = _mme(checker, [f"morphine 30 mg {route} q4h"])
    assert found is not None and found.severity == Severity.INFO
    assert found.message.startswith("Total MME/day unknown.")
    assert "(the table has no factor for it), so it is not converted" in found.message


@pytest.mark.parametrize("route", ["", "po", "oral", "ng"])
def test_a_dose_by_mouth_or_no_route_is_converted(checker, route: str) -> None:  # type: ignore[no-untyped-def]
    found = _mme(checker, [f"morphine 30 mg {route} q4h".replace("  ", " ")])
    assert found is not None and found.severity == Severity.MAJOR
    assert found.message.startswith("Total 180 MME/day (morphine 180 mg x 1 = 180).")
    assert "INCOMPLETE" not in found.message


def test_a_route_given_in_its_own_field_counts(checker) -> None:  # type: ignore[no-untyped-def]
    found = _mme(checker, [Medication("morphine", dose="30 mg", frequency="q4h", route="IV")])
    assert found is not None and "given by the intravenous route" in found.message


def test_an_hourly_rate_is_read_as_written_and_bounds_the_total(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(["morphine 4 mg/h"], Patient(), as_of=AS_OF)
    (morphine,) = report.medications
    assert (morphine.dose.value, morphine.dose.unit) == (4, "mg/h")
    assert (morphine.daily_dose.value, morphine.daily_dose.unit) == (96, "mg")
    found = next(f for f in report.findings if f.code == "PC401")
    assert found.severity == Severity.MAJOR
    assert found.message.startswith("At least 96 MME/day")
    assert "morphine is a rate of 4 mg/h" in found.message


def test_fentanyl_by_patch_is_converted_and_otherwise_bounds_the_total(checker) -> None:  # type: ignore[no-untyped-def]
    patch = _mme(checker, ["fentanyl 50 mcg/h patch"])
    assert patch is not None and patch.message.startswith("Total 120 MME/day")
    written = _mme(checker, [Medication("fentanyl", dose="50 mcg/h", route="transdermal")])
    assert written is not None and written.message.startswith("Total 120 MME/day")
    for text in ("fentanyl 50 mcg/h iv", "fentanyl 50 mcg/h"):  # by vein; a patch or a vein?
        bound = _mme(checker, [text])
        assert bound is not None and bound.message.startswith("At least 120 MME/day"), text
        assert "INCOMPLETE" in bound.message


@settings(max_examples=40, deadline=None)
@given(
    oral=st.integers(min_value=1, max_value=60),
    other=st.integers(min_value=1, max_value=60),
    route=st.sampled_from(PARENTERAL + UNCONVERTED),
)
def test_the_total_is_never_smaller_than_what_is_converted_and_says_it_is_incomplete(
    checker,  # type: ignore[no-untyped-def]
    oral: int,
    other: int,
    route: str,
) -> None:
    found = _mme(checker, [f"oxycodone {oral} mg q6h", f"morphine {other} mg {route} q4h"])
    assert found is not None
    at_least = oral * 4 * 1.5 + (other * 6 if route in PARENTERAL else 0)
    assert found.message.startswith(f"At least {at_least:.0f} MME/day")
    assert "INCOMPLETE" in found.message
    expected = (
        Severity.MAJOR if at_least >= 90 else Severity.MODERATE if at_least >= 50 else Severity.INFO
    )
    assert found.severity == expected
