"""Amounts in a sig: numbers as written, units, and what each amount is (a mass, a volume, a
concentration, a count of tablets, a dose per kg or per day), before frequencies are read.

A number is read as written or not at all: "1,200" is 1200, "1,5" is 1.5; "1.200", "1,2000"
and "1 200" are ambiguous. See :mod:`pharmcheck.inputs.sig` for how the amounts make a dose.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from pharmcheck.domain import Quantity
from pharmcheck.units import MG_PER_UNIT

UNIT_ALIASES = {
    "mg": "mg",
    "mgs": "mg",
    "milligram": "mg",
    "milligrams": "mg",
    "milligramme": "mg",
    "milligrammes": "mg",
    "g": "g",
    "gm": "g",
    "gram": "g",
    "grams": "g",
    "gramme": "g",
    "grammes": "g",
    "mcg": "mcg",
    "mcgs": "mcg",
    "ug": "mcg",
    "ugs": "mcg",
    "microgram": "mcg",
    "micrograms": "mcg",
    "microgramme": "mcg",
    "microgrammes": "mcg",
    "ml": "mL",
    "mls": "mL",
    "mmol": "mmol",
    "unit": "units",
    "units": "units",
    "iu": "units",
    "mcg/h": "mcg/h",
    "mcg/hr": "mcg/h",
    "mcg/hour": "mcg/h",
    "ug/h": "mcg/h",
    "ug/hr": "mcg/h",
    "micrograms/hour": "mcg/h",
    "microgram/hour": "mcg/h",
    "micrograms/h": "mcg/h",
}
# "microgrammes", "mgs": British and plural spellings, as written
MASS_UNIT = (
    r"(?:milligram(?:me)?s?|microgram(?:me)?s?|gram(?:me)?s?|gm|mgs?|mcgs?|ugs?|g|units?|iu)"
)
# "mcg/h", "micrograms per hour", "mcg / hr": a patch's rate, however it is spelled and spaced
_MCG_RATE = r"(?:mcgs?|ugs?|microgram(?:me)?s?) ?(?:/|per) ?h(?:rs?|ours?)?\b"
_MCG_RATE_KEY = re.compile(_MCG_RATE, re.IGNORECASE)
UNIT = (
    rf"(?:{_MCG_RATE}"
    r"|milligram(?:me)?s?|microgram(?:me)?s?|gram(?:me)?s?|gm|mgs?|mcgs?|ugs?|g|mls?|mmol|units?|iu)"
)
# "1,200" (thousands), "1.5", "1,5" (decimal comma); what follows is checked by number
# ".5": a leading decimal point, as written despite the rule against it; one group, so that
# "{NUMBER} ?mg" reads the unit after every form of the number, not after the last one only
NUMBER = r"(?:\d+(?:,\d{3}(?!\d))+(?:\.\d+)?|\d+(?:[.,]\d+)?|\.\d+)"
# not inside a word, a strength or a number, nor a product's number ("Tylenol #3")
_START = r"(?<![\w.\-/#])(?<!\d,)"
# "/" ends an amount only before blanked text ("0.5 mg/bd" with "bd" read): "mg/h" is no "mg"
_END = r"(?![\w\-]|/ *[\w.]|[.,]\d)"


def _range(group: str) -> str:
    return rf"(?:(?P<{group}>{NUMBER}) ?(?:-|to) ?)?"


# " ?" around a "/": the text is read with its frequencies blanked out, and "500 mg bid /kg" is
# no dose per kg
_PER = r"(?: ?/ ?| per | a )"
_PER_DAY_UNIT = r"(?: ?/ ?(?:day|d|24 ?h(?:ours?|rs?)?)| (?:per|a) (?:day|24 ?h(?:ours?|rs?)?))\b"
PER_KG = re.compile(
    _START + _range("kg_low") + rf"(?P<kg>{NUMBER}) ?(?P<kg_unit>{MASS_UNIT}){_PER}kg"
    rf"(?P<kg_day>{_PER_DAY_UNIT})?(?:{_PER}dose\b)?",
    re.IGNORECASE,
)
CONCENTRATION = re.compile(
    rf"(?P<mass>{NUMBER}) ?(?P<unit>mg|g|mcg|ug|micrograms?|units?)(?: ?/ ?| per | in )"
    rf"(?P<vol>{NUMBER})? ?ml\b",
    re.IGNORECASE,
)
FORM = (
    r"(?:tab(?:let)?s?|cap(?:sule)?s?|puffs?|sprays?|drops?|sachets?|suppositor(?:y|ies)|supps?"
    r"|lozenges?|pastilles?|inhalations?|actuations?|patch(?:es)?|pessar(?:y|ies)|vials?"
    r"|amp(?:oule)?s?|doses?)"
)
COUNT_WORDS = {
    "one": 1.0,
    "two": 2.0,
    "three": 3.0,
    "four": 4.0,
    "five": 5.0,
    "six": 6.0,
    "seven": 7.0,
    "eight": 8.0,
    "nine": 9.0,
    "ten": 10.0,
    "eleven": 11.0,
    "twelve": 12.0,
    "half": 0.5,
    "½": 0.5,
}
# every count word: one left out ("six tabs") was dropped, and the dose read as one tablet
_COUNT_NUMBER = rf"(?:{NUMBER}|" + "|".join(COUNT_WORDS) + ")"
_COUNT = re.compile(
    _START + rf"(?:(?P<low>{_COUNT_NUMBER}) ?(?:-|to|or) ?)?(?P<count>{_COUNT_NUMBER}) ?(?:x ?)?"
    rf"{FORM}\b",
    re.IGNORECASE,
)
# "tab 2", "caps 1-2": a count written after its form (not "tab 500 mg", a strength)
_FORM_COUNT = re.compile(
    _START + rf"{FORM} ?(?:(?P<low>{NUMBER}) ?(?:-|to|or) ?)?(?P<count>{NUMBER}){_END}"
    rf"(?! ?(?:{UNIT}|x)\b| ?/)",
    re.IGNORECASE,
)
# "50 mg x 2": a count of the dose before it ("x 5 days" is a duration, blanked out before)
_TIMES_AFTER = re.compile(rf"(?<![\w.])x ?(?P<count>{NUMBER}){_END}", re.IGNORECASE)
# "two to be taken", "three at night": a count in words with no form after it (after the
# frequencies are blanked out; not "two weeks", "one dose", "one-off")
_WORD_COUNT = re.compile(
    _START
    + r"(?P<count>"
    + "|".join(w for w in COUNT_WORDS if w not in ("half", "½"))
    + r")(?![\w\-/])(?!\s*(?:times\b|x\b|hourly\b|hours?\b|hrs?\b|doses?\b|days?\b|nights?\b"
    r"|weeks?\b|wks?\b|months?\b|years?\b|mins?\b|minutes?\b|and a half\b))",
    re.IGNORECASE,
)
# "500 mg 2x qds": a count of the dose before it, written before the "x"
_TIMES_BEFORE = re.compile(
    _START + rf"(?P<count>{NUMBER}) ?x(?![\w/])(?! ?{NUMBER})", re.IGNORECASE
)
_TIMES_STRENGTH = re.compile(
    _START + rf"(?P<count>{NUMBER}) ?x ?(?={NUMBER} ?{MASS_UNIT}\b)", re.IGNORECASE
)
# "100 mcg/puff", "500 mg per tablet": a strength, read as the amount it is
_PER_UNIT = r"(?: ?(?:/|per) ?(?:dose|puff|actuation|inhalation|spray|tab(?:let)?|cap(?:sule)?)\b)?"
_AMOUNT = re.compile(
    _START + _range("low") + rf"(?P<num>{NUMBER}) ?(?P<unit>{UNIT})?{_PER_UNIT}" + _END,
    re.IGNORECASE,
)
# "2 mg/h", "1000 units/hr": an hourly rate, given around the clock (mcg/h, a patch's, is read
# as it is written, by UNIT)
PER_HOUR = re.compile(
    _START + _range("hour_low") + rf"(?P<hour>{NUMBER}) ?"
    r"(?P<hour_unit>milligrams?|grams?|gm|mg|g|units?|iu)(?: ?/ ?| per )(?:h|hrs?|hours?)\b",
    re.IGNORECASE,
)
# "2 mg/kg/h", "0.1 mcg/kg/min": a rate per kg, which pharmcheck does not read
_RATE_AFTER = re.compile(r" ?(?:/|per) ?(?:h|hrs?|hours?|min|mins|minutes?)\b", re.IGNORECASE)
# "1000 mg/day", "3 g per day": a daily amount
PER_DAY = re.compile(
    _START + _range("day_low") + rf"(?P<day>{NUMBER}) ?(?P<day_unit>{MASS_UNIT}){_PER_DAY_UNIT}",
    re.IGNORECASE,
)
# "1-2 50 mg tablets", "two 500 mg tablets", "1 200 mg tablet": a count of that strength
_COUNT_OF_STRENGTH = re.compile(
    _START + rf"(?:(?P<low>{_COUNT_NUMBER}) ?(?:-|to|or) ?)?(?P<count>{_COUNT_NUMBER}) "
    rf"(?={NUMBER} ?{MASS_UNIT} ?{FORM}\b)",
    re.IGNORECASE,
)
_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")
_POINT_THOUSANDS = re.compile(r"[1-9]\d*\.\d{3}")
_DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}|0,\d+")
_WORD_AFTER = re.compile(r"\s*([a-z]+)", re.IGNORECASE)
_NUMBERS_RUN_TOGETHER = re.compile(r"(?<![\w.\-/#])\d+(?:[ ,.]\d+)*(?![\w\-/])")
_AT_MOST_A_SPACE = re.compile(r" ?")


@dataclass(frozen=True)
class Atom:
    """One amount in a sig: where it stands, what it is, and its value (a range's upper bound)."""

    start: int
    end: int
    kind: str  # mass, volume, concentration, per_kg, per_kg_day, count, times, bare, ambiguous
    value: float
    unit: str = ""
    text: str = ""
    ranged: bool = False


def number(text: str) -> float | None:
    """A number as written, or None when it is ambiguous ("1.200": 1.2 or 1200?)."""
    if _THOUSANDS.fullmatch(text):
        return float(text.replace(",", ""))  # "1,200": a thousands separator
    if _POINT_THOUSANDS.fullmatch(text):
        return None  # "1.200": a decimal point, or a thousands point as in much of Europe
    if _DECIMAL_COMMA.fullmatch(text):
        return float(text.replace(",", "."))  # "1,5": a decimal comma
    return None if "," in text else float(text)


def _count(text: str) -> float | None:
    return COUNT_WORDS.get(text.lower()) or number(text)


def unit_of(text: str | None) -> str | None:
    if not text:
        return None
    return "mcg/h" if _MCG_RATE_KEY.fullmatch(text) else UNIT_ALIASES.get(text.lower())


def in_mg(value: float, unit: str | None) -> Quantity:
    unit = unit_of(unit) or "mg"
    if unit in MG_PER_UNIT:
        return Quantity(value * MG_PER_UNIT[unit], "mg")
    return Quantity(value, unit)


def per_ml(match: re.Match[str]) -> float | None:
    mass, volume = number(match["mass"]), number(match["vol"] or "1")
    if mass is None or not volume:
        return None
    return in_mg(mass, match["unit"]).value / volume


def read_atoms(text: str, is_sig_word: Callable[[str], bool]) -> list[Atom]:
    """Every amount in ``text`` (frequencies and durations already blanked out), in order; a number
    followed by a word that is not ``is_sig_word`` ("1 tspful") is ambiguous."""
    found: list[Atom] = []
    taken = [False] * len(text)

    def add(
        start: int, end: int, kind: str, value: float | None, unit: str = "", ranged: bool = False
    ) -> None:
        if any(taken[start:end]):
            return
        for i in range(start, end):
            taken[i] = True
        found.append(
            Atom(
                start,
                end,
                "ambiguous" if value is None else kind,
                value or 0.0,
                unit,
                text[start:end].strip(),
                ranged,
            )
        )

    def add_mass(m: re.Match[str], kind: str, value: float | None, unit: str, ranged: bool) -> None:
        quantity = in_mg(value, unit) if value is not None else None
        if quantity is None:
            add(m.start(), m.end(), kind, None)
        else:
            add(m.start(), m.end(), kind, quantity.value, quantity.unit, ranged)

    for m in PER_KG.finditer(text):
        unit = "units" if m["kg_unit"].lower() in ("unit", "units", "iu") else "mg"
        value = number(m["kg"])
        value = None if value is None else in_mg(value, m["kg_unit"]).value
        kind = "per_kg_day" if m["kg_day"] else "per_kg"
        rate = _RATE_AFTER.match(text, m.end())
        if rate:
            add(m.start(), rate.end(), kind, None)
        else:
            add(m.start(), m.end(), kind, value, unit, bool(m["kg_low"]))
    for m in PER_DAY.finditer(text):
        add_mass(m, "per_day", number(m["day"]), m["day_unit"], bool(m["day_low"]))
    for m in PER_HOUR.finditer(text):
        add_mass(m, "per_hour", number(m["hour"]), m["hour_unit"], bool(m["hour_low"]))
    for m in CONCENTRATION.finditer(text):
        add(m.start(), m.end(), "concentration", per_ml(m), "mg/mL")
    for m in _COUNT_OF_STRENGTH.finditer(text):
        add(m.start(), m.end(), "count", _count(m["count"]), ranged=bool(m["low"]))
    for m in _COUNT.finditer(text):
        add(m.start(), m.end(), "count", _count(m["count"]), ranged=bool(m["low"]))
    for m in _FORM_COUNT.finditer(text):
        add(m.start(), m.end(), "count", number(m["count"]), ranged=bool(m["low"]))
    for m in _TIMES_STRENGTH.finditer(text):
        add(m.start(), m.end(), "count", number(m["count"]))
    for m in _TIMES_AFTER.finditer(text):
        add(m.start(), m.end(), "count", number(m["count"]))
    for m in _TIMES_BEFORE.finditer(text):
        add(m.start(), m.end(), "count", number(m["count"]))
    for m in _WORD_COUNT.finditer(text):
        add(m.start(), m.end(), "count", COUNT_WORDS[m["count"].lower()])
    for m in _AMOUNT.finditer(text):
        value = number(m["num"])
        word = _WORD_AFTER.match(text[m.end() :])
        unread_unit = word is not None and (unit_of(word[1]) is not None or word[1].lower() == "ng")
        if m["unit"] is None and word and (unread_unit or not is_sig_word(word[1])):
            # "25 mcg/72h", "10 mg/m2": a unit not read with what follows it, never an assumed mg;
            # "500 ng": nanograms, or via a nasogastric tube?
            # "1 tspful", "2 scoops": a unit pharmcheck does not read
            add(m.start(), m.end() + word.end(), "ambiguous", None)
        elif m["unit"] is None:
            add(m.start(), m.end(), "bare", value, "mg", bool(m["low"]))
        elif unit_of(m["unit"]) == "mL":
            add(m.start(), m.end(), "volume", value, "mL", bool(m["low"]))
        else:
            add_mass(m, "mass", value, m["unit"], bool(m["low"]))
    # "1 200 mg", "1,2000 mg": numbers run together that no reading above took
    for m in _NUMBERS_RUN_TOGETHER.finditer(text):
        if not all(taken[m.start() : m.end()]):
            found = [a for a in found if a.end <= m.start() or a.start >= m.end()]
            found.append(Atom(m.start(), m.end(), "ambiguous", 0.0, "", m[0]))
    found.sort(key=lambda a: a.start)
    # "1 200 mg": one thousand two hundred, or one tablet of 200 mg?
    for before, after in pairwise(found):
        if before.kind == "bare" and _AT_MOST_A_SPACE.fullmatch(text[before.end : after.start]):
            written = text[before.start : after.end]
            merged = Atom(before.start, after.end, "ambiguous", 0.0, "", written)
            return [merged if a is before else a for a in found if a is not after]
    return found
