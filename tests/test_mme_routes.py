"""PC401 converts only what the CDC 2022 table has a factor for: an opioid given by another
route, or as a rate by the hour, makes the total incomplete instead of being counted at the oral
factor, which would understate the load (never smaller than written)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pharmcheck.domain import Medication, Patient, Severity
from tests.helpers import AS_OF

pytestmark = pytest.mark.core  # runs in the install without extras (test_core_install.py)

OTHER_ROUTES = ["iv", "im", "sc", "intrathecal", "sl", "pr", "buccal"]


def _mme(checker, meds):  # type: ignore[no-untyped-def]
    report = checker.check(meds, Patient(), as_of=AS_OF)
    return next((f for f in report.findings if f.code == "PC401"), None)


@pytest.mark.parametrize("route", OTHER_ROUTES)
def test_a_dose_by_another_route_is_not_converted(checker, route: str) -> None:  # type: ignore[no-untyped-def]
    found = _mme(checker, [f"morphine 30 mg {route} q4h"])
    assert found is not None
    assert found.message.startswith("Total MME/day unknown.")
    assert "so it is not converted" in found.message
    assert found.severity == Severity.INFO


@pytest.mark.parametrize("route", ["", "po", "oral", "ng"])
def test_a_dose_by_mouth_or_no_route_is_converted(checker, route: str) -> None:  # type: ignore[no-untyped-def]
    found = _mme(checker, [f"morphine 30 mg {route} q4h".replace("  ", " ")])
    assert found is not None and found.severity == Severity.MAJOR
    assert found.message.startswith("Total 180 MME/day (morphine 180 mg x 1 = 180).")


def test_a_route_given_in_its_own_field_counts(checker) -> None:  # type: ignore[no-untyped-def]
    found = _mme(checker, [Medication("morphine", dose="30 mg", frequency="q4h", route="IV")])
    assert found is not None and "intravenous route" in found.message


def test_an_hourly_rate_is_read_and_never_converted(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(["morphine 2 mg/h"], Patient(), as_of=AS_OF)
    (morphine,) = report.medications
    assert (morphine.dose.value, morphine.dose.unit) == (2, "mg/h")
    assert (morphine.daily_dose.value, morphine.daily_dose.unit) == (48, "mg")
    found = next(f for f in report.findings if f.code == "PC401")
    assert "morphine is a rate of 2 mg/h" in found.message


def test_fentanyl_by_patch_is_converted_and_by_vein_is_not(checker) -> None:  # type: ignore[no-untyped-def]
    patch = _mme(checker, ["fentanyl 50 mcg/h patch"])
    assert patch is not None and "fentanyl 50 mcg/h x 2.4 = 120" in patch.message
    vein = _mme(checker, ["fentanyl 50 mcg/h iv"])
    assert vein is not None and vein.message.startswith("Total MME/day unknown.")
    unsaid = _mme(checker, ["fentanyl 50 mcg/h"])  # a patch, or an infusion?
    assert unsaid is not None and unsaid.message.startswith("Total MME/day unknown.")
    assert "fentanyl is a rate of 50 mcg/h with no route given" in unsaid.message
    written = _mme(checker, [Medication("fentanyl", dose="50 mcg/h", route="transdermal")])
    assert written is not None and "fentanyl 50 mcg/h x 2.4 = 120" in written.message


@settings(max_examples=40, deadline=None)
@given(
    oral=st.integers(min_value=1, max_value=60),
    other=st.integers(min_value=1, max_value=60),
    route=st.sampled_from(OTHER_ROUTES),
)
def test_the_total_is_at_least_the_oral_part_and_says_what_it_left_out(
    checker,  # type: ignore[no-untyped-def]
    oral: int,
    other: int,
    route: str,
) -> None:
    found = _mme(checker, [f"oxycodone {oral} mg q6h", f"morphine {other} mg {route} q4h"])
    assert found is not None
    oral_mme = oral * 4 * 1.5
    assert f"= {oral_mme:.0f})" in found.message
    assert "INCOMPLETE" in found.message and "so it is not converted" in found.message
    assert found.message.startswith(f"At least {oral_mme:.0f} MME/day")
