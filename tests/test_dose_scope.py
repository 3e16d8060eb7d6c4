"""Clinical knowledge applied in its context: dose limits in scope (PC402) and renal band
semantics (PC501). Expected values come from the labels' wording, not from the rules' output."""

from __future__ import annotations

import pytest

pytest.importorskip("pandas", reason="needs the batch extra (pandas)")

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pharmcheck.batch import screen_frame
from pharmcheck.domain import Medication, MyoclonusState, Patient, Severity
from pharmcheck.inputs.document import parse_document
from pharmcheck.inputs.formulation import formulation_of
from pharmcheck.kb.dose_scope import parse_fraction, parse_population
from tests.helpers import AS_OF

NOT_ADJUSTED = "Dose not adjusted for renal function"


def found(checker, meds, code: str, **patient):  # type: ignore[no-untyped-def]
    medications = [m if isinstance(m, Medication) else Medication(m) for m in meds]
    report = checker.check(medications, Patient(**patient), as_of=AS_OF)
    return [f for f in report.findings if f.code == code]


def one(checker, meds, code: str, **patient):  # type: ignore[no-untyped-def]
    hits = found(checker, meds, code, **patient)
    assert len(hits) == 1, [f.message for f in hits]
    return hits[0]


# --- PC402: maximum daily doses in scope ------------------------------------------------------


def test_clonazepam_for_myoclonus_is_dosed_as_a_seizure_disorder(checker) -> None:  # type: ignore[no-untyped-def]
    # 9 mg/day: within the seizure-disorder maximum (20), far above the panic-disorder one (4).
    assert not found(checker, ["clonazepam 3 mg tid"], "PC402", myoclonus="present")
    assert not found(
        checker, ["clonazepam 3 mg tid"], "PC402", conditions=("juvenile myoclonic epilepsy",)
    )
    above = one(checker, ["clonazepam 8 mg tid"], "PC402", myoclonus="worsening")
    assert above.severity == Severity.MAJOR and "20 mg/day (seizure disorders" in above.message
    assert "inferred from the patient's myoclonus (worsening)" in above.message
    assert "panic" not in above.message  # a maximum out of scope is not mentioned


def test_clonazepam_with_no_indication_names_the_stricter_maximum_as_information(checker) -> None:  # type: ignore[no-untyped-def]
    info = one(checker, ["clonazepam 3 mg tid"], "PC402")
    assert (
        info.severity == Severity.INFO and info.title == "Daily dose above a maximum that may apply"
    )
    assert "within the label maximum 20 mg/day" in info.message
    assert "4 mg/day (panic disorder), which may apply (indication not known)" in info.message
    assert "indication" in info.recommendation


def test_a_stated_indication_selects_its_maximum(checker) -> None:  # type: ignore[no-untyped-def]
    panic = Medication("clonazepam", dose="3 mg", frequency="tid", indication="Panic disorder")
    major = one(checker, [panic], "PC402", myoclonus="present")  # stated beats inferred
    assert (
        major.severity == Severity.MAJOR and "4 mg/day (panic disorder, as stated)" in major.message
    )
    epilepsy = Medication("clonazepam", dose="3 mg", frequency="tid", indication="epilepsy")
    assert not found(checker, [epilepsy], "PC402")


def test_an_unknown_indication_is_said_and_treated_as_not_known(checker) -> None:  # type: ignore[no-untyped-def]
    med = Medication("clonazepam", dose="3 mg", frequency="tid", indication="restless legs")
    info = one(checker, [med], "PC402")
    assert (
        info.severity == Severity.INFO
        and "'restless legs' is not in the KB's vocabulary" in info.message
    )


def test_amantadine_seizure_limit_applies_only_with_a_seizure_disorder(checker) -> None:  # type: ignore[no-untyped-def]
    # CMAJ 1997: 100 mg/day in a seizure disorder (influenza use); parkinsonism up to 400 mg/day.
    assert not found(checker, ["amantadine 100 mg tid"], "PC402", myoclonus="present")
    for_flu = Medication("amantadine", dose="100 mg", frequency="bd", indication="influenza")
    major = one(checker, [for_flu], "PC402", conditions=("epilepsy",))
    assert major.severity == Severity.MAJOR and "100 mg/day" in major.message
    assert not found(checker, [for_flu], "PC402")  # no seizure disorder: no 100 mg/day limit at all
    parkinson = Medication(
        "amantadine", dose="100 mg", frequency="tid", indication="Parkinson's disease"
    )
    assert not found(checker, [parkinson], "PC402", conditions=("epilepsy",))


def test_pethidine_obstetric_maximum_only_for_labour(checker) -> None:  # type: ignore[no-untyped-def]
    info = one(checker, ["pethidine 75 mg q4h im"], "PC402")  # 450 mg/day
    assert info.severity == Severity.INFO and "400 mg/day (obstetric analgesia" in info.message
    labour = Medication("pethidine 75 mg q4h im", indication="labour")
    assert one(checker, [labour], "PC402").severity == Severity.MAJOR


def test_lacosamide_monotherapy_and_adjunctive_maxima(checker) -> None:  # type: ignore[no-untyped-def]
    # EU SmPC monotherapy up to 600 mg/day; adjunctive maximum 400 mg/day.
    assert not found(checker, ["lacosamide 300 mg bd"], "PC402")
    major = one(checker, ["lacosamide 300 mg bd", "levetiracetam 500 mg bd"], "PC402")
    assert major.severity == Severity.MAJOR and "400 mg/day (adjunctive)" in major.message


def test_tramadol_immediate_and_extended_release_maxima(checker) -> None:  # type: ignore[no-untyped-def]
    assert not found(checker, ["tramadol IR 100 mg qid"], "PC402", age=50)
    extended = one(checker, ["tramadol ER 200 mg bd"], "PC402", age=50)
    assert (
        extended.severity == Severity.MAJOR and "300 mg/day (extended-release)" in extended.message
    )
    elderly = one(checker, ["tramadol IR 100 mg qid"], "PC402", age=80)
    assert elderly.severity == Severity.MAJOR and "age >75 years" in elderly.message


def test_ciprofloxacin_oral_and_iv_maxima(checker) -> None:  # type: ignore[no-untyped-def]
    assert not found(checker, ["ciprofloxacin 750 mg bd po"], "PC402")
    iv = one(checker, ["ciprofloxacin 750 mg bd iv"], "PC402")
    assert iv.severity == Severity.MAJOR and "1200 mg/day (intravenous)" in iv.message
    unknown = one(checker, ["ciprofloxacin 750 mg bd"], "PC402")
    assert unknown.severity == Severity.INFO and "route not known" in unknown.message


@settings(max_examples=60, deadline=None)
@given(
    dose=st.sampled_from([0.5, 1, 1.5, 2, 3, 5, 7]),
    myoclonus=st.sampled_from([None, "absent", "present"]),
    indication=st.sampled_from([None, "panic disorder", "epilepsy"]),
    condition=st.sampled_from([(), ("epilepsy",), ("dehydration",)]),
)
def test_clonazepam_major_only_above_the_maximum_in_scope(
    checker, dose, myoclonus, indication, condition
) -> None:  # type: ignore[no-untyped-def]
    med = Medication("clonazepam", dose=f"{dose} mg", frequency="tid", indication=indication)
    total = dose * 3
    maximum = (
        4 if indication == "panic disorder" else 20
    )  # Klonopin: panic 4 mg/day, seizures 20 mg/day
    hits = found(checker, [med], "PC402", myoclonus=myoclonus, conditions=condition)
    majors = [f for f in hits if f.severity >= Severity.MAJOR]
    assert bool(majors) == (total > maximum), [f.message for f in hits]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tramadol ER 100 mg bd", "extended-release"),
        ("Nucynta ER 100 mg", "extended-release"),
        ("venlafaxine XL 75 mg", "extended-release"),
        ("morphine sulfate modified-release 30 mg", "extended-release"),
        ("tramadol IR 50 mg", "immediate-release"),
        ("tramadol 50 mg qid", None),
        ("sertraline 50 mg", None),
    ],
)
def test_formulation_is_read_only_where_written(text: str, expected: str | None) -> None:
    assert formulation_of(text) == expected


def test_controlled_scope_values() -> None:
    older = parse_population("age>75")
    assert older is not None and older.age_over == 75
    with_conditions = parse_population("with:epilepsy|myoclonic-seizures")
    assert with_conditions is not None
    assert with_conditions.conditions == ("epilepsy", "myoclonic-seizures")
    assert parse_population("adult (GERD)") is None
    assert parse_fraction("2/3") == pytest.approx(2 / 3)
    assert parse_fraction("3/2") is None and parse_fraction("half") is None


def test_indication_from_the_request_document(checker) -> None:  # type: ignore[no-untyped-def]
    request = parse_document(
        '{"medications": [{"name": "clonazepam", "dose": "3 mg", "frequency": "tid", '
        '"indication": "panic disorder"}]}'
    )
    assert request.medications[0].indication == "panic disorder"
    assert one(checker, list(request.medications), "PC402").severity == Severity.MAJOR


def test_indication_column_of_a_ward_gives_what_check_gives(checker) -> None:  # type: ignore[no-untyped-def]
    meds = pd.DataFrame(
        [
            ("p1", "clonazepam 3 mg tid", "panic disorder"),
            ("p2", "clonazepam 3 mg tid", ""),
            ("p3", "amantadine 100 mg bd", "influenza"),
        ],
        columns=["patient_id", "name", "indication"],
    )
    people = pd.DataFrame(
        [("p1", ""), ("p2", "present"), ("p3", "")], columns=["patient_id", "myoclonus"]
    )
    out = screen_frame(meds, people, runner=checker, as_of=AS_OF)
    cases: tuple[tuple[str, tuple[str, str | None], MyoclonusState | None], ...] = (
        ("p1", ("clonazepam 3 mg tid", "panic disorder"), None),
        ("p2", ("clonazepam 3 mg tid", None), "present"),
        ("p3", ("amantadine 100 mg bd", "influenza"), None),
    )
    for pid, (name, indication), myoclonus in cases:
        report = checker.check(
            [Medication(name, indication=indication)],
            Patient(id=pid, myoclonus=myoclonus),
            as_of=AS_OF,
        )
        rows = out[(out["patient_id"] == pid) & (out["code"] == "PC402")]
        assert list(zip(rows["severity"], rows["message"], strict=True)) == [
            (f.severity.label, f.message) for f in report.findings if f.code == "PC402"
        ]
    assert (out[out["patient_id"] == "p1"]["code"] == "PC402").any()


# --- PC501: renal semantics --------------------------------------------------------------------


@pytest.mark.parametrize(
    "sig", ["gabapentin 300 mg tid", "pregabalin 150 mg bd", "amantadine 100 mg bd"]
)
def test_dialysis_with_a_crcl_keeps_the_crcl_band(checker, sig: str) -> None:  # type: ignore[no-untyped-def]
    without = one(checker, [sig], "PC501", crcl=10)
    on_dialysis = one(checker, [sig], "PC501", crcl=10, dialysis="hemodialysis")
    assert without.severity == on_dialysis.severity == Severity.MAJOR
    assert on_dialysis.title == NOT_ADJUSTED and "hemodialysis band" in on_dialysis.message


def test_gabapentin_on_dialysis_is_compared_with_the_band_maximum(checker) -> None:  # type: ignore[no-untyped-def]
    # Neurontin: CrCl <15 100-300 mg/day; haemodialysis: that dose plus a post-dialysis supplement.
    finding = one(checker, ["gabapentin 300 mg tid"], "PC501", crcl=10, dialysis="hemodialysis")
    assert (
        "band maximum 300 mg/day" in finding.message and "no daily maximum" not in finding.message
    )
    no_crcl = one(checker, ["gabapentin 300 mg tid"], "PC501", dialysis="hemodialysis")
    assert no_crcl.severity == Severity.MAJOR and "CrCl not given: end-stage" in no_crcl.message
    assert "band <15" in no_crcl.message


def test_venlafaxine_and_aciclovir_on_dialysis_are_not_lowered(checker) -> None:  # type: ignore[no-untyped-def]
    # Venlafaxine label: haemodialysis - reduce the total daily dose by 50%; 225 mg is above half of
    # 375.
    venlafaxine = one(checker, ["venlafaxine 75 mg tid"], "PC501", dialysis="hemodialysis")
    assert (
        venlafaxine.severity == Severity.MAJOR
        and "1/2 of the usual daily dose" in venlafaxine.message
    )
    aciclovir = one(
        checker, ["aciclovir 800 mg 5 times daily po"], "PC501", crcl=8, dialysis="hemodialysis"
    )
    assert aciclovir.severity == Severity.MAJOR and "1600" in aciclovir.message


def test_piracetam_fractions_apply_to_the_usual_dose(checker) -> None:  # type: ignore[no-untyped-def]
    # SmPC: CrCl 30-49 -> 1/3 of the usual daily dose; the usual dose starts at 7.2 g/day.
    confirm = one(checker, ["piracetam 2.4 g tid"], "PC501", crcl=40)
    assert (
        confirm.severity == Severity.MODERATE and "1/3 of the usual daily dose" in confirm.message
    )
    assert confirm.title != NOT_ADJUSTED
    above = one(checker, ["piracetam 4.8 g tid"], "PC501", crcl=40)
    assert above.severity == Severity.MAJOR and above.title == NOT_ADJUSTED
    assert not found(checker, ["piracetam 2.4 g tid"], "PC501", crcl=85)


def test_tramadol_interval_band_reads_the_frequency(checker) -> None:  # type: ignore[no-untyped-def]
    # Ultram: CrCl <30 - increase the dosing interval to 12 h, maximum 200 mg/day.
    qid = one(checker, ["tramadol 50 mg qid"], "PC501", crcl=25)
    assert qid.severity == Severity.MAJOR and "at least 12 h apart" in qid.message
    assert not found(checker, ["tramadol 100 mg bd"], "PC501", crcl=25)
    assert not found(checker, ["tramadol 50 mg q12h"], "PC501", crcl=25)
    unknown = one(checker, ["tramadol 50 mg"], "PC501", crcl=25)
    assert unknown.severity == Severity.MODERATE and "frequency is not known" in unknown.message


def test_aciclovir_bands_apply_by_route(checker) -> None:  # type: ignore[no-untyped-def]
    # IV CrCl 10-25: usual dose every 24 h; oral zoster 800 mg q8h at CrCl 10-25.
    iv = one(checker, ["aciclovir 700 mg iv q8h"], "PC501", crcl=20)
    assert iv.severity == Severity.MAJOR and "at least 24 h apart" in iv.message
    assert not found(checker, ["aciclovir 700 mg iv q24h"], "PC501", crcl=20)
    oral = one(checker, ["aciclovir 800 mg 5 times daily po"], "PC501", crcl=20)
    assert oral.severity == Severity.MAJOR and "band maximum 2400 mg/day" in oral.message
    assert not found(checker, ["aciclovir 800 mg tid po"], "PC501", crcl=20)


def test_ciprofloxacin_iv_band_is_not_the_oral_one(checker) -> None:  # type: ignore[no-untyped-def]
    # SmPC: CrCl 30-60 max 1000 mg/day oral, 800 mg/day IV.
    assert not found(checker, ["ciprofloxacin 500 mg bd po"], "PC501", crcl=40)
    iv = one(checker, ["ciprofloxacin 400 mg q8h iv"], "PC501", crcl=40)
    assert iv.severity == Severity.MAJOR and "800 mg/day" in iv.message


def test_a_dose_within_a_persistent_band_is_not_called_unadjusted(checker) -> None:  # type: ignore[no-untyped-def]
    within = one(checker, ["cefepime 1 g bd"], "PC501", crcl=40)
    assert within.severity == Severity.MODERATE and within.title != NOT_ADJUSTED
    assert "within the band; neurotoxicity is still reported" in within.message
    assert within.recommendation.startswith("Keep cefepime within the band")
    q8h = one(checker, ["cefepime 2 g q8h"], "PC501", crcl=40)
    assert q8h.severity == Severity.MAJOR and q8h.title == NOT_ADJUSTED


def test_baclofen_bands_between_end_stage_and_normal(checker) -> None:  # type: ignore[no-untyped-def]
    moderate = one(checker, ["baclofen 10 mg tid"], "PC501", crcl=40)
    assert (
        moderate.severity == Severity.MODERATE and "1/2 of the usual daily dose" in moderate.message
    )
    assert (
        one(checker, ["baclofen 20 mg tid"], "PC501", crcl=40).severity == Severity.MAJOR
    )  # > 1/2 x 80 mg
    assert (
        one(checker, ["baclofen 5 mg tid"], "PC501", crcl=10).severity == Severity.MAJOR
    )  # ESRD: avoid
    dialysis = one(checker, ["baclofen 5 mg tid"], "PC501", crcl=20, dialysis="hemodialysis")
    assert dialysis.severity == Severity.MAJOR and "approximately 5 mg daily" in dialysis.message
    assert not found(checker, ["baclofen 10 mg tid"], "PC501", crcl=90)


def test_lithium_bands_cite_the_current_label(checker) -> None:  # type: ignore[no-untyped-def]
    caution = one(checker, ["lithium 400 mg bd"], "PC501", crcl=45)
    # the band is a caution (moderate); PC501 carries lithium's major renal-impairment rule
    # (PC702's)
    assert (
        caution.title == "Caution at this renal function"
        and "Also caution in Renal impairment" in caution.message
    )
    assert caution.severity == Severity.MAJOR
    assert any(r.startswith("LITH-MPR") for r in caution.references)
    severe = one(checker, ["lithium 400 mg bd"], "PC501", crcl=20)
    assert severe.severity == Severity.MAJOR and "not recommended" in severe.message


@settings(max_examples=60, deadline=None)
@given(
    sig=st.sampled_from(
        [
            "levetiracetam 250 mg bd",
            "gabapentin 100 mg daily",
            "cefepime 1 g daily",
            "tramadol 50 mg bd",
            "pregabalin 25 mg daily",
            "meropenem 500 mg daily",
            "desvenlafaxine 25 mg daily",
            "ciprofloxacin 250 mg daily po",
        ]
    ),
    crcl=st.sampled_from([5, 12, 20, 28, 40, 55, 75, 95]),
    dialysis=st.sampled_from([None, "hemodialysis"]),
)  # CAPD cefepime is every 48 h
def test_a_low_dose_inside_its_band_is_never_called_unadjusted(
    checker, sig, crcl, dialysis
) -> None:  # type: ignore[no-untyped-def]
    # Each dose is at or below the lowest band's maximum and interval of its label.
    for finding in found(checker, [sig], "PC501", crcl=crcl, dialysis=dialysis):
        assert finding.title != NOT_ADJUSTED, finding.message


RENAL_POOL = [
    "gabapentin 300 mg tid",
    "piracetam 2.4 g tid",
    "tramadol 50 mg qid",
    "aciclovir 700 mg iv q8h",
    "aciclovir 800 mg 5 times daily",
    "cefepime 1 g bd",
    "baclofen 10 mg tid",
    "lithium 400 mg bd",
    "clonazepam 3 mg tid",
    "amantadine 100 mg bd",
    "lacosamide 300 mg bd",
    "ciprofloxacin 750 mg bd",
    "tramadol ER 200 mg bd",
    "venlafaxine 75 mg tid",
    "levetiracetam 500 mg bd",
]
WARD = st.lists(
    st.tuples(
        st.lists(
            st.tuples(
                st.sampled_from(RENAL_POOL),
                st.sampled_from(["", "panic disorder", "influenza", "gout"]),
            ),
            min_size=1,
            max_size=4,
        ),
        st.sampled_from(["", "10", "25", "40", "90"]),
        st.sampled_from(["", "hemodialysis"]),
        st.sampled_from(["", "present", "absent"]),
        st.sampled_from(["", "epilepsy", "dehydration"]),
        st.sampled_from(["", "50", "80"]),
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=25, deadline=None)
@given(WARD)
def test_screen_gives_what_check_gives_for_scoped_doses(checker, ward) -> None:  # type: ignore[no-untyped-def]
    meds = pd.DataFrame(
        [
            (f"p{i}", name, indication)
            for i, (entries, *_) in enumerate(ward)
            for name, indication in entries
        ],
        columns=["patient_id", "name", "indication"],
    )
    people = pd.DataFrame(
        [
            (f"p{i}", crcl, dialysis, myoclonus, condition, age)
            for i, (_, crcl, dialysis, myoclonus, condition, age) in enumerate(ward)
        ],
        columns=["patient_id", "crcl", "dialysis", "myoclonus", "conditions", "age"],
    )
    out = screen_frame(meds, people, runner=checker, as_of=AS_OF)
    for i, (entries, crcl, dialysis, myoclonus, condition, age) in enumerate(ward):
        patient = Patient(
            id=f"p{i}",
            crcl=float(crcl) if crcl else None,
            dialysis=dialysis or None,
            myoclonus=myoclonus or None,
            conditions=(condition,) if condition else (),
            age=float(age) if age else None,
        )
        report = checker.check(
            [Medication(n, indication=ind or None) for n, ind in entries], patient, as_of=AS_OF
        )
        rows = out[
            (out["patient_id"] == f"p{i}") & ~out["category"].isin(["unrecognized", "rejected-row"])
        ]
        assert list(
            zip(rows["code"], rows["severity"], rows["title"], rows["message"], strict=True)
        ) == [(f.code, f.severity.label, f.title, f.message) for f in report.findings]


def test_a_fraction_band_uses_the_maximum_of_its_own_route(checker) -> None:  # type: ignore[no-untyped-def]
    # IV aciclovir at CrCl <10: half the usual (mg/kg) dose every 24 h; the oral 4 g maximum is
    # not an IV usual dose, so 2.1 g IV once daily is "confirm", never compared with half of 4 g.
    iv = one(checker, ["aciclovir 2100 mg iv daily"], "PC501", crcl=8)
    # "confirm" (moderate) for the band; PC501 carries aciclovir's major end-stage rule (PC702's)
    assert (
        iv.title == "Renal band: confirm the dose is reduced"
        and "1/2 of the usual daily dose" in iv.message
    )
    assert iv.severity == Severity.MAJOR and "Also caution in End-stage renal disease" in iv.message
    assert "at most" not in iv.message


def test_a_route_not_given_is_read_both_ways(checker) -> None:  # type: ignore[no-untyped-def]
    # aciclovir 400 mg tid at CrCl 20: fine orally (<= 2400 mg/day), too often IV (every 24 h).
    info = one(checker, ["aciclovir 400 mg tid"], "PC501", crcl=20)
    assert info.severity == Severity.INFO and info.title == "Renal band depends on the route"
    assert "As oral: nothing to report" in info.message and "If intravenous:" in info.message


def test_an_indication_that_is_not_text_is_a_clear_error(checker) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.errors import InputError

    with pytest.raises(InputError, match="indication must be a text"):
        checker.check([Medication("clonazepam 1 mg bd", indication=3)], Patient(), as_of=AS_OF)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="indication"):
        parse_document('{"medications": [{"name": "clonazepam", "indication": ["epilepsy"]}]}')


def test_pc101_high_dose_is_judged_against_the_most_permissive_maximum(checker) -> None:  # type: ignore[no-untyped-def]
    """Tramadol IR 400 mg/day is the IR label maximum: not a high dose for PC101, although the ER
    maximum (300 mg/day) is lower; 400 mg/day of ER is."""
    from pharmcheck.domain import Severity
    from tests.helpers import AS_OF

    immediate = {f.code: f for f in checker.check(["tramadol 100 mg qid"], as_of=AS_OF).findings}
    assert (
        immediate["PC101"].severity == Severity.MINOR
        and "high dose" not in immediate["PC101"].message
    )
    extended = {
        f.code: f for f in checker.check(["tramadol ER 400 mg daily"], as_of=AS_OF).findings
    }
    assert (
        extended["PC101"].severity == Severity.MODERATE
        and "a high dose" in extended["PC101"].message
    )
    assert extended["PC402"].message.startswith(
        "tramadol 400 mg/day exceeds the label maximum 300 mg/day"
    )
