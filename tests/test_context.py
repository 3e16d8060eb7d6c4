"""Patient context and time: renal bands, MME, tolerance, withdrawal, syndromes, conditions."""

from __future__ import annotations

from datetime import date

import pytest

from pharmcheck.domain import DoseChange, Medication, Patient, Quantity, Severity
from pharmcheck.rules.base import CheckContext, RenalFunction
from pharmcheck.rules.organ import band_for

pytestmark = pytest.mark.core  # runs in the install without extras (test_core_install.py)

AS_OF = date(2026, 11, 25)


def codes(report, code: str):  # type: ignore[no-untyped-def]
    return [f for f in report.findings if f.code == code]


def _band_cases(kb):  # type: ignore[no-untyped-def]
    cases = []
    for fact in kb.renal_bands:
        if fact["dialysis"] or fact["lower"] is None:
            continue
        cases.append((kb.drug_name(fact["drug_id"]), fact))
    return cases


def test_every_band_boundary_below_at_above(kb) -> None:  # type: ignore[no-untyped-def]
    ctx = CheckContext(kb, Patient(), [], AS_OF, frozenset())
    checked = 0
    for drug, fact in _band_cases(kb):
        lower = float(fact["lower"])
        route = fact[
            "route"
        ]  # a route-specific band (aciclovir IV, oral) applies to its route only
        at = band_for(ctx, RenalFunction(lower, "CrCl"), fact["drug_id"], route)
        above = band_for(ctx, RenalFunction(lower + 0.5, "CrCl"), fact["drug_id"], route)
        below = band_for(ctx, RenalFunction(lower - 0.5, "CrCl"), fact["drug_id"], route)
        assert at is not None and at["id"] == fact["id"], (drug, lower)
        assert above is not None and (above["lower"] or 0) <= lower + 0.5
        assert below is None or below["id"] != fact["id"], (drug, lower)
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    ("sig", "crcl", "flagged", "severity"),
    [
        ("gabapentin 600 mg tid", 28, True, Severity.MAJOR),  # 1800 > 700 (15-29 band)
        ("gabapentin 600 mg tid", 60, False, None),  # >=60 band allows 3600
        ("levetiracetam 1500 mg bd", 25, True, Severity.MAJOR),  # <30: 250-500 q12h
        ("levetiracetam 250 mg bd", 25, False, None),
        ("levetiracetam 1500 mg bd", 30, True, Severity.MAJOR),  # 30-50: max 1500/day
        ("levetiracetam 750 mg bd", 30, False, None),
        ("piracetam 2.4 g tds", 19, True, Severity.CONTRAINDICATED),
        ("piracetam 2.4 g tds", 20, True, Severity.MAJOR),  # 20-29: 1/6 dose (max 4 g)
        ("piracetam 1.2 g tds", 85, False, None),
        ("morphine 10 mg q4h", 25, True, Severity.MAJOR),
        ("cefepime 1 g bd", 40, True, Severity.MODERATE),  # adjusted, but persistent
    ],
)
def test_renal_band_findings(checker, sig: str, crcl: float, flagged: bool, severity) -> None:  # type: ignore[no-untyped-def]
    report = checker.check([sig], Patient(crcl=crcl), as_of=AS_OF)
    found = codes(report, "PC501")
    assert bool(found) == flagged, [f.message for f in found]
    if flagged:
        assert found[0].severity == severity
        assert f"CrCl {crcl:g} mL/min" in found[0].message and "label band" in found[0].message


def test_egfr_is_used_and_named_when_crcl_missing(checker) -> None:  # type: ignore[no-untyped-def]
    found = codes(checker.check(["gabapentin 600 mg tid"], Patient(egfr=25), as_of=AS_OF), "PC501")
    assert found and "eGFR 25" in found[0].message and "CrCl not given" in found[0].message


def test_dialysis_is_end_stage(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(["piracetam 1.2 g bd"], Patient(dialysis="hemodialysis"), as_of=AS_OF)
    found = codes(report, "PC501")
    assert (
        found
        and found[0].severity == Severity.CONTRAINDICATED
        and "hemodialysis" in found[0].message
    )


def test_renal_function_unknown_asks_for_crcl(checker) -> None:  # type: ignore[no-untyped-def]
    found = codes(checker.check(["gabapentin 300 mg tid"], Patient(), as_of=AS_OF), "PC502")
    assert found, "an unknown renal function must be reported for a renally cleared drug"
    assert "CrCl" in found[0].message or "creatinine" in found[0].recommendation


def test_hepatic_caution(checker) -> None:  # type: ignore[no-untyped-def]
    found = codes(
        checker.check(["pethidine 50 mg q4h"], Patient(hepatic_impairment="severe"), as_of=AS_OF),
        "PC503",
    )
    assert found and found[0].severity >= Severity.MAJOR
    # valproate's hepatic contraindication is one finding: PC702 carries the hepatic caution
    report = checker.check(
        ["valproic acid 500 mg bd"], Patient(hepatic_impairment="severe"), as_of=AS_OF
    )
    assert not codes(report, "PC503")
    assert [f.severity for f in codes(report, "PC702") if "Hepatic" in f.title] == [
        Severity.CONTRAINDICATED
    ]


CLONAZEPAM = Medication(
    "clonazepam",
    dose="2 mg",
    frequency="tid",
    start=date(2026, 7, 15),
    history=(
        DoseChange(date(2026, 7, 15), Quantity(1.5, "mg")),
        DoseChange(date(2026, 11, 15), Quantity(6, "mg")),
    ),
)


def test_tolerance_long_course_and_escalation(checker) -> None:  # type: ignore[no-untyped-def]
    found = codes(checker.check([CLONAZEPAM], Patient(), as_of=AS_OF), "PC601")
    assert found and found[0].severity == Severity.MODERATE
    assert (
        "133 days" in found[0].message
        and "1.5 mg" in found[0].message
        and "6 mg" in found[0].message
    )


def test_tolerance_short_course_without_escalation_is_clean(checker) -> None:  # type: ignore[no-untyped-def]
    med = Medication("clonazepam 0.5 mg bd", start=date(2026, 10, 1))
    assert not codes(checker.check([med], Patient(), as_of=AS_OF), "PC601")


def test_as_of_fixes_today(checker) -> None:  # type: ignore[no-untyped-def]
    med = Medication("clonazepam 0.5 mg bd", start=date(2026, 7, 1))
    assert not codes(checker.check([med], Patient(), as_of=date(2026, 8, 1)), "PC601")
    assert codes(checker.check([med], Patient(), as_of=date(2026, 11, 1)), "PC601")


def test_paradoxical_trajectory_with_worsening_myoclonus(checker) -> None:  # type: ignore[no-untyped-def]
    found = codes(checker.check([CLONAZEPAM], Patient(myoclonus="worsening"), as_of=AS_OF), "PC621")
    assert found and found[0].severity == Severity.MAJOR
    assert "rather than increasing" in found[0].recommendation
    assert not codes(
        checker.check([CLONAZEPAM], Patient(myoclonus="improving"), as_of=AS_OF), "PC621"
    )


def test_opioid_rapid_escalation(checker) -> None:  # type: ignore[no-untyped-def]
    med = Medication(
        "hydromorphone 8 mg q4h",
        history=(
            DoseChange(date(2026, 11, 1), Quantity(16, "mg")),
            DoseChange(date(2026, 11, 20), Quantity(48, "mg")),
        ),
    )
    found = codes(checker.check([med], Patient(myoclonus="present"), as_of=AS_OF), "PC602")
    assert found and found[0].severity == Severity.MAJOR and "x3.0 in 19 days" in found[0].message
    assert "do not escalate" in found[0].recommendation
    slow = Medication(
        "hydromorphone 8 mg q4h",
        history=(
            DoseChange(date(2026, 9, 1), Quantity(16, "mg")),
            DoseChange(date(2026, 11, 20), Quantity(48, "mg")),
        ),
    )
    assert not codes(checker.check([slow], Patient(myoclonus="present"), as_of=AS_OF), "PC602")


@pytest.mark.parametrize(
    ("first", "later", "rapid"),
    [
        (date(2026, 11, 1), date(2026, 11, 20), True),  # x3 in 19 days
        (date(2026, 9, 1), date(2026, 11, 20), False),  # x3 in 80 days: a rise, not a rapid one
    ],
)
def test_pc101_rapid_escalation_is_pc602s(checker, first, later, rapid) -> None:  # type: ignore[no-untyped-def]
    """PC101's 'rapid dose escalation' worsening condition and PC602 use one definition."""
    # Oxymorphone's assertion lists rapid-dose-escalation among its worsening conditions.
    med = Medication(
        "oxymorphone 10 mg q6h",
        history=(DoseChange(first, Quantity(15, "mg")), DoseChange(later, Quantity(40, "mg"))),
    )
    report = checker.check([med], Patient(crcl=90), as_of=AS_OF)
    causing = codes(report, "PC101")[0]
    assert ("rapid dose escalation" in causing.message.split("risk raised by", 1)[-1]) is rapid
    assert bool(codes(report, "PC602")) is rapid


@pytest.mark.parametrize(
    "name", ["clonazepam 1 mg bd", "piracetam 2.4 g tds", "baclofen 10 mg tds"]
)
def test_withdrawal_after_stop(checker, name: str) -> None:  # type: ignore[no-untyped-def]
    stopped = Medication(name, status="stopped")
    found = codes(checker.check([stopped], Patient(), as_of=AS_OF), "PC611")
    assert found and "aper" in found[0].recommendation
    assert not codes(checker.check([Medication(name)], Patient(), as_of=AS_OF), "PC611")


def _syndrome_rules(kb):  # type: ignore[no-untyped-def]
    for fact in kb.condition_rules:
        if fact["kind"] == "paradoxical" and fact["drug_id"] is not None and not fact["route"]:
            yield kb.drug_name(fact["drug_id"]), kb.conditions[int(fact["condition_id"])][1]


def test_every_syndrome_rule_fires_only_with_the_syndrome(checker, kb) -> None:  # type: ignore[no-untyped-def]
    pairs = sorted(set(_syndrome_rules(kb)))
    assert len(pairs) >= 40
    for drug, condition in pairs:
        with_it = codes(
            checker.check([drug], Patient(conditions=(condition,)), as_of=AS_OF), "PC701"
        )
        assert any(drug in f.drugs for f in with_it), (drug, condition)
        without = codes(checker.check([drug], Patient(), as_of=AS_OF), "PC701")
        assert not without, (drug, condition)


def test_iv_benzodiazepine_in_lennox_gastaut(checker) -> None:  # type: ignore[no-untyped-def]
    lgs = Patient(conditions=("Lennox-Gastaut syndrome",))
    iv = codes(checker.check([Medication("lorazepam 4 mg", route="iv")], lgs, as_of=AS_OF), "PC701")
    oral = codes(
        checker.check([Medication("lorazepam 1 mg", route="oral")], lgs, as_of=AS_OF), "PC701"
    )
    assert iv and not [f for f in oral if "route intravenous" in f.message]


def test_valproate_pregnancy_prevention(checker) -> None:  # type: ignore[no-untyped-def]
    found = codes(
        checker.check(
            ["sodium valproate 500 mg bd"],
            Patient(sex="female", age=24, childbearing_potential=True),
            as_of=AS_OF,
        ),
        "PC702",
    )
    assert found and max(f.severity for f in found) >= Severity.MAJOR


def test_unknown_condition_is_not_checked(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(
        ["carbamazepine"], Patient(conditions=("made-up syndrome",)), as_of=AS_OF
    )
    assert [(u.input, u.kind) for u in report.unrecognized] == [("made-up syndrome", "condition")]


def test_band_without_numeric_maximum_is_still_reported(checker) -> None:  # type: ignore[no-untyped-def]
    found = codes(
        checker.check(["levofloxacin 750 mg daily"], Patient(crcl=20), as_of=AS_OF), "PC501"
    )
    assert (
        found and found[0].severity == Severity.MODERATE and "no daily maximum" in found[0].message
    )
    assert not codes(
        checker.check(["levofloxacin 750 mg daily"], Patient(crcl=80), as_of=AS_OF), "PC501"
    )


def test_unknown_dose_at_normal_renal_function_is_not_a_renal_finding(checker) -> None:  # type: ignore[no-untyped-def]
    assert not codes(checker.check(["gabapentin"], Patient(crcl=95), as_of=AS_OF), "PC501")
    assert codes(checker.check(["gabapentin"], Patient(crcl=20), as_of=AS_OF), "PC501")
