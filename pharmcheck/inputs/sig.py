"""Parsing sig strings as people write them: "Neurontin 600 tid", "Demerol 75 mg IM q3h".

The parser never guesses. It reads a dose only where a number stands as a dose,
a frequency only from a recognised abbreviation, and computes a daily dose only
when both are known; otherwise the daily dose is None and ``note`` says why.
A bare number with no unit ("Lexapro 10") is read as mg, as it is written on
wards, and flagged with ``unit_assumed``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pharmcheck.domain import Quantity

_MASS_TO_MG = {"mg": 1.0, "g": 1000.0, "mcg": 0.001}
_UNIT_ALIASES = {
    "mg": "mg", "milligram": "mg", "milligrams": "mg", "g": "g", "gm": "g", "gram": "g", "grams": "g",
    "mcg": "mcg", "ug": "mcg", "microgram": "mcg", "micrograms": "mcg",
    "ml": "mL", "mmol": "mmol", "unit": "units", "units": "units", "iu": "units", "mg/kg": "mg/kg",
    "mcg/h": "mcg/h", "mcg/hr": "mcg/h", "mcg/hour": "mcg/h", "ug/h": "mcg/h", "ug/hr": "mcg/h",
    "micrograms/hour": "mcg/h", "microgram/hour": "mcg/h", "micrograms/h": "mcg/h",
}
_UNIT = r"(?:mcg/h(?:r|our)?|ug/h(?:r)?|micrograms?/h(?:our)?|mg/kg|milligrams?|micrograms?|grams?|gm|mg|mcg|ug|g|ml|mmol|units?|iu)"
_NUMBER = r"\d+(?:[.,]\d+)?"
_DOSE = re.compile(rf"(?<![\w.\-/])(?P<num>{_NUMBER})\s*(?P<unit>{_UNIT})?(?![\w\-/])", re.IGNORECASE)
_DOSE_RANGE = re.compile(rf"(?<![\w.\-/])(?P<low>{_NUMBER})\s*-\s*(?P<num>{_NUMBER})\s*(?P<unit>{_UNIT})?(?![\w\-/])", re.I)
_STRENGTH = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s*/\s*\d+(?:\.\d+)?(?:\s*mg)?(?![\w])", re.IGNORECASE)
_CONCENTRATION = re.compile(
    rf"(?P<mass>{_NUMBER})\s*(?P<unit>mg|g|mcg|ug)\s*(?:/|per|in)\s*(?P<vol>{_NUMBER})?\s*ml", re.IGNORECASE
)

_PER_DAY_WORDS: list[tuple[re.Pattern[str], str, float]] = [
    (re.compile(p, re.IGNORECASE), label, per_day)
    for p, label, per_day in [
        (r"\b(?:qds|qid|four times (?:a |per )?da(?:y|ily)|4 ?x ?(?:/|a |per )?day|x ?4)\b", "qid", 4),
        (r"\b(?:tds|tid|three times (?:a |per )?da(?:y|ily)|3 ?x ?(?:/|a |per )?day|x ?3)\b", "tid", 3),
        (r"\b(?:bd|bid|twice (?:a |per )?da(?:y|ily)|2 ?x ?(?:/|a |per )?day|x ?2|q12h)\b", "bid", 2),
        (r"\b(?:every other day|alternate days|qod|eod)\b", "every other day", 0.5),
        # before "weekly": "three times weekly" once read as weekly, a third of the dose
        (r"\b(?:three times (?:a |per )?week(?:ly)?|3 ?x ?(?:/|a |per )?week|tiw)\b", "three times weekly", 3 / 7),
        (r"\b(?:twice (?:a |per )?week(?:ly)?|2 ?x ?(?:/|a |per )?week|biw)\b", "twice weekly", 2 / 7),
        (r"\b(?:once weekly|weekly|qw|q1w|qwk|every week|once a week)\b", "weekly", 1 / 7),
        (r"\b(?:nocte|qhs|hs|at night|at bedtime|on)\b", "nocte", 1),
        (r"\b(?:od|qd|daily|once daily|once a day|mane|om|qam|qpm|q24h|every morning|each morning)\b", "daily", 1),
    ]
]
_EVERY_N_HOURS = re.compile(r"\b(?:q\s?(\d+)\s?h(?:rs?|ours?)?|every (\d+) ?h(?:rs?|ours?)?|(\d+) ?hourly)\b", re.I)
# "every 4-6 hours", "q4-6h", "4 to 6 hourly": an interval range, never a dose range
_HOUR_RANGE = re.compile(r"\b(?:(?:every|q)\s?(\d+)\s?(?:-|to)\s?(\d+)\s?h(?:rs?|ours?)?|(\d+)\s?(?:-|to)\s?(\d+)\s?hourly)\b",
                         re.IGNORECASE)
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                 "ten": 10, "eleven": 11, "twelve": 12, "twenty-four": 24, "twenty four": 24}
# "every eight hours", "four hourly": the interval spelled out, read as its digits
_SPELLED_HOURS = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")(?=\s?(?:h(?:rs?|ours?)|hourly)\b)", re.I)
# "5 times daily", "five times a day" (one to four spelled out have their own words: daily, bid, tid, qid)
_TIMES_A_DAY = re.compile(r"\b(\d+|" + "|".join(w for w, n in _NUMBER_WORDS.items() if 5 <= n <= 12)
                          + r") ?(?:times|x) ?(?:(?:a |per |/ ?)?day|daily)\b", re.IGNORECASE)
_ONCE = re.compile(r"\b(?:stat|once|single dose|one dose|x ?1)\b", re.IGNORECASE)
_PRN = re.compile(r"\b(?:prn|p\.r\.n\.?|as needed|as required|when required|if needed)\b", re.IGNORECASE)
_PRN_MAX = re.compile(
    rf"\bmax(?:imum)?\.?\s*(?:of\s*)?(?P<num>{_NUMBER})\s*(?P<unit>{_UNIT})?\s*"
    r"(?P<per>doses?|times|x)?\s*(?:/|per|in|a)\s*(?:day|24 ?h(?:ours?)?|daily)",
    re.IGNORECASE,
)
_ROUTES = {
    "po": "oral", "oral": "oral", "orally": "oral", "by mouth": "oral", "iv": "intravenous",
    "intravenous": "intravenous", "im": "intramuscular", "intramuscular": "intramuscular",
    "sc": "subcutaneous", "sq": "subcutaneous", "subcut": "subcutaneous", "subcutaneous": "subcutaneous",
    "sl": "sublingual", "sublingual": "sublingual", "pr": "rectal", "rectal": "rectal",
    "td": "transdermal", "patch": "transdermal", "transdermal": "transdermal", "top": "topical",
    "topical": "topical", "inh": "inhaled", "inhaled": "inhaled", "neb": "inhaled", "ng": "enteral",
    "peg": "enteral", "it": "intrathecal", "intrathecal": "intrathecal", "buccal": "buccal",
}
_ROUTE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _ROUTES), key=len, reverse=True)) + r")\b", re.I)

_CACHED = 1 << 16  # distinct texts; results are frozen values, safe to share


@dataclass(frozen=True)
class Frequency:
    label: str
    per_day: float | None  # None for a one-off dose
    prn: bool = False


@dataclass(frozen=True)
class Sig:
    """What a sig string says. Fields that the text does not state are None."""

    name: str
    dose: Quantity | None = None
    unit_assumed: bool = False
    frequency: Frequency | None = None
    prn: bool = False
    prn_max: Quantity | None = None
    prn_max_doses: float | None = None
    route: str | None = None
    strength: str | None = None
    note: str | None = None


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("µ", "u").replace("μ", "u")
    return re.sub(r"\s+", " ", text).strip()


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def unit_of(text: str | None) -> str | None:
    return _UNIT_ALIASES.get(text.lower()) if text else None


@lru_cache(maxsize=_CACHED)  # a ward writes the same few thousand sigs over and over
def parse_dose(text: str, concentration: str | None = None) -> tuple[Quantity | None, bool]:
    """A dose such as "2 mg", "2.4g", "25 mcg/h" or "10 mL" (with a concentration), and nothing else.

    Returns the dose (mg, mcg/h, or the unit as written) and whether the unit was assumed.
    """
    cleaned = _clean(text)
    match = _DOSE.match(cleaned)
    rest = cleaned[match.end():].strip(" ()") if match else cleaned
    if not match or (rest and not _CONCENTRATION.fullmatch(rest)):
        return None, False  # "12 parsecs", "two tablets": not a dose pharmcheck can read
    value = _number(match["num"])
    unit = unit_of(match["unit"])
    if unit is None:
        return Quantity(value, "mg"), True
    if unit in _MASS_TO_MG:
        return Quantity(value * _MASS_TO_MG[unit], "mg"), False
    if unit == "mL":
        conc = _CONCENTRATION.search(concentration or cleaned[match.end():] or "")
        if conc:
            per_ml = _number(conc["mass"]) * _MASS_TO_MG[unit_of(conc["unit"]) or "mg"] / _number(conc["vol"] or "1")
            return Quantity(value * per_ml, "mg"), False
    return Quantity(value, unit), False


@lru_cache(maxsize=_CACHED)  # a ward writes the same few thousand sigs over and over
def parse_frequency(text: str) -> Frequency | None:
    """A frequency such as "tid", "q3h", "nocte", "prn", "weekly"; None if none is recognised."""
    cleaned = _clean(text)
    prn = bool(_PRN.search(cleaned))
    interval = _hour_range(cleaned)
    if interval:  # the shortest interval: the most doses a day, as a dose range is read at its top
        _, low, high = interval
        return Frequency(f"q{low}-{high}h", 24 / low, prn)
    every = _EVERY_N_HOURS.search(_SPELLED_HOURS.sub(lambda word: str(_NUMBER_WORDS[word[1].lower()]), cleaned))
    if every:
        hours = int(next(g for g in every.groups() if g))
        if hours > 0:
            return Frequency(f"q{hours}h", 24 / hours, prn)
    # Before the words: "5 times daily" must not read as "daily".
    times = _TIMES_A_DAY.search(cleaned)
    count = int(_NUMBER_WORDS.get(times[1].lower(), times[1])) if times else 0
    if count > 0:
        return Frequency(f"{count} times a day", float(count), prn)
    for pattern, label, per_day in _PER_DAY_WORDS:
        if pattern.search(cleaned):
            return Frequency(label, per_day, prn)
    if _ONCE.search(cleaned):
        return Frequency("once", None, prn)
    if prn:
        return Frequency("prn", None, True)
    return None


def _hour_range(text: str) -> tuple[str, int, int] | None:
    """An interval range in the text ("every 4-6 hours"): its words, the shortest and the longest."""
    found = _HOUR_RANGE.search(text)
    if found:
        low, high = (int(g) for g in found.groups() if g)
        if 0 < low <= high:
            return found[0].strip(), low, high
    return None


@lru_cache(maxsize=_CACHED)  # a ward writes the same few thousand sigs over and over
def parse_sig(text: str) -> Sig:
    """Split a sig string into the drug name and whatever dose, frequency and route it states."""
    cleaned = _clean(text)
    prn_max_match = _PRN_MAX.search(cleaned)
    body = cleaned[: prn_max_match.start()] + cleaned[prn_max_match.end():] if prn_max_match else cleaned
    strength = _STRENGTH.search(body)
    note = None
    unmasked = body  # the interval range's numbers blanked out, so that they are not read as a dose
    body = _HOUR_RANGE.sub(lambda interval: " " * len(interval[0]), body)
    dose_match = _DOSE_RANGE.search(body) or _DOSE.search(body)
    if strength and (dose_match is None or strength.start() <= dose_match.start()):
        # "co-codamol 30/500": a product strength, not a dose pharmcheck can attribute.
        name = body[: strength.start()]
        dose, assumed, rest = None, False, body[strength.end():]
    elif dose_match:
        name = body[: dose_match.start()]
        written = dose_match.group(0)
        if dose_match.groupdict().get("low"):
            # A range ("0.5-1 mg") is screened at its upper bound, and says so.
            written = f"{dose_match['num']} {dose_match['unit'] or ''}"
            note = f"dose range {dose_match.group(0).strip()}: screened at the upper bound"
        dose, assumed = parse_dose(written, body[dose_match.end():])
        rest = unmasked[dose_match.end():]
        if not name.strip(" ,;:-("):
            # "10 mL Oramorph 10 mg/5 mL": the name follows the dose.
            name = _CONCENTRATION.sub(" ", body[dose_match.end():])
            name = _strip_sig_words(_EVERY_N_HOURS.sub(" ", name).strip())
    else:
        name, dose, assumed, rest = body, None, False, ""
    # No dose after the name: frequency and route words may follow it directly ("morphine prn").
    frequency = parse_frequency(rest) if rest else parse_frequency(unmasked[:len(name)])
    route_match = _ROUTE.search(rest) if rest else None
    name = name.strip(" ,;:-(")
    if not rest:
        trimmed = _strip_sig_words(name)
        name = trimmed or name
    prn_max, prn_max_doses = None, None
    if prn_max_match:
        if prn_max_match["per"]:
            prn_max_doses = _number(prn_max_match["num"])
        else:
            prn_max, _ = parse_dose(prn_max_match["num"] + (prn_max_match["unit"] or ""))
    prn = bool(_PRN.search(cleaned))
    if frequency is None and prn:
        frequency = Frequency("prn", None, True)
    interval = _hour_range(unmasked)
    if interval and frequency is not None and frequency.label == f"q{interval[1]}-{interval[2]}h":
        said = f"interval {interval[0]}: screened at the shortest interval, q{interval[1]}h"
        note = f"{note}; {said}" if note else said
    route = _ROUTES[route_match[1].lower()] if route_match else None
    if route is None and re.search(r"\bpatch\b", cleaned, re.IGNORECASE):
        route = "transdermal"
    return Sig(
        name=name, dose=dose, unit_assumed=assumed, frequency=frequency, prn=prn,
        prn_max=prn_max, prn_max_doses=prn_max_doses, route=route,
        strength=strength.group(0) if strength else None, note=note,
    )


def normalize_route(text: str) -> str:
    """"IV" -> "intravenous", "po" -> "oral"; an unknown route is kept as written, lowercased."""
    key = text.strip().lower()
    return _ROUTES.get(key, key)


def _strip_sig_words(name: str) -> str:
    words = name.split()
    while words and (_PRN.fullmatch(words[-1]) or _ROUTE.fullmatch(words[-1]) or parse_frequency(words[-1])):
        words.pop()
    return " ".join(words)


def daily_dose(dose: Quantity | None, frequency: Frequency | None, prn_max: Quantity | None,
               prn_max_doses: float | None) -> tuple[Quantity | None, str | None]:
    """The total daily dose, or None with the reason it cannot be computed."""
    if dose is not None and dose.unit == "mcg/h":
        return dose, None  # a patch delivers its rate around the clock
    if frequency is not None and frequency.prn:
        if prn_max is not None:
            return prn_max, "prn, counted at its stated maximum"
        if prn_max_doses is not None and dose is not None:
            return Quantity(dose.value * prn_max_doses, dose.unit), "prn, counted at its stated maximum"
        return None, "prn with no stated maximum: daily dose unknown"
    if dose is None:
        return None, "no dose given: daily dose unknown"
    if frequency is None:
        return None, "no frequency given: daily dose unknown"
    if frequency.per_day is None:
        return dose, "single dose"
    if dose.unit not in ("mg", "mmol", "units"):
        return None, f"dose in {dose.unit}: daily dose not computed"
    return Quantity(dose.value * frequency.per_day, dose.unit), None
