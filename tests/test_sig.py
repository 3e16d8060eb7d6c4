"""Sig strings as written on wards."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pharmcheck.domain import Quantity
from pharmcheck.inputs.sig import daily_dose, parse_frequency, parse_sig

CASES = [
    # text, name, dose value, dose unit, frequency label, daily dose value (None = unknown)
    ("Neurontin 600 tid", "Neurontin", 600, "mg", "tid", 1800),
    ("Demerol 75 mg IM q3h", "Demerol", 75, "mg", "q3h", 600),
    ("Lexapro 10", "Lexapro", 10, "mg", None, None),
    ("Zyvox 600 bd", "Zyvox", 600, "mg", "bid", 1200),
    ("Nootropyl 2.4g tds", "Nootropyl", 2400, "mg", "tid", 7200),
    ("fentanyl 25 mcg/h patch", "fentanyl", 25, "mcg/h", None, 25),
    ("clonazepam 500 micrograms nocte", "clonazepam", 0.5, "mg", "nocte", 0.5),
    ("levetiracetam 1g BD", "levetiracetam", 1000, "mg", "bid", 2000),
    ("morphine 10mg PO q4h prn max 60 mg/day", "morphine", 10, "mg", "q4h", 60),
    ("oxycodone 5 mg prn", "oxycodone", 5, "mg", "prn", None),
    ("valproate 500 mg twice daily", "valproate", 500, "mg", "bid", 1000),
    ("lithium carbonate 400 mg nocte", "lithium carbonate", 400, "mg", "nocte", 400),
    ("tramadol", "tramadol", None, None, None, None),
    ("5-hydroxytryptophan 100 mg tid", "5-hydroxytryptophan", 100, "mg", "tid", 300),
    ("Oramorph 10 mL (10 mg/5 mL) q4h", "Oramorph", 20, "mg", "q4h", 120),
    ("etomidate 20 mg iv stat", "etomidate", 20, "mg", "once", 20),
    ("alendronate 70 mg weekly", "alendronate", 70, "mg", "weekly", 10),
    ("co-codamol 30/500 2 qds", "co-codamol", None, None, "qid", None),
    # "5 times daily" once read as "daily": aciclovir 800 mg came out as 800 mg/day instead of 4000
    ("aciclovir 800 mg 5 times daily", "aciclovir", 800, "mg", "5 times a day", 4000),
    ("aciclovir 800 mg five times a day", "aciclovir", 800, "mg", "5 times a day", 4000),
    ("aciclovir 800 mg Five times daily", "aciclovir", 800, "mg", "5 times a day", 4000),
    # "three times weekly" and "twice weekly" once read as weekly
    ("methotrexate 10 mg twice weekly", "methotrexate", 10, "mg", "twice weekly", 2.857),
    (
        "epoetin 3000 units three times weekly",
        "epoetin",
        3000,
        "units",
        "three times weekly",
        1285.714,
    ),
    # an interval spelled out once read as no frequency at all
    ("gabapentin 300 mg every eight hours", "gabapentin", 300, "mg", "q8h", 900),
    ("morphine 10 mg four hourly", "morphine", 10, "mg", "q4h", 60),
    ("ciprofloxacin 400 mg every ten hours", "ciprofloxacin", 400, "mg", "q10h", 960),
    # an interval range once read as a dose range (6 mg, and "morphine 10 mg every" not recognised);
    # it is screened at the shortest interval, the most doses a day
    ("morphine 10 mg every 4-6 hours", "morphine", 10, "mg", "q4-6h", 60),
    ("morphine 10 mg every 4 to 6 hours", "morphine", 10, "mg", "q4-6h", 60),
    ("oxycodone 5 mg 4-6 hourly", "oxycodone", 5, "mg", "q4-6h", 30),
    ("morphine 5-10 mg q4-6h", "morphine", 10, "mg", "q4-6h", 60),
    ("morphine every 4-6 hours", "morphine", None, None, "q4-6h", None),
    # prn with a schedule and no stated maximum: counted at the scheduled maximum, 6 doses a day
    ("morphine 10 mg q4-6h prn", "morphine", 10, "mg", "q4-6h", 60),
    ("10 mL Oramorph 10 mg/5 mL every 4 to 6 hours", "Oramorph", 20, "mg", "q4-6h", 120),
    ("morphine 10 mg every 6-4 hours", "morphine", 10, "mg", None, None),
]


def test_an_interval_range_says_how_it_was_read() -> None:
    assert parse_sig("morphine 5-10 mg every 4-6 hours").note == (
        "dose range 5-10 mg: screened at the upper bound; "
        "interval every 4-6 hours: screened at the shortest interval, q4h"
    )
    assert parse_sig("morphine 10 mg q4h").note is None


@pytest.mark.parametrize(("text", "name", "value", "unit", "freq", "daily"), CASES)
def test_sig_table(text, name, value, unit, freq, daily) -> None:  # type: ignore[no-untyped-def]
    sig = parse_sig(text)
    assert sig.name == name
    assert (sig.dose.value if sig.dose else None) == value
    assert (sig.dose.unit if sig.dose else None) == unit
    assert (sig.frequency.label if sig.frequency else None) == freq
    total, note = daily_dose(sig.dose, sig.frequency, sig.prn_max, sig.prn_max_doses)
    assert (round(total.value, 3) if total else None) == daily
    if total is None:
        assert note  # an unknown dose always says why


def test_bare_number_is_read_as_mg_and_flagged() -> None:
    assert parse_sig("Lexapro 10").unit_assumed
    assert not parse_sig("Lexapro 10 mg").unit_assumed


@given(st.text(max_size=200))
def test_sig_parser_never_crashes(text: str) -> None:
    sig = parse_sig(text)
    daily_dose(sig.dose, sig.frequency, sig.prn_max, sig.prn_max_doses)


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd", "No", "Nl")), max_size=100))
def test_sig_parser_never_invents_a_dose(text: str) -> None:
    # Text without any digit (even after unicode normalisation) states no dose.
    assume(not any(c.isdigit() for c in unicodedata.normalize("NFKC", text)))
    sig = parse_sig(text)
    assert sig.dose is None and sig.prn_max is None
    assert daily_dose(sig.dose, sig.frequency, sig.prn_max, sig.prn_max_doses)[0] is None


# --- sigs that must be read correctly, or reported as not understood ---------------------------


def _daily(text: str) -> tuple[float, str] | None:
    sig = parse_sig(text)
    return (round(sig.daily.value, 3), sig.daily.unit) if sig.daily else None


def test_a_thousands_separator_is_not_a_decimal_point() -> None:
    assert _daily("gabapentin 1,200 mg tid") == (3600, "mg")
    assert _daily("heparin 5,000 units bd") == (10000, "units")
    assert _daily("clonazepam 0,5 mg bd") == (1, "mg")  # a decimal comma
    assert _daily("haloperidol 1,5 mg nocte") == (1.5, "mg")


@pytest.mark.parametrize(
    "text",
    [
        "gabapentin 1.200 mg tid",
        "gabapentin 1 200 mg tid",
        "gabapentin 1,2000 mg tid",
        "gabapentin 1.500 mg bd",
    ],
)
def test_an_ambiguous_number_is_not_read(text: str) -> None:
    sig = parse_sig(text)
    assert sig.daily is None and sig.dose is None
    assert sig.daily_note is not None and "cannot be read" in sig.daily_note


def test_gabapentin_1200_tid_is_3600_a_day_through_check_and_the_cli(checker) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from pharmcheck.cli import cli
    from pharmcheck.domain import Patient

    report = checker.check(["gabapentin 1,200 mg tid"], Patient(crcl=20))
    assert str(report.medications[0].daily_dose) == "3600 mg"
    result = CliRunner().invoke(
        cli, ["check", "gabapentin 1,200 mg tid", "--crcl", "20", "--format", "json"]
    )
    assert '"value": 3600' in result.output


def test_a_count_without_a_strength_is_unknown_and_says_so() -> None:
    sig = parse_sig("tramadol 1-2 tabs qid")
    assert sig.daily is None
    assert sig.daily_note == "1-2 tabs with no strength given: daily dose unknown"


@pytest.mark.parametrize(
    ("text", "daily"),
    [
        ("tramadol 50mg 2 tabs qid", 400),
        ("tramadol 2 x 50 mg qid", 400),
        ("tramadol 1-2 tabs of 50 mg qid", 400),
        ("tramadol 50 mg tablets, 1-2 tabs qid", 400),
        ("gabapentin take 2 capsules (600 mg) at bedtime", 600),
    ],
)
def test_a_count_with_a_strength(text: str, daily: float) -> None:
    assert _daily(text) == (daily, "mg")


@pytest.mark.parametrize(
    "text",
    [
        "morphine 10 mg/5 mL 10 mL q4h",
        "morphine 10 mL of 10 mg/5 mL q4h",
        "morphine 10 mL (10 mg/5 mL) q4h",
    ],
)
def test_a_liquid_is_its_volume_times_its_concentration(text: str) -> None:
    sig = parse_sig(text)
    assert sig.dose == Quantity(20, "mg") and not sig.unit_assumed  # never "no unit given"
    assert _daily(text) == (120, "mg")


def test_a_regimen_in_parts_is_summed_and_says_how(checker) -> None:  # type: ignore[no-untyped-def]
    sig = parse_sig("gabapentin 300mg bd + 600mg nocte")
    assert _daily("gabapentin 300mg bd + 600mg nocte") == (1200, "mg")
    assert sig.daily_note == "regimen in parts, summed: 300 mg bid + 600 mg nocte = 1200 mg a day"
    assert _daily("quetiapine 100 mg mane 200 mg nocte") == (300, "mg")
    assert _daily("valproate 500 mg mane and nocte") == (1000, "mg")
    med = checker.check(["gabapentin 300mg bd + 600mg nocte"]).medications
    assert [(m.drug, str(m.daily_dose)) for m in med] == [
        ("gabapentin", "1200 mg")
    ]  # one drug, not two


def test_a_part_without_a_frequency_makes_the_total_unknown() -> None:
    assert _daily("gabapentin 300 mg bd + 600 mg") is None
    assert _daily("gabapentin 300 mg and 200 mg at night") is None


def test_a_dose_per_kg_needs_the_weight(checker) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.domain import Medication, Patient

    unknown = checker.check(["valproate 20 mg/kg/day"]).medications[0]
    assert unknown.daily_dose is None and "weight is needed" in (unknown.daily_dose_note or "")
    weighed = checker.check(["valproate 20 mg/kg/day"], Patient(weight_kg=25)).medications[0]
    assert weighed.daily_dose == Quantity(500, "mg")
    per_dose = checker.check(["levetiracetam 10 mg/kg bd"], Patient(weight_kg=30)).medications[0]
    assert (per_dose.dose, per_dose.daily_dose) == (Quantity(300, "mg"), Quantity(600, "mg"))
    fields = checker.check(
        [Medication("valproate", dose="20 mg/kg/day")], Patient(weight_kg=25)
    ).medications[0]
    assert fields.daily_dose == Quantity(500, "mg")


@pytest.mark.parametrize(
    ("written", "label", "per_day"),
    [
        ("b.i.d.", "bid", 2),
        ("t.d.s.", "tid", 3),
        ("t.i.d.", "tid", 3),
        ("q.i.d.", "qid", 4),
        ("q.4.h.", "q4h", 6),
        ("q 12 h", "q12h", 2),
        ("q12", "q12h", 2),
        ("q.d.", "daily", 1),
        ("o.d.", "daily", 1),
        ("q.h.s.", "nocte", 1),
        ("two times a day", "bid", 2),
        ("fid", "5 times a day", 5),
        ("mane and nocte", "mane + nocte", 2),
    ],
)
def test_dotted_and_spaced_abbreviations(written: str, label: str, per_day: float) -> None:
    frequency = parse_frequency(written)
    assert frequency is not None and (frequency.label, frequency.per_day) == (label, per_day)
    assert _daily(f"haloperidol 1 mg {written}") == (per_day, "mg")


def test_q2_days_is_not_every_2_hours() -> None:
    assert parse_frequency("q2 days") is None


def test_a_scheduled_prn_is_counted_at_its_schedule_and_says_so() -> None:
    sig = parse_sig("tramadol 50 mg qid prn")
    assert _daily("tramadol 50 mg qid prn") == (200, "mg")
    assert sig.daily_note == "prn, counted at its scheduled maximum, qid"
    assert _daily("tramadol 50 mg prn") is None  # no schedule, no maximum


# --- one string, one drug --------------------------------------------------------------------


def _read(checker, text: str):  # type: ignore[no-untyped-def]
    report = checker.check([text])
    return (
        [(m.drug, str(m.daily_dose) if m.daily_dose else None) for m in report.medications],
        report.unrecognized,
    )


@pytest.mark.parametrize(
    "text",
    [
        "sertraline 100 mg, tramadol 50 mg qid",
        "sertraline 100 mg; tramadol 50 mg qid",
        "sertraline 100 mg\ntramadol 50 mg qid",
        "sertraline 100 mg + tramadol 50 mg qid",
        "sertraline 100 mg & tramadol 50 mg qid",
        "sertraline 100 mg and tramadol 50 mg qid",
    ],
)
def test_a_second_drug_is_a_second_medication_with_its_own_frequency(checker, text: str) -> None:  # type: ignore[no-untyped-def]
    meds, unrecognized = _read(checker, text)
    assert meds == [
        ("sertraline", None),
        ("tramadol", "200 mg"),
    ]  # the qid belongs to tramadol only
    assert not unrecognized


def test_both_drugs_keep_their_own_schedules(checker) -> None:  # type: ignore[no-untyped-def]
    meds, _ = _read(checker, "sertraline 100 mg daily and tramadol 50 mg qid")
    assert meds == [("sertraline", "100 mg"), ("tramadol", "200 mg")]
    meds, _ = _read(checker, "Neurontin 600 tid, Zoloft 50 mg daily, co-codamol 30/500 2 tabs qds")
    assert [drug for drug, _ in meds] == ["gabapentin", "sertraline", "codeine", "paracetamol"]


def test_text_after_a_separator_that_names_no_known_drug_is_not_checked(checker) -> None:  # type: ignore[no-untyped-def]
    meds, unrecognized = _read(checker, "sertraline 100 mg daily, xyzzyzol 50 mg qid")
    assert meds == [("sertraline", "100 mg")]
    assert [u.input for u in unrecognized] == ["xyzzyzol 50 mg qid"]
    assert "not checked" in unrecognized[0].reason


@pytest.mark.parametrize(
    "text",
    [
        "gabapentin 300mg bd + 600mg nocte",
        "co-codamol 30/500 2 tabs qds",
        "paracetamol and codeine",
        "Percocet 1 tab q6h",
        "paracetamol 1 g qds, max 4 g a day",
        "levetiracetam 500 mg bd, then review",
        "morphine 10 mg q4h, prn",
        "metformin 500 mg tablets, take two tablets PO BID",
    ],
)
def test_one_drug_with_separators_stays_one_item(checker, text: str) -> None:  # type: ignore[no-untyped-def]
    report = checker.check([text])
    assert not report.unrecognized
    assert {m.input for m in report.medications} == {text}


def test_text_naming_no_known_drug_is_reported_whole(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(["'); DROP TABLE drugs;--"])
    assert [u.input for u in report.unrecognized] == ["'); DROP TABLE drugs;--"]


def test_dose_fields_are_not_attributed_to_one_of_several_drugs(checker) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.domain import Medication

    report = checker.check([Medication("sertraline 100 mg, tramadol 50 mg", frequency="qid")])
    assert [(m.drug, m.daily_dose) for m in report.medications] == [
        ("sertraline", None),
        ("tramadol", None),
    ]
    assert any("not attributed" in note for note in report.notes)


def test_batch_reads_doses_per_kg_and_several_drugs_as_check_does(checker) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    from pharmcheck.batch import screen
    from pharmcheck.domain import Medication, Patient

    names = [
        "valproate 20 mg/kg/day",
        "levetiracetam 30 mg/kg bd",
        "sertraline 100 mg, tramadol 50 mg qid",
        "gabapentin 1,200 mg tid",
    ]
    weights = {"a": 25.0, "b": 60.0, "c": None}
    meds = pd.DataFrame([(p, n) for p in weights for n in names], columns=["patient_id", "name"])
    patients = pd.DataFrame(
        [(p, "" if w is None else str(w), "20") for p, w in weights.items()],
        columns=["patient_id", "weight_kg", "crcl"],
    )
    out = screen(meds, patients, runner=checker).findings
    for pid, weight in weights.items():
        report = checker.check(
            [Medication(n) for n in names], Patient(id=pid, weight_kg=weight, crcl=20)
        )
        batch = out[
            (out["patient_id"] == pid) & ~out["category"].isin(["unrecognized", "rejected-row"])
        ]
        assert list(batch["message"]) == [f.message for f in report.findings]


def test_a_second_drug_whose_name_starts_with_a_digit_is_not_read_as_a_dose(checker) -> None:  # type: ignore[no-untyped-def]
    meds, unrecognized = _read(checker, "sertraline 100 mg daily, 5-hydroxytryptophan 100 mg tid")
    assert meds == [("sertraline", "100 mg"), ("oxitriptan", "300 mg")]  # 5-HTP, by its INN
    assert not unrecognized
