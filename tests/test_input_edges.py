"""Unusual input at the edges: what a file, a cell or an option says is read as it says, or
refused or reported; never dropped or assumed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

pytest.importorskip("pandas", reason="needs the batch extra (pandas)")

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pharmcheck.batch import screen
from pharmcheck.domain import Medication, Patient

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
