"""The controlled values that scope a dose limit or a renal band, parsed once for build and rules.

A population is ``adult``, an age bound (``age>75``, ``age>=65``), a condition the patient has
(``with:epilepsy``; several as ``with:epilepsy|myoclonic-seizures``), or an antiseizure regimen
(``adjunctive``: another antiseizure drug is given; ``monotherapy``: none is). A fraction of the
usual dose is written ``a/b``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REGIMENS = ("adjunctive", "monotherapy")
_AGE = re.compile(r"age(>=|>)(\d+(?:\.\d+)?)")
_FRACTION = re.compile(r"(\d+)/(\d+)")


@dataclass(frozen=True)
class Population:
    text: str
    age_over: float | None = None  # the age must exceed this (or equal it when inclusive)
    inclusive: bool = False
    conditions: tuple[str, ...] = ()
    regimen: str | None = None

    def describe(self) -> str:
        if self.age_over is not None:
            return f"age {'>=' if self.inclusive else '>'}{self.age_over:g} years"
        if self.conditions:
            others = len(self.conditions) - 1
            more = f" or {others} related conditions" if others else ""
            return f"patients with {self.conditions[0]}{more}"
        return self.regimen or self.text


def parse_population(text: str) -> Population | None:
    """The population a limit applies to, or None when the text is not a controlled value."""
    if text == "adult":
        return Population(text)
    if text in REGIMENS:
        return Population(text, regimen=text)
    conditions = tuple(c for c in text.removeprefix("with:").split("|") if c)
    if text.startswith("with:") and conditions:
        return Population(text, conditions=conditions)
    age = _AGE.fullmatch(text)
    if age:
        return Population(text, age_over=float(age[2]), inclusive=age[1] == ">=")
    return None


def parse_fraction(text: str) -> float | None:
    """``2/3`` -> 0.667; None when the text is not a proper fraction."""
    match = _FRACTION.fullmatch(text.strip())
    if not match or int(match[2]) == 0 or not 0 < int(match[1]) < int(match[2]):
        return None
    return int(match[1]) / int(match[2])  # int / int is correctly rounded, as Fraction's float
