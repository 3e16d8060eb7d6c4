"""Sigs as clinicians write them that were once read with a daily dose smaller or larger than
written (audit of the sig reader). Each expected value is worked out by hand: dose per
administration x administrations a day; UNKNOWN where the text does not give one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pharmcheck.inputs.sig import parse_sig

UNKNOWN = None

# text, expected daily dose in mg (UNKNOWN: None)
FREQUENCIES: list[tuple[str, float | None]] = [
    # a hyphenated frequency once read as its last word, "daily" or "weekly"
    ("gabapentin 300 mg twice-daily", 600),
    ("gabapentin 300 mg three-times-daily", 900),
    ("gabapentin 300 mg four-times-a-day", 1200),
    ("methotrexate 10 mg twice-weekly", 20 / 7),
    ("gabapentin 300 mg every-other-day", 150),
    # "thrice daily" once read as "daily"
    ("gabapentin 300 mg thrice daily", 900),
    ("gabapentin 300 mg thrice a day", 900),
    ("epoetin 3000 mg thrice weekly", 3000 * 3 / 7),
    # "3 or 4 times a day": the lower number once read as a count of the dose (3 x 50 mg)
    ("tramadol 50 mg 3 or 4 times a day", 200),
    ("tramadol 50 mg 2 or 3 times a day", 150),
    ("tramadol 50 mg 2 to 3 times a day", 150),
    ("tramadol 50 mg 2-3 times daily", 150),
    ("tramadol 50 mg two or three times a day", 150),
    ("tramadol 50 mg 2 tablets 3 or 4 times a day", 400),
    # a count before a spaced dash is no lower bound of the frequency after it
    ("tramadol 50 mg - tabs ii - three times a day", 300),
    ("tramadol 50 mg, 2 tabs - 3 times a day", 300),
]


def daily_mg(text: str) -> float | None:
    sig = parse_sig(text)
    if sig.daily is None:
        assert sig.daily_note, f"{text!r}: an unknown daily dose must say why"
        return None
    assert sig.daily.unit == "mg"
    return round(sig.daily.value, 4)


@pytest.mark.parametrize(("text", "expected"), FREQUENCIES)
def test_frequencies_as_written(text: str, expected: float | None) -> None:
    assert daily_mg(text) == (None if expected is None else round(expected, 4))


_WORDS = {
    "twice": 2,
    "two times": 2,
    "three times": 3,
    "thrice": 3,
    "four times": 4,
}


@given(
    st.sampled_from(sorted(_WORDS)),
    st.sampled_from([" ", "-"]),
    st.sampled_from(["daily", "a day", "per day"]),
    st.integers(1, 900),
)
def test_a_frequency_in_words_is_read_whether_spaced_or_hyphenated(
    times: str, joiner: str, day: str, dose: int
) -> None:
    text = f"gabapentin {dose} mg {times} {day}".replace(" ", joiner).replace(
        f"gabapentin{joiner}{dose}{joiner}mg{joiner}", f"gabapentin {dose} mg "
    )
    assert daily_mg(text) == round(dose * _WORDS[times], 4)


@given(st.integers(1, 5), st.integers(1, 5), st.sampled_from(["-", " to ", " or "]))
def test_a_range_of_times_a_day_is_read_at_its_upper_bound_never_as_a_count(
    low: int, extra: int, between: str
) -> None:
    high = low + extra
    assert daily_mg(f"tramadol 50 mg {low}{between}{high} times a day") == 50 * high


MAXIMA: list[tuple[str, float | None]] = [
    # "max 400mg daily" once read as a second part of the regimen, 400 mg a day more (1000 mg)
    ("tramadol 50-100mg q4-6h max 400mg daily", 400),
    ("tramadol 50 mg 1-2 tabs q4-6h max 8 tabs daily", 400),
    ("tramadol 50-100mg q4-6h max. 400mg/d", 400),
    # a maximum with no unit once read as mg: "max 4/day" gave 4 mg a day for 50 mg doses
    ("tramadol 50mg prn max 4/day", UNKNOWN),
    ("tramadol 50mg prn max 4 per day", UNKNOWN),
    ("tramadol 50 mg 1-2 tabs q4-6h max 8 daily", UNKNOWN),
    ("tramadol 50mg prn max 4 doses daily", 200),
    ("tramadol 50mg prn max 4x/day", 200),
]


@pytest.mark.parametrize(("text", "expected"), MAXIMA)
def test_a_stated_maximum_is_read_or_makes_the_daily_dose_unknown(
    text: str, expected: float | None
) -> None:
    assert daily_mg(text) == expected


@given(st.integers(1, 12), st.sampled_from(["/day", " per day", " a day", " daily", "/24h"]))
def test_a_maximum_without_a_unit_is_never_read_as_mg(count: int, per: str) -> None:
    sig = parse_sig(f"tramadol 50 mg prn max {count}{per}")
    assert sig.daily is None or sig.daily.value >= 50 * count


COUNTS: list[tuple[str, float | None]] = [
    # a count spelled past four once silently dropped: "six tabs daily" read as one tablet
    ("tramadol 50 mg six tabs daily", 300),
    ("tramadol 50 mg eight tablets daily", 400),
    ("paracetamol 500 mg five tablets a day", 2500),
    # "one and a half tabs" once read as half a tablet
    ("tramadol 50mg one and a half tabs bd", 150),
    ("tramadol 50mg two and a half tablets bd", 250),
    # roman numerals, as in "tab ii po bid", once silently dropped
    ("tramadol 50 mg tab ii po q6h", 400),
    ("tramadol 50 mg tabs iii tds", 450),
    ("tramadol 50 mg ii tabs tds", 300),
    ("tramadol 50mg i-ii tabs qds", 400),
    ("tramadol 50mg tab i-ii qds", 400),
    ("tramadol 50 mg cap i tds", 150),
    ("paracetamol tab 500 mg ii qds", 4000),
    ("paracetamol 500mg ii qds", 4000),
    ("tramadol tab ii po bid", UNKNOWN),  # no strength
    # a number after a form word is a count, never a dose in mg ("tab 2" once read as 2 mg)
    ("tramadol tab 2 po bid", UNKNOWN),
    ("tramadol 50 mg tabs 2 tds", 300),
    # fractions written with a slash, or a space before "½": "1 1/2" once read as 1
    ("clonazepam 1 1/2 mg bd", 3),
    ("tramadol 50mg 1 1/2 tabs bd", 150),
    ("tramadol 50mg tab 1 1/2 bd", 150),
    ("tramadol 50mg 1/2 tab bd", 50),
    ("tramadol 50mg 1 ½ tabs bd", 150),
    ("clonazepam 1/2 mg bd", 1),
    ("co-codamol 30/500 2 tabs qds", UNKNOWN),
]


@pytest.mark.parametrize(("text", "expected"), COUNTS)
def test_counts_as_written(text: str, expected: float | None) -> None:
    assert daily_mg(text) == expected


_SPELLED = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


@given(
    st.integers(1, 10),
    st.sampled_from(["tabs", "tablets", "caps", "capsules"]),
    st.booleans(),
)
def test_a_count_is_read_as_written_in_digits_or_words(count: int, form: str, words: bool) -> None:
    written = _SPELLED[count - 1] if words else str(count)
    assert daily_mg(f"tramadol 50 mg {written} {form} bd") == 100 * count


@given(st.integers(0, 3), st.sampled_from(["1/2", "1/4", "3/4", "½", "¼", "¾"]), st.booleans())
def test_a_fraction_of_a_tablet_is_never_read_smaller(whole: int, part: str, spaced: bool) -> None:
    fraction = {"1/2": 0.5, "1/4": 0.25, "3/4": 0.75, "½": 0.5, "¼": 0.25, "¾": 0.75}[part]
    written = f"{whole}{' ' if spaced or '/' in part else ''}{part}" if whole else part
    daily = daily_mg(f"tramadol 100 mg {written} tabs bd")
    assert daily is None or daily == round(200 * (whole + fraction), 4)


def test_a_product_number_is_part_of_the_name_never_a_dose() -> None:
    # "Tylenol #3" is paracetamol with codeine 30 mg: the 3 is no 3 mg dose
    assert parse_sig("Tylenol #3 1 tab q4h").name == "Tylenol #3"
    assert parse_sig("Tylenol #3").dose is None


def test_a_product_number_is_never_matched_away(checker) -> None:  # type: ignore[no-untyped-def]
    # "Tylenol #3" once resolved to paracetamol alone, its codeine unchecked
    from pharmcheck.inputs.resolve import Resolver

    resolution = Resolver(checker.kb).resolve("Tylenol #3")
    assert not resolution.resolved or "codeine" in {d for _, d in resolution.drugs}
    report = checker.check(["Tylenol #3 1 tab q4h"])
    assert report.unrecognized or "codeine" in {m.drug for m in report.medications}


def test_a_numbered_combination_named_in_full_is_its_ingredients(checker) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.inputs.resolve import Resolver

    resolution = Resolver(checker.kb).resolve("Tylenol with codeine #3")
    assert {d for _, d in resolution.drugs} == {"codeine", "paracetamol"}
    unknown = Resolver(checker.kb).resolve("Tylenol #3")
    assert not unknown.resolved and "paracetamol" in unknown.suggestions


@pytest.mark.parametrize(
    ("text", "name", "route", "daily"),
    [
        # a route or "prn" between the name and the dose once stayed in the name: not checked
        ("tramadol IV 50 mg q6h", "tramadol", "intravenous", 200),
        ("tramadol i.v. 50 mg q6h", "tramadol", "intravenous", 200),
        ("morphine sc 2.5 mg q4h prn", "morphine", "subcutaneous", 15),
        ("morphine prn 10 mg q4h", "morphine", None, 60),
        ("paracetamol PO 1g qds", "paracetamol", "oral", 4000),
        # a leading decimal point once left the dose in the name: ".5 mg" is 0.5 mg
        ("morphine .5 mg qds", "morphine", None, 2),
        ("clonazepam .25mg bd", "clonazepam", None, 0.5),
    ],
)
def test_the_name_is_the_drug_alone(text: str, name: str, route: str | None, daily: float) -> None:
    sig = parse_sig(text)
    assert (sig.name, sig.route, daily_mg(text)) == (name, route, daily)


def test_a_route_before_the_dose_is_checked_through_check(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(["tramadol IV 50 mg q6h", "morphine .5 mg qds"])
    assert not report.unrecognized
    assert {m.drug for m in report.medications} == {"tramadol", "morphine"}


TIMES: list[tuple[str, float | None]] = [
    # a dose at bedtime added to a schedule once read as part of it: "tid and hs" is 4 doses
    ("gabapentin 300 mg tid and hs", 1200),
    ("gabapentin 300 mg tds + nocte", 1200),
    ("gabapentin 300 mg tid & qhs", 1200),
    ("gabapentin 300 mg bd + nocte", 900),
    ("gabapentin 300 mg tds and at night", 1200),
    # meals: "ac and hs" (before meals and at bedtime) once read as at bedtime alone
    ("gabapentin 300 mg ac and hs", 1200),
    ("gabapentin 300 mg tid ac and hs", 1200),
    ("gabapentin 300 mg with meals and at bedtime", 1200),
    ("gabapentin 300 mg ac", 900),
    ("metformin 500 mg with breakfast and evening meal", 1000),
    ("metformin 500 mg with breakfast and dinner", 1000),
    # a time of day that says when a schedule's doses are given adds nothing
    ("gabapentin 300 mg daily at bedtime", 300),
    ("gabapentin 300 mg bd mane and nocte", 600),
    ("gabapentin 300 mg tid ac", 900),
    ("metformin 500 mg bd with meals", 1000),
    ("metformin 500 mg bd pc", 1000),
    ("valproate 500 mg mane and nocte", 1000),
    ("gabapentin 300 mg once daily with breakfast", 300),
]


@pytest.mark.parametrize(("text", "expected"), TIMES)
def test_times_of_day_and_meals(text: str, expected: float | None) -> None:
    assert daily_mg(text) == expected


@given(
    st.sampled_from([("bd", 2), ("tds", 3), ("tid", 3), ("qds", 4), ("twice daily", 2)]),
    st.sampled_from([" and ", " + ", " & ", " plus "]),
    st.sampled_from(["nocte", "at night", "hs", "qhs", "at bedtime", "on"]),
)
def test_a_night_dose_joined_to_a_schedule_is_one_more(
    schedule: tuple[str, int], joiner: str, night: str
) -> None:
    written, per_day = schedule
    assert daily_mg(f"gabapentin 100 mg {written}{joiner}{night}") == 100 * (per_day + 1)


MORE: list[tuple[str, float | None]] = [
    # "2x" after a dose once silently dropped: one dose read where two are written
    ("morphine 500 mg 2x qds", 4000),
    ("tramadol 50mg 2x tds", 300),
    # "night" alone once unread: "morning and night" read as once a day
    ("gabapentin 300 mg morning and night", 600),
    ("gabapentin 300 mg night", 300),
    ("zopiclone 7.5 mg nocte for 3 nights", 7.5),  # "3 nights" is no count of the dose
    # "2 times per week": the count of times once read as a count of the dose
    ("methotrexate 10 mg 2 times per week", 20 / 7),
    ("epoetin 3000 mg 3 times a week", 3000 * 3 / 7),
]


@pytest.mark.parametrize(("text", "expected"), MORE)
def test_more_counts_and_times(text: str, expected: float | None) -> None:
    assert daily_mg(text) == (None if expected is None else round(expected, 4))


def test_a_duration_in_nights_is_no_dose() -> None:
    assert parse_sig("paracetamol 500 mg for 3 nights").dose == parse_sig("paracetamol 500 mg").dose


RATES: list[tuple[str, float | tuple[float, str] | None]] = [
    # an hourly rate once read as a single dose in mg with the unit "assumed" (2 mg)
    ("morphine 2 mg/h sc infusion", 48),
    ("morphine 2mg/hour IV", 48),
    ("morphine 1-2 mg/hr", 48),
    ("heparin 1000 units/h", (24000, "units")),
    ("fentanyl 25 mcg/h patch", (25, "mcg/h")),  # a patch's rate, as before
    # a unit that cannot be read with what follows it once fell back to mg, "assumed"
    ("fentanyl 25 mcg/72h patch", UNKNOWN),
    ("methotrexate 12 mg/m2 weekly", UNKNOWN),
    ("noradrenaline 0.1 mcg/kg/min", UNKNOWN),
    ("propofol 2 mg/kg/h", UNKNOWN),
    # "ng": nanograms or "via NG"? A number with no other unit is not read as mg
    ("clonazepam 500 ng bd", UNKNOWN),
    ("clonazepam 0.5 mg ng bd", 1),
]


@pytest.mark.parametrize(("text", "expected"), RATES)
def test_rates_and_units_that_cannot_be_read(
    text: str, expected: float | tuple[float, str] | None
) -> None:
    sig = parse_sig(text)
    if expected is None:
        assert sig.daily is None and sig.daily_note
    else:
        value, unit = expected if isinstance(expected, tuple) else (expected, "mg")
        assert sig.daily is not None
        assert (round(sig.daily.value, 4), sig.daily.unit) == (value, unit)


@given(st.sampled_from(["mcg/72h", "mg/m2", "mg/h", "mg/kg/h", "mcg/kg/min", "ng", "mg/ml/h"]))
def test_a_unit_is_never_dropped_for_an_assumed_mg(unit: str) -> None:
    sig = parse_sig(f"morphine 5 {unit} bd")
    assert not sig.unit_assumed
    assert sig.dose is None or sig.dose.unit != "mg" or sig.dose.value != 5


WRITTEN: list[tuple[str, float | None]] = [
    # a range with the unit on both ends and no spaces once left the dose in the name
    ("tramadol 50mg-100mg qds", 400),
    ("morphine 5mg-10mg q4h", 60),
    # units as written in British and plural forms, once not read
    ("clonazepam 500 microgrammes nocte", 0.5),
    ("clonazepam 0.5 milligrammes nocte", 0.5),
    ("clonazepam 500 mcgs nocte", 0.5),
    ("clonazepam 0.5 mgs bd", 1),
    # a decimal point written as a middle dot (as in the BNF), a multiplication sign
    ("clonazepam 0·5 mg bd", 1),
    ("tramadol 2×50mg qds", 400),
    ("tramadol 50mg ×2 qds", 400),
]


@pytest.mark.parametrize(("text", "expected"), WRITTEN)
def test_numbers_and_units_as_written(text: str, expected: float | None) -> None:
    assert daily_mg(text) == expected


@pytest.mark.parametrize(
    ("text", "drugs"),
    [
        # a second drug written with no separator once vanished, its dose added to the first's
        ("gabapentin 300 mg tds clonazepam 0.5 mg bd", {"gabapentin": 900, "clonazepam": 1}),
        ("gabapentin 300 mg tds then tramadol 50 mg qds", {"gabapentin": 900, "tramadol": 200}),
        ("gabapentin 300 mg tds plus tramadol 50 mg qds", {"gabapentin": 900, "tramadol": 200}),
        ("gabapentin 300 mg tds / clonazepam 0.5 mg bd", {"gabapentin": 900, "clonazepam": 1}),
        ("codeine 30 mg/paracetamol 500 mg 2 tabs qds", {"codeine": None, "paracetamol": 4000}),
    ],
)
def test_a_second_drug_with_no_separator_is_its_own_item(checker, text: str, drugs) -> None:  # type: ignore[no-untyped-def]
    report = checker.check([text])
    read = {
        m.drug: (None if m.daily_dose is None else round(m.daily_dose.value, 4))
        for m in report.medications
    }
    assert read == drugs


@pytest.mark.parametrize(
    "text",
    [
        "gabapentin 300 mg tds for neuropathic pain",
        "paracetamol 1 g qds with food",
        "levetiracetam 500 mg bd, then review",
        "metformin 500 mg tablets, take two tablets PO BID",
        "Tylenol with codeine 1 tab q4h",
        "paracetamol 1 g qds do not take with alcohol",
        "insulin glargine 20 units nocte adjust per glucose 4-8",
    ],
)
def test_free_text_after_a_sig_stays_with_it(checker, text: str) -> None:  # type: ignore[no-untyped-def]
    report = checker.check([text])
    assert not report.unrecognized
    assert {m.input for m in report.medications} == {text}


def test_a_sig_on_its_own_line_is_read_with_the_drug_above_it() -> None:
    from pharmcheck.inputs.pasted import CONTINUATION, read_pasted

    # "nocte" alone, under "Lithium 400 mg", was a medication of its own (not checked) and the
    # lithium's daily dose unknown; "Sig: 1 tab q4h prn" under "Oxycodone 5mg PRN" likewise
    lines = read_pasted("Lithium 400 mg\nnocte\nOxycodone 5mg PRN\n   Sig: 1 tab q4h prn\n")
    assert [line.kind for line in lines][1::2] == [CONTINUATION, CONTINUATION]
    lithium, oxycodone = (line.medication for line in lines[0::2])
    assert lithium is not None and oxycodone is not None
    assert parse_sig(lithium.name).daily == parse_sig("lithium 400 mg nocte").daily
    assert daily_mg(oxycodone.name) == 30


def test_a_line_with_its_own_schedule_is_not_read_with_the_drug_above_it() -> None:
    from pharmcheck.inputs.pasted import MEDICATION, read_pasted

    lines = read_pasted("Lithium 400 mg bd\nnocte\n")
    assert [line.kind for line in lines] == [MEDICATION, MEDICATION]


SCHEDULES: list[tuple[str, float | None]] = [
    # "1-0-1" (morning-midday-evening counts) once silently dropped beside "daily": one dose
    ("gabapentin 300 mg 1-0-1 daily", 600),
    ("gabapentin 300 mg 1-1-1 per day", 900),
    ("gabapentin 300 mg 1-0-1", 600),
    ("gabapentin 300 mg 2-0-2", 1200),
    ("gabapentin 300 mg 1-1-1-1", 1200),
    ("gabapentin 300 mg 0.5-0-1", 450),
    ("gabapentin 300 mg 8-12-20", UNKNOWN),  # clock hours, not counts: not read
    # "6-hourly", "6hrly", "q6hrly": once no frequency at all
    ("gabapentin 300 mg 6-hourly", 1200),
    ("gabapentin 300 mg 6hrly", 1200),
    ("gabapentin 300 mg 6 hrly", 1200),
    ("gabapentin 300 mg q6hrly", 1200),
    ("morphine 10 mg 4-6hrly prn", 60),
    ("gabapentin 300 mg bds", 600),
]


@pytest.mark.parametrize(("text", "expected"), SCHEDULES)
def test_schedules_as_written(text: str, expected: float | None) -> None:
    assert daily_mg(text) == expected


@pytest.mark.parametrize(
    ("frequency", "daily"),
    [
        # a maximum written in the frequency field was ignored: the schedule, 300 mg, was read
        ("q4h prn max 100 mg/day", 100),
        ("every 4 hours as needed, not to exceed 2 doses a day", 100),
        ("q4h prn max 4/day", None),  # no unit: not read, so no daily dose to trust
        ("q4h prn", 300),
    ],
)
def test_a_maximum_in_the_frequency_field_is_read(checker, frequency: str, daily) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.domain import Medication

    report = checker.check([Medication("tramadol", dose="50 mg", frequency=frequency)])
    (medication,) = report.medications
    read = medication.daily_dose
    assert (None if read is None else round(read.value, 4)) == daily
    if read is None:
        assert "no unit" in (medication.daily_dose_note or "")


@pytest.mark.parametrize(
    ("dose", "frequency", "daily"),
    [
        # a daily amount in the dose field was read as a single dose: 400 mg/day qds gave 1600
        ("400 mg/day", "qds", 400),
        ("400 mg/day", None, 400),
        ("0.4 g per day", None, 400),
        # a count of a strength in the dose field stopped the whole check (InputError)
        ("2 x 50 mg", "qds", 400),
        ("50mg x2", "qds", 400),
        ("100 mg", "qds", 400),
    ],
)
def test_the_dose_field_as_written(checker, dose: str, frequency: str | None, daily: float) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.domain import Medication

    report = checker.check([Medication("tramadol", dose=dose, frequency=frequency)])
    (medication,) = report.medications
    assert medication.daily_dose is not None
    assert round(medication.daily_dose.value, 4) == daily


def test_a_history_daily_dose_per_day_is_the_same_daily_dose() -> None:
    from pharmcheck.domain import Quantity
    from pharmcheck.inputs.document import medication_from_data

    history = [{"date": "2026-01-01", "daily_dose": "400 mg/day"}]
    med = medication_from_data({"name": "tramadol", "history": history}, 1)
    assert med.history[0].daily_dose == Quantity(400, "mg")


SPELLED: list[tuple[str, float | None]] = [
    # a count in words with no form after it once dropped: "two to be taken" read as one
    ("paracetamol 500mg tablets: two to be taken four times daily", 4000),
    ("paracetamol 500 mg take two four times a day", 4000),
    ("gabapentin 300 mg capsules, three at night", 900),
    # and never a dose in mg on its own, nor a duration
    ("sertraline take one daily", UNKNOWN),
    ("gabapentin 300 mg tds for two weeks", 900),
    ("gabapentin 300 mg one dose", 300),
]


@pytest.mark.parametrize(("text", "expected"), SPELLED)
def test_a_count_in_words_on_its_own(text: str, expected: float | None) -> None:
    assert daily_mg(text) == expected


@given(
    st.sampled_from(["mcg", "mcgs", "micrograms", "microgram", "microgrammes", "ug", "µg"]),
    st.sampled_from(["/h", "/hr", "/hrs", "/hour", " per hour", " / h", "/ hr", " per hr"]),
    st.sampled_from(["", " patch", " patch every 72 hours", " transdermal patch q72h"]),
)
def test_a_patch_rate_is_read_however_it_is_written(unit: str, per: str, tail: str) -> None:
    # "fentanyl 25 mcg per hour patch every 72 hours" was read as 0.025 mg every 72 hours:
    # 0.008 mg a day
    sig = parse_sig(f"fentanyl 25 {unit}{per}{tail}")
    assert sig.daily is not None
    assert (sig.daily.value, sig.daily.unit) == (25, "mcg/h")


@pytest.mark.parametrize("dash", ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212"])
def test_a_dash_as_a_word_processor_writes_it_is_a_hyphen(dash: str) -> None:
    # "3–4 times a day" (an en dash) once read the 3 as a count of the dose: 600 mg for 200
    assert daily_mg(f"tramadol 50 mg 3{dash}4 times a day") == 200
    assert daily_mg(f"morphine 5{dash}10 mg q4{dash}6h") == 60
    assert daily_mg(f"gabapentin 300 mg 1{dash}0{dash}1") == 600


DOSES: list[tuple[str, float | None]] = [
    # "2 doses" (of an inhaler, of a strength) once blanked out as "in 2 doses": one read
    ("salbutamol 100 mcg 2 doses qid", 0.8),
    ("salbutamol 100 micrograms/dose 2 doses four times a day", 0.8),
    ("gabapentin 300 mg 2 doses tds", 1800),
    ("salbutamol 2 doses qid", UNKNOWN),  # no strength
    # a daily amount divided into doses is still that daily amount
    ("levetiracetam 1000 mg daily in 2 divided doses", 1000),
    ("levetiracetam 1000 mg daily in 2 doses", 1000),
    ("levetiracetam 1000 mg/day as 2 doses", 1000),
    ("paracetamol 1 g q6h prn max 4 doses a day", 4000),
    ("paracetamol 1 g prn not to exceed 4 doses in 24 hours", 4000),
]


@pytest.mark.parametrize(("text", "expected"), DOSES)
def test_a_number_of_doses(text: str, expected: float | None) -> None:
    assert daily_mg(text) == expected


@pytest.mark.parametrize(
    ("weight", "daily"),
    [
        # a maximum in mg beside a dose per kg was read as the daily dose whatever the weight:
        # 4000 mg/day for a 20 kg child on 15 mg/kg qds (1200 mg)
        (20, 1200),
        (80, 4000),  # 60 mg/kg x 80 kg is 4800: the stated maximum caps it
        (None, None),
    ],
)
def test_a_maximum_in_mg_caps_a_dose_per_kg_once_weighed(checker, weight, daily) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.domain import Patient

    report = checker.check(
        ["paracetamol 15mg/kg qds max 4 g/day"], patient=Patient(weight_kg=weight)
    )
    (medication,) = report.medications
    read = medication.daily_dose
    assert (None if read is None else round(read.value, 4)) == daily


_DOSES = {"50 mg": 50, "50mg": 50, "0.05 g": 50, "50000 mcg": 50, "50 milligrams": 50}
_COUNTS = {
    "": 1,
    "1 tab": 1,
    "2 tabs": 2,
    "two tablets": 2,
    "1-2 tabs": 2,
    "x2": 2,
    "2x": 2,
    "tab ii": 2,
    "½ tab": 0.5,
    "1 1/2 tabs": 1.5,
    "three tablets": 3,
    "six tabs": 6,
}
_FREQUENCIES = {
    "od": 1,
    "bd": 2,
    "twice-daily": 2,
    "tds": 3,
    "thrice daily": 3,
    "3 or 4 times a day": 4,
    "qds": 4,
    "6-hourly": 4,
    "q4-6h": 6,
    "mane and nocte": 2,
    "tid and hs": 4,
    "1-0-1": 2,
    "every other day": 0.5,
}


@given(
    st.sampled_from(sorted(_DOSES)),
    st.sampled_from(sorted(_COUNTS)),
    st.sampled_from(sorted(_FREQUENCIES)),
    st.sampled_from(["", " po", " with food", " for 7 days", " regularly"]),
)
def test_a_dose_a_count_and_a_frequency_are_read_as_written_or_not_at_all(
    dose: str, count: str, frequency: str, tail: str
) -> None:
    """Correct or unknown, never wrong: the daily dose is the dose x the count x the doses a
    day, however each is written."""
    text = f"tramadol {dose} {count} {frequency}{tail}".replace("  ", " ")
    expected = _DOSES[dose] * _COUNTS[count] * _FREQUENCIES[frequency]
    read = daily_mg(text)
    assert read is None or read == round(expected, 4), f"{text!r}: {read} for {expected}"


@pytest.mark.parametrize(
    ("text", "name", "daily"),
    [
        # an instruction before the dose was taken for the drug's name: "take", not checked
        ("take 2 tablets of paracetamol 500 mg four times a day", "paracetamol", 4000),
        ("give 10 mL Oramorph 10 mg/5 mL every 4 hours", "Oramorph", 120),
        ("10 mL Oramorph 10 mg/5 mL every 4 to 6 hours", "Oramorph", 120),
    ],
)
def test_an_instruction_before_the_dose_is_not_the_name(text: str, name: str, daily: float) -> None:
    sig = parse_sig(text)
    assert (sig.name, daily_mg(text)) == (name, daily)
