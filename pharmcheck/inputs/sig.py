"""Parsing sig strings as people write them: "Neurontin 600 tid", "Demerol 75 mg IM q3h".

The parser never guesses, and never reads a dose smaller than the one written: a
value is read correctly, or the daily dose is None and ``note`` says why.

- Numbers: "1,200" is 1200 (a comma followed by exactly three digits is a thousands
  separator); "1,5" is 1.5 (a decimal comma). "1.200" (a point followed by exactly three
  digits after a non-zero whole part), "1,2000" and "1 200 mg" are ambiguous: not read.
- A dose is a mass ("2.4g"), a tablet/capsule/puff count with a strength ("50 mg 2 tabs",
  "2 x 50 mg", "2 capsules (600 mg)"), a volume with a concentration ("10 mL of 10 mg/5 mL"),
  or a dose per kg ("15 mg/kg", "20 mg/kg/day", needing the patient's weight). A range
  ("1-2 tabs", "5-10 mg") is read at its upper bound. A count without a strength is unknown.
- A regimen in parts ("300 mg bd + 600 mg nocte", "100 mg mane 200 mg nocte") is summed.
- A bare number with no unit ("Lexapro 10") is read as mg, as it is written on wards, and
  flagged with ``unit_assumed``.
- prn: counted at its stated maximum, else at its scheduled maximum ("qid prn"), else unknown.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from pharmcheck.domain import Quantity
from pharmcheck.inputs.amounts import (
    CONCENTRATION,
    COUNT_WORDS,
    FORM,
    MASS_UNIT,
    NUMBER,
    PER_DAY,
    PER_KG,
    UNIT,
    UNIT_ALIASES,
    Atom,
    in_mg,
    number,
    per_ml,
    read_atoms,
)

_STRENGTH = re.compile(
    r"(?<![\w.])\d+(?:\.\d+)?\s*/\s*\d+(?:\.\d+)?(?:\s*mg)?(?![\w])", re.IGNORECASE
)
# "b.i.d.", "q.4.h.", "t.d.s.": the points dropped so that the abbreviation reads as "bid", "q4h",
# "tds"
_DOTTED = re.compile(
    r"(?<![\w.])(?=[a-z0-9.]*[a-z])((?:[a-z0-9]\.)+[a-z0-9]?)(?![\w])", re.IGNORECASE
)

_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "twenty-four": 24,
    "twenty four": 24,
}
# "every eight hours", "four hourly": the interval spelled out, read as its digits
_SPELLED_HOURS = re.compile(
    r"\b(" + "|".join(_NUMBER_WORDS) + r")(?=[\s-]?(?:h(?:rs?|ours?)|h(?:ou)?rly)\b)", re.IGNORECASE
)
# Distinct times of day add up: "mane and nocte" is twice a day
_TIME_OF_DAY = ("mane", "midday", "evening", "nocte", "with meals")
_MEALS = "with meals"  # three times a day, unless a schedule says how many ("bd with meals")
# "tid and hs", "bd + nocte": a time of day joined to a schedule is a dose more, not one of its
_JOINED = re.compile(r"\s*(?:and|\+|&|plus)\s*", re.IGNORECASE)
_TIMES = r" (?:a |per |each )?da(?:y|ily)"
_FREQUENCY_WORDS: list[tuple[re.Pattern[str], str, float]] = [
    (re.compile(p, re.IGNORECASE), label, per_day)
    for p, label, per_day in [
        (r"\b(?:fid|qqid)\b", "5 times a day", 5),
        (rf"\b(?:qds|qid|four times{_TIMES}|4 ?x ?(?:/|a |per )?day)\b", "qid", 4),
        (rf"\b(?:tds|tid|(?:three times|thrice){_TIMES}|3 ?x ?(?:/|a |per )?day)\b", "tid", 3),
        (rf"\b(?:bd|bds|bid|(?:twice|two times){_TIMES}|2 ?x ?(?:/|a |per )?day)\b", "bid", 2),
        (
            r"\b(?:every other day|alternate days|on alternate days|qod|eod)\b",
            "every other day",
            0.5,
        ),
        # before "weekly": "three times weekly" once read as weekly, a third of the dose
        (
            (
                r"\b(?:(?:three times|3 times|thrice) (?:a |per )?week(?:ly)?"
                r"|3 ?x ?(?:/|a |per )?week|tiw)\b"
            ),
            "three times weekly",
            3 / 7,
        ),
        (
            (
                r"\b(?:(?:twice|two times|2 times) (?:a |per )?week(?:ly)?"
                r"|2 ?x ?(?:/|a |per )?week|biw)\b"
            ),
            "twice weekly",
            2 / 7,
        ),
        (r"\b(?:once weekly|weekly|qw|q1w|qwk|every week|once a week)\b", "weekly", 1 / 7),
        (r"\b(?:once daily|once a day|daily|od|qd|every day|each day|a day|per day)\b", "daily", 1),
        (
            (
                r"\b(?:nocte|qhs|hs|at night|night|at bedtime|bedtime|every night|each night"
                # "on" (omni nocte) only where no English "on ..." can follow it
                r"|on(?=\s*(?:$|[,;.)+&]|and\b|prn\b|p\.r\.n"
                r"|(?:as|when|if) (?:required|needed))))\b"
            ),
            "nocte",
            1,
        ),
        (
            r"\b(?:mane|om|qam|every morning|each morning|in the morning|mornings?|breakfast)\b",
            "mane",
            1,
        ),
        (r"\b(?:midday|noon|lunchtime|at lunch|lunch)\b", "midday", 1),
        (
            (
                r"\b(?:qpm|every evening|each evening|in the evening|evenings?|teatime|dinner"
                r"|supper)\b"
            ),
            "evening",
            1,
        ),
        (
            (
                r"\b(?:(?:ac|pc)(?!\s*(?:breakfast|lunch|dinner|supper|tea|evening))"
                r"|(?:with|before|after) (?:(?:each |every |all )?meals|each meal))\b"
            ),
            _MEALS,
            3,
        ),
    ]
]
# "q4h", "q 12 h", "q12", "every 8 hours", "4 hourly" (not "q2 days", "q72 min")
_EVERY_N_HOURS = re.compile(
    r"\b(?:q\s*(\d+)\s*(?:h(?:rs?|ours?|(?:ou)?rly)?\b|(?![\w.]|\s*(?:d|days?|w|wks?|weeks?|min|mins|minutes?|months?)\b))"
    r"|every\s*(\d+)\s*h(?:rs?|ours?)?\b|(\d+)\s*-?\s*h(?:ou)?rly\b)",
    re.IGNORECASE,
)
# "every 4-6 hours", "q4-6h", "4 to 6 hourly": an interval range, never a dose range
_HOUR_RANGE = re.compile(
    r"\b(?:(?:every|q)\s*(\d+)\s*(?:-|to)\s*(\d+)\s*h(?:rs?|ours?)?"
    r"|(\d+)\s*(?:-|to)\s*(\d+)\s*-?\s*h(?:ou)?rly)\b",
    re.IGNORECASE,
)
# "5 times daily", "five times a day" (one to four spelled out have their own words: daily, bid,
# tid, qid)
_TIMES_A_DAY = re.compile(
    r"\b(\d+|"
    + "|".join(w for w, n in _NUMBER_WORDS.items() if 5 <= n <= 12)
    + r") ?(?:times|x) ?(?:(?:a |per |/ ?)?day|daily|(?:in|a|per|every) ?24 ?h(?:ours?|rs?)?)\b",
    re.IGNORECASE,
)
# "twice-daily", "three-times-a-day": a hyphen between words read as the space it stands for
_WORD_HYPHEN = re.compile(r"(?<=[a-z])-(?=[a-z])", re.IGNORECASE)
# "3 or 4 times a day", "two to three times daily": the lower bound of a frequency range
_LOW_BOUND = re.compile(
    r"\b(?:\d+|" + "|".join(_NUMBER_WORDS) + r")(?:-| ?(?:to|or) )$", re.IGNORECASE
)
_COUNTED = re.compile(r"\d|(?:" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
# "1-0-1", "2-0-2", "1-1-1-1": the doses given at each time of day (morning, midday, evening,
# night), as written in much of Europe; a count of at most 4 each, so clock hours are not read
_DAILY_COUNTS = re.compile(
    r"(?<![\w.\-/])([0-4](?:\.\d+)?)-([0-4](?:\.\d+)?)-([0-4](?:\.\d+)?)(?:-([0-4](?:\.\d+)?))?"
    r"(?![\w.\-/])"
)
_ONCE = re.compile(r"\b(?:stat|once|single dose|one dose)\b", re.IGNORECASE)
# Numbers that are not doses: durations, days of a course, clock times
_NOT_DOSES = re.compile(
    r"\b(?:(?:for|x|over)\s*)?\d+\s*(?:(?:-|to)\s*\d+\s*)?"
    r"(?:days?|nights?|weeks?|wks?|months?|years?|mins?|minutes?)\b"
    # "in 2 doses", "in 3 divided doses" (a daily amount divided), not "2 doses qid" (a count)
    r"|\b(?:(?:in(?:to)?|as|over)\s+)\d+(?:\s*(?:-|to|or)\s*\d+)?\s*(?:equal(?:ly)?\s+)?"
    r"(?:divided\s+|separate\s+)?doses\b"
    r"|\b\d+(?:\s*(?:-|to|or)\s*\d+)?\s*(?:equal(?:ly)?\s+)?(?:divided|separate)\s+doses\b"
    r"|\b(?:day|week|wk|month)\s*\d+\b|\b\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)\b|\b\d{1,2}:\d{2}\b",
    re.IGNORECASE,
)
_PRN = re.compile(
    r"\b(?:prn|as needed|as required|when required|when needed|if needed|if required)\b",
    re.IGNORECASE,
)
_PRN_MAX = re.compile(
    rf"\b(?:max(?:imum)?|not to exceed|(?:no )?more than)\.?\s*(?:of\s*)?(?P<num>{NUMBER})\s*"
    rf"(?:(?P<unit>{UNIT})(?P<kg>\s*/\s*kg)?|(?P<per>doses?|times|x)|(?P<form>{FORM}))?"
    # "max 400 mg daily", "max 400mg/d": with no "per" the maximum is no second part of a regimen
    r"\s*(?:(?:/|per|in|a|each)\s*(?:the\s*)?(?:day|d|24 ?h(?:ours?|rs?)?|daily)|daily)\b",
    re.IGNORECASE,
)
_UNREAD_MAXIMUM = "the stated maximum {!r} has no unit (doses or mg?): daily dose unknown"
_ROUTES = {
    "po": "oral",
    "oral": "oral",
    "orally": "oral",
    "by mouth": "oral",
    "iv": "intravenous",
    "intravenous": "intravenous",
    "im": "intramuscular",
    "intramuscular": "intramuscular",
    "sc": "subcutaneous",
    "sq": "subcutaneous",
    "subcut": "subcutaneous",
    "subcutaneous": "subcutaneous",
    "sl": "sublingual",
    "sublingual": "sublingual",
    "pr": "rectal",
    "rectal": "rectal",
    "td": "transdermal",
    "patch": "transdermal",
    "transdermal": "transdermal",
    "top": "topical",
    "topical": "topical",
    "inh": "inhaled",
    "inhaled": "inhaled",
    "neb": "inhaled",
    "ng": "enteral",
    "peg": "enteral",
    "it": "intrathecal",
    "intrathecal": "intrathecal",
    "buccal": "buccal",
}
#: Spellings of a route as a route field gives it (not read from a sig's words, where a short
#: word would be taken from a drug's name).
_ROUTE_FIELD = {
    **_ROUTES,
    "p.o.": "oral",
    "per os": "oral",
    "i.v.": "intravenous",
    "intravenously": "intravenous",
    "i.m.": "intramuscular",
    "intramuscularly": "intramuscular",
    "s.c.": "subcutaneous",
    "s/c": "subcutaneous",
    "subq": "subcutaneous",
    "subcutaneously": "subcutaneous",
    "s.l.": "sublingual",
    "p.r.": "rectal",
    "per rectum": "rectal",
    "nasogastric": "enteral",
    "ng tube": "enteral",
    "peg tube": "enteral",
    "gastrostomy": "enteral",
    "enteral": "enteral",
    "inhalation": "inhaled",
}
#: The routes pharmcheck reads; a route field naming another is refused, as an unknown frequency
#: is (a limit for a route it cannot match would otherwise be skipped without a word).
ROUTES = frozenset(_ROUTE_FIELD.values())
_ROUTE = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, _ROUTES), key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
# Words that continue a sig after a comma, "and", "+": what follows belongs to the same drug
_SIG_WORDS = frozenset(
    """
take takes taking give given apply inhale instil insert use then and or with without after before
for as at in on of if when until while up to max maximum not exceed no more than increase
increasing increased reduce reducing decrease decreasing wean weaning titrate titrating stop
stopping continue review each every per daily day days week weeks weekly month months morning
mornings night nights evening evenings midday noon lunch bedtime food meals meal empty stomach
water milk plus total dose doses tablet tablets tab tabs capsule capsules cap caps puff puffs
spray sprays drop drops sachet sachets patch patches ml mg mcg g units unit slowly regular
regularly usual pain nausea sleep breakthrough required needed directed once twice three four
times mane nocte om on divided equal equally separate
""".split()
)

_CACHED = 1 << 16  # distinct texts; results are frozen values, safe to share
_RANGE_BETWEEN = re.compile(r"\s*(?:-|to|or)\s*")
_TOTAL_BETWEEN = re.compile(r"\s*(?:\(|=|i\.?e\.?)\s*")
_AMOUNT_TEXT = re.compile(r"[\d.,/()]+|\b(?:mg|ml|mcg|g)\b", re.IGNORECASE)
_PATCH = re.compile(r"\bpatch\b", re.IGNORECASE)
_FIRST_WORD = re.compile(r"[^\s,;:()]+")
_DIGITS_HYPHEN_LETTER = re.compile(r"\d+-[a-z]", re.IGNORECASE)
_FORM = re.compile(FORM, re.IGNORECASE)
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
_WORD_CHARACTER = re.compile(r"\w")


@dataclass(frozen=True)
class Frequency:
    label: str
    per_day: float | None  # None for a one-off dose
    prn: bool = False


@dataclass(frozen=True)
class Sig:
    """What a sig string says. Fields that the text does not state are None.

    ``daily`` is the daily dose the whole sig states (the parts of a split regimen summed),
    in mg (or units, mmol, mcg/h), or per kg ("mg/kg", a daily dose per kg of body weight,
    see :func:`weighed`); None when it cannot be read, and ``daily_note`` says why.
    """

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
    daily: Quantity | None = None
    daily_note: str | None = None


@dataclass(frozen=True)
class _Part:
    """One dose and its frequencies: a regimen in parts has several ("300 mg bd + 600 mg nocte")."""

    atoms: tuple[Atom, ...]
    frequencies: tuple[tuple[str, float | None], ...]


_FRACTIONS = {"½": ".5", "¼": ".25", "¾": ".75"}
_FRACTION = re.compile(r"(?:(\d) ?)?([½¼¾])")  # "1½", "1 ½": 1.5
# "1 1/2", "1/2 tab": a fraction of a tablet or a dose (not "30/500", a strength)
_SLASH_FRACTION = re.compile(r"(?<![\w./])(?:(\d+) )?([1-3])/([2-4])(?![\w/]|\.\d)")
# "one and a half tabs": read as 1.5, not as "half"
_AND_A_HALF = re.compile(
    r"\b(\d+|" + "|".join(w for w in COUNT_WORDS if w not in ("half", "½")) + r") and a half\b",
    re.IGNORECASE,
)
# "tab ii", "i-ii caps", "500 mg ii": a count of tablets in roman numerals, beside its form or
# after its strength
_ROMAN = {"i": "1", "ii": "2", "iii": "3"}
_ROMAN_COUNT = re.compile(
    rf"(?:(?P<form>\b{FORM}|(?:\b|(?<=\d)){MASS_UNIT}) (?P<after>i{{1,3}}(?:-i{{1,3}})?)\b)"
    rf"|(?:\b(?P<before>i{{1,3}}(?:-i{{1,3}})?) (?={FORM}\b))",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")
_TIMES_SIGN = re.compile(r"(?<=\d) ?x ?(?=\.?\d)", re.IGNORECASE)  # "2x50mg": 2 x 50 mg
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"))
_MIDDLE_DOT = re.compile(r"(?<=\d)\u00b7(?=\d)")  # a decimal point, as the BNF prints it
# "50mg-100mg": a range, spaced so that both ends read as amounts
_UNIT_HYPHEN = re.compile(rf"(?<=\d)( ?{MASS_UNIT})-(?=\.?\d)", re.IGNORECASE)


def _clean(text: str) -> str:
    if not text.isascii():  # what follows changes only characters outside ASCII
        text = _FRACTION.sub(lambda m: (m[1] or "0") + _FRACTIONS[m[2]], text)
        text = unicodedata.normalize("NFKC", text).replace("µ", "u").replace("μ", "u")
        text = text.replace("\u2044", "/")  # "1⁄2", a fraction slash
        text = _MIDDLE_DOT.sub(".", text).replace("×", "x")  # "0·5", "2×50 mg"
        text = text.translate(_DASHES)  # "3–4 times a day", as a word processor writes it
    text = _TIMES_SIGN.sub(" x ", text)
    if "." in text:
        text = _DOTTED.sub(lambda m: m[1].replace(".", ""), text)
    if "/" in text:
        text = _SLASH_FRACTION.sub(_fraction, text)
    if "-" in text:
        text = _UNIT_HYPHEN.sub(r"\1 - ", text)
    text = _AND_A_HALF.sub(lambda m: f"{_count_word(m[1]) + 0.5:g}", text)
    text = _ROMAN_COUNT.sub(_roman, text)
    return _SPACES.sub(" ", text).strip()


def _fraction(m: re.Match[str]) -> str:
    numerator, denominator = int(m[2]), int(m[3])
    if numerator >= denominator:
        return m[0]
    return f"{int(m[1] or 0) + numerator / denominator:g}"


def _count_word(word: str) -> float:
    return COUNT_WORDS.get(word.lower()) or float(word)


def _roman(m: re.Match[str]) -> str:
    def digits(numeral: str) -> str:
        return "-".join(_ROMAN[part.lower()] for part in numeral.split("-"))

    if m["form"]:
        return f"{m['form']} {digits(m['after'])}"
    return f"{digits(m['before'])} "


def _hour_range_read(m: re.Match[str]) -> tuple[str, float] | None:
    low, high = (int(g) for g in m.groups() if g)
    return (f"q{low}-{high}h", 24 / low) if 0 < low <= high else None


def _every_read(m: re.Match[str]) -> tuple[str, float] | None:
    hours = int(next(g for g in m.groups() if g))
    return (f"q{hours}h", 24 / hours) if hours > 0 else None


def _times_read(m: re.Match[str]) -> tuple[str, float] | None:
    count = int(_NUMBER_WORDS.get(m[1].lower(), m[1]))
    return (f"{count} times a day", float(count)) if count > 0 else None


def _counts_read(m: re.Match[str]) -> tuple[str, float] | None:
    count = sum(float(g) for g in m.groups() if g)
    return (m[0], count) if count > 0 else None


def _fixed(
    label: str, per_day: float | None
) -> Callable[[re.Match[str]], tuple[str, float | None]]:
    return lambda m: (label, per_day)


# Read in this order, each from the text with the frequencies read before it blanked out
_FREQUENCY_READERS: list[
    tuple[re.Pattern[str], Callable[[re.Match[str]], tuple[str, float | None] | None]]
] = [
    (_DAILY_COUNTS, _counts_read),
    (_HOUR_RANGE, _hour_range_read),
    (_EVERY_N_HOURS, _every_read),
    (_TIMES_A_DAY, _times_read),
    *((pattern, _fixed(label, per_day)) for pattern, label, per_day in _FREQUENCY_WORDS),
    (_ONCE, _fixed("once", None)),
]


Span = tuple[int, str, float | None]  # a frequency's position, label and doses a day


@lru_cache(maxsize=_CACHED)  # a sig's body is read again as its frequency when it has no dose
def _frequency_spans(text: str) -> tuple[str, tuple[Span, ...]]:
    """The frequencies in ``text`` (position, label, doses a day) and the text with them and
    every other number that is not a dose (durations, clock times) blanked out."""
    spans: list[Span] = []
    ends: dict[int, int] = {}
    padded = _SPELLED_HOURS.sub(lambda w: str(_NUMBER_WORDS[w[1].lower()]).ljust(len(w[1])), text)

    # "mg/kg per day", "1000 mg per day" are doses, not "daily"
    kept = [(m.start(), m.end()) for pattern in (PER_KG, PER_DAY) for m in pattern.finditer(padded)]
    words = _WORD_HYPHEN.sub(" ", padded)  # the same length: positions stay those of padded
    for pattern, read in _FREQUENCY_READERS:
        for m in list(pattern.finditer(words)):
            start, end = m.span()
            if any(start < kept_end and kept_start < end for kept_start, kept_end in kept):
                continue
            label_per_day = read(m)
            if label_per_day is not None:
                spans.append((start, *label_per_day))
                ends[start] = end
            low = _LOW_BOUND.search(words, 0, start) if _COUNTED.match(m[0]) else None
            if low is not None:  # read at the upper bound; the lower is no count of the dose
                start = low.start()
            padded = padded[:start] + " " * (end - start) + padded[end:]
            words = words[:start] + " " * (end - start) + words[end:]
    padded = _NOT_DOSES.sub(lambda m: " " * len(m[0]), padded)
    return padded, _joined(text, sorted(spans), ends)


def _joined(text: str, spans: list[Span], ends: dict[int, int]) -> tuple[Span, ...]:
    """The spans with a time of day joined to the schedule before it ("tid and hs") as one."""
    out: list[Span] = []
    for span in spans:
        if out and span[1] in _TIME_OF_DAY and span[1] != _MEALS:
            start, label, per_day = out[-1]
            schedule = label == _MEALS or (label not in _TIME_OF_DAY and (per_day or 0) >= 1)
            if schedule and _JOINED.fullmatch(text, ends[start], span[0]):
                out[-1] = (start, f"{label} + {span[1]}", (per_day or 0) + (span[2] or 0))
                ends[start] = ends[span[0]]
                continue
        out.append(span)
    return tuple(out)


@lru_cache(maxsize=_CACHED)  # sigs that differ only in their frequency read the same amounts
def _amounts(text: str) -> tuple[Atom, ...]:
    """Every amount in ``text``, with frequencies and durations already blanked out."""
    return tuple(read_atoms(text, _continues))


def _combined(labels: list[tuple[str, float | None]], prn: bool) -> Frequency | None:
    """The frequencies one dose is written with: the most often, or the times of day added up
    ("mane and nocte" is twice a day); once, when that is all it says."""
    if not labels:
        return None
    daily = [(label, n) for label, n in labels if n is not None]
    if not daily:
        return Frequency("once", None, prn)
    times_of_day = {label: n for label, n in daily if label in _TIME_OF_DAY}
    generic = [(label, n) for label, n in daily if label not in _TIME_OF_DAY]
    if generic:
        times_of_day.pop(_MEALS, None)
    best = max(generic, key=lambda item: item[1], default=None)
    count = sum(times_of_day.values())
    if best is not None and best[1] >= count:
        return Frequency(best[0], best[1], prn)
    return Frequency(" + ".join(times_of_day), float(count), prn)


@lru_cache(maxsize=_CACHED)  # a ward writes the same few thousand sigs over and over
def parse_dose(text: str, concentration: str | None = None) -> tuple[Quantity | None, bool]:
    """A dose such as "2 mg", "1,200 mg", "2.4g", "25 mcg/h", "15 mg/kg", "20 mg/kg/day", or
    "10 mL" (with a concentration), and nothing else.

    Returns the dose (mg, mcg/h, mg/kg, mg/kg/day, or the unit as written) and whether the unit
    was assumed.
    """
    cleaned = _clean(text)
    atoms = _amounts(cleaned)
    times = [a for a in atoms if a.kind == "count" and "x" in a.text.lower()]
    masses = [a for a in atoms if a.kind == "mass"]
    if len(atoms) == 2 and len(times) == 1 and len(masses) == 1:
        # "2 x 50 mg", "50mg x2": the count of a strength, not a dose left unread
        left = cleaned[: atoms[0].start] + cleaned[atoms[0].end : atoms[1].start]
        if not (left + cleaned[atoms[1].end :]).strip():
            return Quantity(times[0].value * masses[0].value, masses[0].unit), False
    if len(atoms) != 1 and not (len(atoms) == 2 and atoms[1].kind == "concentration"):
        return None, False
    atom = atoms[0]
    rest = (cleaned[: atom.start] + cleaned[atom.end :]).strip(" ()")
    unread = rest and not CONCENTRATION.fullmatch(rest)
    if atom.kind in ("count", "ambiguous", "concentration", "per_hour") or unread:
        return None, False  # "12 parsecs", "two tablets": not a dose pharmcheck can read
    if atom.kind in ("per_kg", "per_kg_day"):
        return Quantity(atom.value, _per_kg_unit(atom)), False
    if atom.kind == "per_day":  # "400 mg/day": a daily amount, never one dose of it
        return Quantity(atom.value, f"{atom.unit}/day"), False
    if atom.kind == "volume":
        conc = CONCENTRATION.search(concentration or rest or "")
        each_ml = per_ml(conc) if conc else None
        if each_ml is not None:
            return Quantity(atom.value * each_ml, "mg"), False
        return Quantity(atom.value, "mL"), False
    return Quantity(atom.value, atom.unit), atom.kind == "bare"


def _per_kg_unit(atom: Atom) -> str:
    return f"{atom.unit}/kg" + ("/day" if atom.kind == "per_kg_day" else "")


@lru_cache(maxsize=_CACHED)  # a ward writes the same few thousand sigs over and over
def parse_frequency(text: str) -> Frequency | None:
    """A frequency such as "tid", "q3h", "b.i.d.", "nocte", "prn", "weekly"; None if none is
    recognised."""
    cleaned = _clean(text)
    prn = bool(_PRN.search(cleaned))
    _, spans = _frequency_spans(cleaned)
    frequency = _combined([(label, n) for _, label, n in spans], prn)
    if frequency is None and prn:
        return Frequency("prn", None, True)
    return frequency


def _hour_range(text: str) -> tuple[str, int, int] | None:
    """An interval range in the text ("every 4-6 hours"): its words, the shortest, the longest."""
    found = _HOUR_RANGE.search(text)
    if found:
        low, high = (int(g) for g in found.groups() if g)
        if 0 < low <= high:
            return found[0].strip(), low, high
    return None


def _parts(atoms: tuple[Atom, ...], spans: tuple[Span, ...]) -> list[_Part]:
    """The doses and their frequencies: a dose written after a frequency starts a new part."""
    parts: list[tuple[list[Atom], list[tuple[str, float | None]]]] = []
    events = sorted(
        [(a.start, 0, a) for a in atoms] + [(s[0], 1, s) for s in spans], key=lambda e: e[:2]
    )
    for _, _, event in events:
        if isinstance(event, Atom):
            if not parts or (parts[-1][0] and parts[-1][1]):
                parts.append(([], []))
            parts[-1][0].append(event)
        else:
            if not parts:
                parts.append(([], []))
            parts[-1][1].append(event[1:])
    return [_Part(tuple(a), tuple(f)) for a, f in parts]


def _part_dose(
    part: _Part, text: str, strength: Quantity | None, counting: bool
) -> tuple[Quantity | None, str | None, bool]:
    """One part's dose per administration (mg, or mg/kg with the per-day flag in the unit),
    why it is unknown, and whether its unit was assumed."""
    kinds = {a.kind for a in part.atoms}
    if "ambiguous" in kinds:
        written = next(a.text for a in part.atoms if a.kind == "ambiguous")
        why = (
            f"{written!r} cannot be read as a dose (ambiguous, or a unit pharmcheck does not "
            "read): daily dose unknown"
        )
        return None, why, False
    per_day = [a for a in part.atoms if a.kind == "per_day"]
    if per_day:
        top = max(per_day, key=lambda a: a.value)
        return Quantity(top.value, f"{top.unit}/day"), None, False
    per_hour = [a for a in part.atoms if a.kind == "per_hour"]
    if per_hour:  # "2 mg/h": the dose as written, a rate (its daily amount: see hourly_daily)
        top = max(per_hour, key=lambda a: a.value)
        return Quantity(top.value, f"{top.unit}/h"), None, False
    per_kg = [a for a in part.atoms if a.kind in ("per_kg", "per_kg_day")]
    if per_kg:
        top = max(per_kg, key=lambda a: a.value)
        return Quantity(top.value, _per_kg_unit(top)), None, False
    masses = [a for a in part.atoms if a.kind == "mass"]
    counts = [a for a in part.atoms if a.kind == "count"]
    volumes = [a for a in part.atoms if a.kind == "volume"]
    concentrations = [a for a in part.atoms if a.kind == "concentration"]
    bares = [a for a in part.atoms if a.kind == "bare"]
    candidates: list[Quantity] = []
    if volumes and concentrations:
        candidates.append(Quantity(max(v.value for v in volumes) * concentrations[0].value, "mg"))
    if counts:
        count = max(c.value for c in counts)
        total = [m for m in masses if any(_is_total(text, c, m) for c in counts)]
        each = [m for m in masses if m not in total]
        if total:
            candidates.extend(Quantity(m.value, m.unit) for m in total)
        if each:
            candidates.extend(Quantity(count * m.value, m.unit) for m in each)
        elif not total:
            if strength is None:
                form = counts[0].text
                return None, f"{form} with no strength given: daily dose unknown", False
            candidates.append(Quantity(count * strength.value, strength.unit))
    else:
        apart = [
            b for a, b in pairwise(masses) if not _RANGE_BETWEEN.fullmatch(text[a.end : b.start])
        ]
        if apart:  # "300 mg and 200 mg at night": which dose goes with which time is not said
            why = (
                f"doses {masses[0].text} and {apart[0].text} without their own frequencies: "
                "daily dose unknown"
            )
            return None, why, False
        candidates.extend(Quantity(m.value, m.unit) for m in masses)
    if bares:
        if masses and any(b.start < m.start for b in bares for m in masses):
            why = f"the number {bares[0].text!r} before a dose is ambiguous: daily dose unknown"
            return None, why, False
        if masses:
            # "500 mg 2 qds": a number after a dose can only be a count of that dose
            count = max(b.value for b in bares)
            if count < 1:
                why = (
                    f"the number {bares[0].text!r} after a dose cannot be read: daily dose unknown"
                )
                return None, why, False
            candidates = [Quantity(count * c.value, c.unit) for c in candidates]
        elif strength is not None:
            candidates.append(Quantity(max(b.value for b in bares) * strength.value, strength.unit))
        elif counting and not candidates:
            # "1 tab mane 2 nocte": a number among tablet counts is a count
            return None, f"{bares[0].text} with no strength given: daily dose unknown", False
        elif not candidates:
            top = max(bares, key=lambda b: b.value)
            return Quantity(top.value, "mg"), None, True
    if not candidates:
        if volumes:
            return Quantity(max(v.value for v in volumes), "mL"), None, False
        return None, "no dose given: daily dose unknown", False
    units = {c.unit for c in candidates}
    if len(units) > 1:
        return None, f"doses in {' and '.join(sorted(units))}: daily dose unknown", False
    return max(candidates, key=lambda c: c.value), None, False


def _is_total(text: str, count: Atom, mass: Atom) -> bool:
    """Whether the mass is the whole dose of the count: "2 capsules (600 mg)", "2 tabs = 100 mg"."""
    between = text[count.end : mass.start]
    return count.end <= mass.start and _TOTAL_BETWEEN.fullmatch(between) is not None


def _strength(parts: list[_Part], text: str) -> Quantity | None:
    """The product strength: a mass written with a count of tablets, capsules or puffs."""
    for part in parts:
        counts = [a for a in part.atoms if a.kind == "count"]
        for mass in (a for a in part.atoms if a.kind == "mass"):
            if counts and not any(_is_total(text, c, mass) for c in counts):
                return Quantity(mass.value, mass.unit)
    return None


@lru_cache(maxsize=_CACHED)  # a ward writes the same few thousand sigs over and over
def parse_sig(text: str) -> Sig:
    """Split a sig string into the drug name and whatever dose, frequency and route it states."""
    cleaned = _clean(text)
    prn_max_match = _PRN_MAX.search(cleaned)
    body = (
        cleaned[: prn_max_match.start()] + cleaned[prn_max_match.end() :]
        if prn_max_match
        else cleaned
    )
    masked, spans = _frequency_spans(body)
    atoms = _amounts(masked)
    strength = _STRENGTH.search(body)
    notes: list[str] = []
    if strength and (not atoms or strength.start() <= atoms[0].start):
        # "co-codamol 30/500": a product strength, not a dose pharmcheck can attribute.
        name, rest = body[: strength.start()], body[strength.end() :]
        atoms, spans = (), tuple(s for s in spans if s[0] >= strength.end())
    elif atoms:
        name, rest = body[: atoms[0].start], body[atoms[0].start :]
        if all(_continues(word) for word in name.strip(" ,;:-(").split()):
            # "10 mL Oramorph 10 mg/5 mL", "take 2 tablets of paracetamol 500 mg": the name
            # follows the dose (an instruction before it is no name)
            after = _AMOUNT_TEXT.sub(" ", masked[atoms[0].end :]).split()
            while after and _continues(after[0]):
                after.pop(0)
            name = _strip_sig_words(" ".join(after)) or name
    else:
        name, rest = body, ""
    prn = bool(_PRN.search(cleaned))
    parts = _parts(atoms, spans)
    frequency = _combined([f for part in parts for f in part.frequencies], prn) if parts else None
    if frequency is None:
        frequency = parse_frequency(body[: len(name)]) if not rest else None
    if frequency is None and prn:
        frequency = Frequency("prn", None, True)
    route_match = _ROUTE.search(rest) if rest else None
    if name and body.startswith(name):
        # "morphine every 4-6 hours": the frequency is not part of the name
        name = name[: len(masked[: len(name)].rstrip())]
    name = name.strip(" ,;:-(")
    # "tramadol IV 50 mg": a route or "prn" before the dose is no part of the name
    stripped = _strip_sig_words(name) or name
    if route_match is None and len(stripped) < len(name):
        route_match = _ROUTE.search(name[len(stripped) :])
    name = stripped
    dose, assumed, daily, daily_note = _regimen(parts, masked, frequency, prn, prn_max_match, notes)
    if prn_max_match is not None and _unitless(prn_max_match):
        # a cap that cannot be read leaves no daily dose to trust
        daily, daily_note = None, _UNREAD_MAXIMUM.format(prn_max_match[0].strip())
    dosed = [p for p in parts if p.atoms]
    if len(dosed) > 1:  # "300 mg bd + 600 mg nocte": every part's frequency
        each = [f for f in (_combined(list(p.frequencies), prn) for p in dosed) if f is not None]
        if len(each) == len(dosed):
            frequency = Frequency(
                " + ".join(f.label for f in each), sum(f.per_day or 1.0 for f in each), prn
            )
    interval = _hour_range(body)
    if interval and any(label == f"q{interval[1]}-{interval[2]}h" for _, label, _ in spans):
        notes.append(f"interval {interval[0]}: screened at the shortest interval, q{interval[1]}h")
    route = _ROUTES[route_match[1].lower()] if route_match else None
    if route is None and _PATCH.search(cleaned):
        route = "transdermal"
    prn_max, prn_max_doses = _prn_max(prn_max_match, None)
    return Sig(
        name=name,
        dose=dose,
        unit_assumed=assumed,
        frequency=frequency,
        prn=prn,
        prn_max=prn_max,
        prn_max_doses=prn_max_doses,
        route=route,
        strength=strength.group(0) if strength else None,
        note="; ".join(notes) or None,
        daily=daily,
        daily_note=daily_note,
    )


def stated_maximum(text: str) -> tuple[Quantity | None, float | None, str | None]:
    """A daily maximum stated in ``text`` ("max 400 mg/day", "not to exceed 5 doses a day"): the
    amount or the number of doses, or why it cannot be read; all None when none is stated."""
    match = _PRN_MAX.search(_clean(text))
    if match is None:
        return None, None, None
    if _unitless(match):
        return None, None, _UNREAD_MAXIMUM.format(match[0].strip())
    amount, doses = _prn_max(match, None)
    return amount, doses, None


def _unitless(match: re.Match[str]) -> bool:
    """ "max 4/day": 4 doses or 4 mg? A maximum with no unit is not read."""
    return not (match["unit"] or match["form"] or match["per"])


def _prn_max(
    match: re.Match[str] | None, strength: Quantity | None
) -> tuple[Quantity | None, float | None]:
    """A stated daily maximum: an amount, or a number of doses; in tablets only with a strength."""
    value = number(match["num"]) if match is not None else None
    if match is None or value is None:
        return None, None
    if match["per"]:
        return None, value
    if _unitless(match):
        return None, None
    if match["form"]:
        if strength is None:
            return None, None
        return Quantity(value * strength.value, strength.unit), None
    limit = in_mg(value, match["unit"])
    return (Quantity(limit.value, f"{limit.unit}/kg"), None) if match["kg"] else (limit, None)


def _regimen(
    parts: list[_Part],
    text: str,
    frequency: Frequency | None,
    prn: bool,
    prn_max: re.Match[str] | None,
    notes: list[str],
) -> tuple[Quantity | None, bool, Quantity | None, str | None]:
    """The largest dose per administration, whether its unit was assumed, and the daily dose
    of all the parts together (or None and why)."""
    dosed = [p for p in parts if p.atoms]
    strength = _strength(dosed, text)
    counting = any(a.kind == "count" for p in dosed for a in p.atoms)
    limit, limit_doses = _prn_max(prn_max, strength)
    doses: list[tuple[Quantity | None, str | None, Frequency | None]] = []
    assumed = False
    for part in dosed:
        dose, why, unit_assumed = _part_dose(part, text, strength, counting)
        assumed = assumed or unit_assumed
        own = _combined(list(part.frequencies), prn)
        doses.append((dose, why, own if len(dosed) > 1 else frequency))
        for rate in (a for a in part.atoms if a.kind == "per_hour"):
            notes.append(f"rate {rate.text}: counted around the clock, 24 hours a day")
        if any(a.ranged for a in part.atoms):
            ranged = next(a for a in part.atoms if a.ranged)
            notes.append(f"dose range {ranged.text}: screened at the upper bound")
    known = [d for d, _, _ in doses if d is not None]
    one_unit = known and len({q.unit for q in known}) == 1
    largest = max(known, key=lambda q: q.value) if one_unit else None
    if len(doses) <= 1:
        dose, why, _ = doses[0] if doses else (None, "no dose given: daily dose unknown", None)
        if dose is None and limit is None:
            return None, assumed, None, why
        return dose, assumed, *daily_dose(dose, frequency, limit, limit_doses)
    # A regimen in parts: every part needs a dose and a frequency, or the total is unknown.
    total, note = _summed(doses)
    if limit is not None and prn:
        return largest, assumed, limit, "prn, counted at its stated maximum"
    if limit is not None:
        return largest, assumed, *_capped(total, note, limit)
    if prn and total is not None:
        note = f"{note}; prn, counted at its scheduled maximum"
    return largest, assumed, total, note


def _summed(
    doses: list[tuple[Quantity | None, str | None, Frequency | None]],
) -> tuple[Quantity | None, str]:
    """The daily dose of a regimen in parts ("300 mg bd + 600 mg nocte"), and how it was summed."""
    for dose, why, own in doses:
        if dose is None:
            return None, why or "no dose given: daily dose unknown"
        if own is None:
            return None, f"part of the regimen ({dose}) has no frequency: daily dose unknown"
    given = [(dose, own) for dose, _, own in doses if dose is not None and own is not None]
    totals = [_daily(dose, own) for dose, own in given]
    unknown = next((why or "" for total, why in totals if total is None), None)
    known = [total for total, _ in totals if total is not None]
    if unknown is not None or not known:
        return None, unknown or "no dose given: daily dose unknown"
    if len({t.unit for t in known}) != 1:
        return None, "doses in different units: daily dose unknown"
    total = Quantity(sum(t.value for t in known), known[0].unit)
    said = " + ".join(f"{dose} {own.label}" for dose, own in given)
    return total, f"regimen in parts, summed: {said} = {total} a day"


def _capped(
    total: Quantity | None, note: str | None, limit: Quantity
) -> tuple[Quantity | None, str | None]:
    """A daily dose with a stated daily maximum: the lower of the two; the maximum alone when the
    schedule does not give a daily dose (it bounds what can be given)."""
    if total is not None and total.unit == f"{limit.unit}/kg":
        # "15 mg/kg qds max 4 g/day": the cap applies once the weight is known (see weighed)
        said = f"stated maximum {limit} a day"
        return total, f"{note}; {said}" if note else said
    if total is None or total.unit != limit.unit:
        return limit, "counted at its stated maximum"
    if limit.value < total.value:
        said = f"counted at its stated maximum, {limit}"
        return limit, f"{note}; {said}" if note else said
    return total, note


def hourly_daily(dose: Quantity) -> Quantity | None:
    """The daily amount of a rate per hour in mg or units ("2 mg/h": 48 mg), given around the
    clock; None for any other dose (a patch's mcg/h is a rate of its own, read as written)."""
    if dose.unit not in ("mg/h", "units/h"):
        return None
    return Quantity(dose.value * 24, dose.unit.removesuffix("/h"))


def _daily(dose: Quantity, frequency: Frequency) -> tuple[Quantity | None, str | None]:
    """A scheduled dose a day (a dose per kg gives a daily dose per kg)."""
    if dose.unit.endswith("/kg/day"):
        return Quantity(dose.value, dose.unit.removesuffix("/day")), None
    if (around_the_clock := hourly_daily(dose)) is not None:
        return around_the_clock, None
    per_day = 1.0 if frequency.per_day is None else frequency.per_day
    if dose.unit in ("mg", "mmol", "units", "mg/kg", "units/kg"):
        return Quantity(dose.value * per_day, dose.unit), None
    return None, f"dose in {dose.unit}: daily dose not computed"


def weighed(
    daily: Quantity | None,
    note: str | None,
    weight_kg: float | None,
    cap: Quantity | None = None,
) -> tuple[Quantity | None, str | None]:
    """A daily dose per kg ("mg/kg") for a patient of this weight: mg, at most ``cap`` (a
    stated daily maximum in mg); unknown without a weight."""
    if daily is None or not daily.unit.endswith("/kg"):
        return daily, note
    unit = daily.unit.removesuffix("/kg")
    if weight_kg is None:
        return None, (
            f"dose per kg ({daily.value:g} {unit}/kg a day): the patient's weight is needed; "
            "daily dose unknown"
        )
    said = f"{daily.value:g} {unit}/kg a day x {weight_kg:g} kg"
    total = Quantity(daily.value * weight_kg, unit)
    if cap is not None and cap.unit == unit and cap.value < total.value:
        said, total = f"{said}; counted at its stated maximum, {cap}", cap
    return total, f"{note}; {said}" if note else said


def normalize_route(text: str) -> str:
    """ "IV" -> "intravenous", "po" -> "oral"; an unknown route is kept as written, lowercased
    (not in :data:`ROUTES`)."""
    key = " ".join(text.strip().lower().split())
    return _ROUTE_FIELD.get(key, key)


def _strip_sig_words(name: str) -> str:
    words = name.split()
    while words and (
        _PRN.fullmatch(words[-1]) or _ROUTE.fullmatch(words[-1]) or parse_frequency(words[-1])
    ):
        words.pop()
    return " ".join(words)


def continues_sig(text: str) -> bool:
    """Whether text after a comma, "and", "+" reads as more of the same sig ("600 mg nocte",
    "then 1 g bd", "max 4 g a day"), rather than as the start of another item."""
    cleaned = _clean(text).lstrip(" ,;:+&(")
    first = _FIRST_WORD.match(cleaned)
    if first is None:
        return True
    if _DIGITS_HYPHEN_LETTER.match(first[0]):
        return False  # "5-hydroxytryptophan": a name that starts with a digit
    return first[0][0].isdigit() or bool(_PRN.match(cleaned)) or _continues(first[0])


def _continues(word: str) -> bool:
    """Whether a word belongs to a sig: a frequency, a route, a form, an instruction."""
    word = word.lower()
    return (
        word in _SIG_WORDS
        or word in COUNT_WORDS
        or bool(_ROUTE.fullmatch(word))
        or bool(_PRN.fullmatch(word))
        or parse_frequency(word) is not None
        or bool(_FORM.fullmatch(word))
    )


def item_text(text: str) -> str:
    """The text as one line, each line break a ";" (a new line may start another item)."""
    return _clean(_LINE_BREAKS.sub(" ; ", text.strip()))


# "+" and "&" with a space beside them: in a SMILES string they are a charge and a ring bond
_SEPARATOR = re.compile(r"\s*(?:[,;\n]|\s[+&]|[+&]\s|\band\b)\s*", re.IGNORECASE)


def item_breaks(text: str, name: str) -> list[tuple[int, int]]:
    """Where ``text`` may start another item: a separator after the drug ``name`` (which may
    itself hold one: "paracetamol and codeine") that is not followed by more of the same sig."""
    start = len(name) if text.startswith(name) else 0
    return [
        (m.start(), m.end())
        for m in _SEPARATOR.finditer(text, start)
        if _WORD_CHARACTER.search(text[: m.start()])
        and m.end() < len(text)
        and not continues_sig(text[m.end() :])
    ]


_WORD_START = re.compile(r"(?<![\w\-])[a-z][\w\-]*", re.IGNORECASE)


def word_breaks(text: str, name: str) -> list[int]:
    """Where a word after the drug's dose or frequency may start another drug written with no
    separator ("gabapentin 300 mg tds clonazepam 0.5 mg bd"): a word that is no sig word, with a
    dose or frequency of its own after it. Candidates only: the resolver confirms a drug's name."""
    start = len(name) if text.startswith(name) else 0
    breaks = []
    for m in _WORD_START.finditer(text, start):
        word = m[0].lower()
        if _continues(word) or word in UNIT_ALIASES:
            continue
        before = text[start : m.start()]
        if not (any(ch.isdigit() for ch in before) or parse_frequency(before)):
            continue
        after = parse_sig(text[m.start() :])
        dosed = after.dose is not None and not after.unit_assumed  # not "glucose 4-8"
        if after.name and (dosed or after.frequency is not None):
            breaks.append(m.start())
    return breaks


def daily_dose(
    dose: Quantity | None,
    frequency: Frequency | None,
    prn_max: Quantity | None,
    prn_max_doses: float | None,
) -> tuple[Quantity | None, str | None]:
    """The total daily dose, or None with the reason it cannot be computed.

    A stated daily maximum caps the schedule; with prn and no schedule it is the daily dose.
    prn with a schedule and no maximum is counted at the schedule. A dose per kg gives a daily
    dose per kg (see :func:`weighed`).
    """
    if dose is not None and dose.unit == "mcg/h":
        return dose, None  # a patch delivers its rate around the clock
    if dose is not None and dose.unit.endswith("/day"):
        total, note = Quantity(dose.value, dose.unit.removesuffix("/day")), None
    elif dose is not None and (around_the_clock := hourly_daily(dose)) is not None:
        total, note = around_the_clock, None
    elif dose is None:
        total, note = None, "no dose given: daily dose unknown"
    elif frequency is None or frequency.label == "prn":
        total, note = (
            None,
            (
                "prn with no stated maximum: daily dose unknown"
                if frequency
                else "no frequency given: daily dose unknown"
            ),
        )
    elif frequency.per_day is None:
        total, note = dose, "single dose"
    else:
        total, note = _daily(dose, frequency)
        if total is not None and frequency.prn:
            note = f"prn, counted at its scheduled maximum, {frequency.label}"
    limit = prn_max or (
        Quantity(dose.value * prn_max_doses, dose.unit)
        if dose is not None and prn_max_doses is not None
        else None
    )
    if limit is None:
        return total, note
    if frequency is not None and frequency.prn:
        return limit, "prn, counted at its stated maximum"  # as much as the prescriber allows a day
    if total is None:
        return limit, "counted at its stated maximum"
    return _capped(total, note, limit)
