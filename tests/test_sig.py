"""Sig strings as written on wards."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pharmcheck.inputs.sig import daily_dose, parse_sig

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
    ("epoetin 3000 units three times weekly", "epoetin", 3000, "units", "three times weekly", 1285.714),
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
        "interval every 4-6 hours: screened at the shortest interval, q4h")
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
