"""One drug in several entries: the dose rules see the summed daily dose of every active entry
(brand and generic, split regimens, one order written twice), and name each entry."""

from __future__ import annotations

import pytest

from pharmcheck.domain import Medication, Patient, Severity
from tests.helpers import AS_OF

pytestmark = pytest.mark.core  # runs in the install without extras (test_core_install.py)


def _findings(checker, meds: list[str | Medication], **patient):  # type: ignore[no-untyped-def]
    report = checker.check(meds, Patient(**patient), as_of=AS_OF)
    return {f.code: f for f in report.findings}


def test_brand_and_generic_are_summed_against_the_maximum(checker) -> None:  # type: ignore[no-untyped-def]
    # 1200 mg tid is the label maximum of 3600 mg/day; twice over is 7200 mg/day.
    found = _findings(checker, ["gabapentin 1200 mg tid", "Neurontin 1200 mg tid"])
    assert found["PC302"].severity == Severity.MINOR
    maximum = found["PC402"]
    assert maximum.severity == Severity.MAJOR
    assert maximum.message.startswith(
        "gabapentin 7200 mg/day (summed over 2 entries: "
        "'gabapentin 1200 mg tid' 3600 mg + 'Neurontin 1200 mg tid' 3600 mg)"
    )


def test_one_order_written_twice_is_summed(checker) -> None:  # type: ignore[no-untyped-def]
    found = _findings(checker, ["gabapentin 1200 mg tid", "gabapentin 1200 mg tid"])
    assert "gabapentin 7200 mg/day (summed over 2 entries" in found["PC402"].message


def test_each_entry_within_the_maximum_but_the_sum_above(checker) -> None:  # type: ignore[no-untyped-def]
    alone = _findings(checker, ["pregabalin 300 mg bd"])  # 600 mg/day: the label maximum itself
    assert "PC402" not in alone
    together = _findings(checker, ["pregabalin 300 mg bd", "Lyrica 150 mg nocte"])
    assert "pregabalin 750 mg/day" in together["PC402"].message


def test_renal_band_sees_the_summed_dose(checker) -> None:  # type: ignore[no-untyped-def]
    found = _findings(checker, ["gabapentin 300 mg nocte", "Neurontin 300 mg mane"], crcl=10)
    band = found["PC501"]
    assert band.severity == Severity.MAJOR
    assert "prescribed 600 mg/day (summed over 2 entries" in band.message


def test_mme_counts_every_entry_and_names_it(checker) -> None:  # type: ignore[no-untyped-def]
    found = _findings(checker, ["morphine 10 mg q4h", "MS Contin 30 mg bd"])
    mme = found["PC401"]
    assert mme.severity == Severity.MAJOR  # 60 + 60 = 120 MME/day
    assert (
        "Total 120 MME/day ('morphine 10 mg q4h' 60 mg x 1 = 60; 'MS Contin 30 mg bd' 60 mg x 1 = "
        "60)" in mme.message
    )


def test_unknown_mme_is_never_zero(checker) -> None:  # type: ignore[no-untyped-def]
    mme = _findings(checker, ["tramadol"])["PC401"]
    assert "Total 0 " not in mme.message
    assert mme.message.startswith("Total MME/day unknown. Total is INCOMPLETE: tramadol")


def test_a_stopped_entry_is_not_summed(checker) -> None:  # type: ignore[no-untyped-def]
    found = _findings(
        checker, ["gabapentin 1200 mg tid", Medication("Neurontin 1200 mg tid", status="stopped")]
    )
    assert "PC402" not in found
