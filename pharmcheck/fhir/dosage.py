"""FHIR R4 Dosage: one instruction's dose, frequency and daily maximum, read as pharmcheck reads
a sig: correctly, or unknown with the reason, never smaller.

- ``doseAndRate``: an ``ordered`` dose before a ``calculated`` one; a ``doseRange`` is read at
  its high end (unknown without one, never its low end).
- ``timing.repeat``: the most administrations a day it allows: ``frequencyMax`` over
  ``frequency``, the shorter of ``period`` and ``periodMax``; ``when``/``timeOfDay`` counted a
  day when no frequency is given; ``timing.code`` (BID, TID, Q6H, ...) when no repeat is.
- ``asNeeded``: counted at ``maxDosePerPeriod`` when given (the lower of it and the schedule),
  else at the schedule's maximum, else unknown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pharmcheck.domain import Quantity
from pharmcheck.fhir.codes import COUNT_UNITS, DOSE_UNITS, PERIOD_DAYS, TIMING_CODES, UCUM
from pharmcheck.inputs.sig import ROUTES, normalize_route, parse_frequency

_ROUTE_WORDS = (
    ("intravenous", "intravenous"),
    ("intramuscular", "intramuscular"),
    ("subcutaneous", "subcutaneous"),
    ("transdermal", "transdermal"),
    ("oral", "oral"),
)
_NAMED_PER_DAY = {0.5: "every other day", 1 / 7: "weekly", 2 / 7: "twice weekly"}
_NAMED_PER_DAY[3 / 7] = "three times weekly"
_TIMES = {1: "daily", 2: "bid", 3: "tid", 4: "qid"}


@dataclass(frozen=True)
class Strength:
    """The product's amount per countable unit (a tablet, a capsule) and per mL, when known."""

    per_count: Quantity | None = None
    per_ml: Quantity | None = None


@dataclass(frozen=True)
class Instruction:
    """One Dosage, read. ``dose`` is per administration in a unit pharmcheck reads; ``per_day``
    the most administrations a day; ``prn_max`` a day's stated maximum."""

    dose: Quantity | None
    per_day: float | None
    label: str | None
    prn: bool
    prn_max: Quantity | None
    sequence: int | None
    route: str | None
    text: str | None
    notes: tuple[str, ...] = ()

    def daily(self) -> tuple[Quantity | None, str | None]:
        """The most this instruction gives a day, or None with why."""
        if self.dose is not None and self.dose.unit == "mcg/h":
            return self.dose, None  # a patch delivers its rate around the clock
        scheduled = None
        if self.dose is not None and self.per_day is not None:
            scheduled = Quantity(self.dose.value * self.per_day, self.dose.unit)
        if self.prn_max is not None:
            if scheduled is None or scheduled.unit != self.prn_max.unit:
                return self.prn_max, None
            return (self.prn_max if self.prn_max.value < scheduled.value else scheduled), None
        if scheduled is not None:
            return scheduled, None
        if self.dose is None:
            return None, "no dose that can be read"
        return None, "prn with no stated maximum" if self.prn else "no frequency given"

    def describe(self) -> str:
        dose = str(self.dose) if self.dose else "dose unknown"
        how = self.label or (f"{self.per_day:g} a day" if self.per_day else "no schedule")
        prn = " prn" if self.prn else ""
        limit = f", max {self.prn_max} a day" if self.prn_max else ""
        return f"{dose} {how}{prn}{limit}"


def read_instruction(dosage: Any, strength: Strength) -> Instruction:
    """One Dosage (R4B model) read for its dose, schedule and maximum."""
    notes: list[str] = []
    dose = _dose(dosage, strength, notes)
    per_day, label = _schedule(dosage.timing, notes)
    prn = bool(dosage.asNeededBoolean) or dosage.asNeededCodeableConcept is not None
    prn_max = _max_per_day(dosage.maxDosePerPeriod, strength, notes)
    return Instruction(
        dose=dose,
        per_day=per_day,
        label=label,
        prn=prn,
        prn_max=prn_max,
        sequence=dosage.sequence,
        route=_route(dosage.route, notes),
        text=dosage.text,
        notes=tuple(notes),
    )


def _dose(dosage: Any, strength: Strength, notes: list[str]) -> Quantity | None:
    entries = list(dosage.doseAndRate or [])
    ordered = [e for e in entries if _type_code(e) == "ordered"]
    chosen = ordered or entries
    doses: list[Quantity] = []
    for entry in chosen:
        if entry.doseRange is not None:
            high = entry.doseRange.high
            if high is None or high.value is None:
                notes.append("dose range without a high end: dose unknown (never its low end)")
                return None
            read = amount(high, strength, notes)
            if read is not None:
                notes.append(f"dose range read at its high end, {read}")
        elif entry.doseQuantity is not None:
            read = amount(entry.doseQuantity, strength, notes)
        else:
            continue
        if read is None:
            return None
        doses.append(read)
    if not doses:
        if dosage.text:
            notes.append(f"dose given only as text ({dosage.text!r:.80}): not read")
        return None
    if len({d.unit for d in doses}) > 1:
        notes.append("doses in different units: dose unknown")
        return None
    return max(doses, key=lambda d: d.value)


def _type_code(entry: Any) -> str | None:
    codings = entry.type.coding if entry.type is not None and entry.type.coding else []
    return next((c.code for c in codings if c.code), None)


def amount(quantity: Any, strength: Strength, notes: list[str]) -> Quantity | None:
    """A Quantity as an amount pharmcheck reads (a count of tablets times its strength, mL times
    its concentration), or None with a note."""
    value = _number(quantity.value)
    if value is None:
        notes.append(f"dose value {quantity.value!s:.20} is not a positive number: dose unknown")
        return None
    code = quantity.code if quantity.code and quantity.system in (None, UCUM) else None
    written = (code or quantity.unit or "").strip().lower()
    if written in COUNT_UNITS:
        if strength.per_count is None:
            notes.append(
                f"dose of {value:g} {quantity.unit or written} without a strength: unknown"
            )
            return None
        return Quantity(value * strength.per_count.value, strength.per_count.unit)
    unit = DOSE_UNITS.get(written) or DOSE_UNITS.get((quantity.unit or "").strip().lower())
    if unit is None:
        notes.append(f"dose unit {quantity.unit or quantity.code!s:.20} is not read: dose unknown")
        return None
    if unit == "mL" and strength.per_ml is not None:
        return Quantity(value * strength.per_ml.value, strength.per_ml.unit)
    if unit in ("g", "mcg"):
        return Quantity(value * (1000.0 if unit == "g" else 0.001), "mg")
    return Quantity(value, unit)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _schedule(timing: Any, notes: list[str]) -> tuple[float | None, str | None]:
    """The most administrations a day the timing allows, and a frequency pharmcheck reads."""
    if timing is None:
        return None, None
    repeat = timing.repeat
    if repeat is not None and (repeat.frequency is not None or repeat.period is not None):
        return _repeat(repeat, notes)
    if repeat is not None and (repeat.when or repeat.timeOfDay):
        times = len(set(repeat.when or [])) + len(set(repeat.timeOfDay or []))
        return float(times), _label(float(times), None)
    code = timing.code.coding if timing.code is not None and timing.code.coding else []
    for coding in code:
        per_day = TIMING_CODES.get(str(coding.code or "").upper())
        if per_day is not None:
            return per_day, _label(per_day, None)
    if timing.event:
        notes.append("timing given only as events: frequency unknown")
    elif timing.code is not None:
        notes.append("timing code not read: frequency unknown")
    return None, None


def _repeat(repeat: Any, notes: list[str]) -> tuple[float | None, str | None]:
    count = max(repeat.frequency or 1, repeat.frequencyMax or 0)
    if count < 1:
        notes.append(f"timing frequency {count} is not a positive number: frequency unknown")
        return None, None
    unit = repeat.periodUnit
    days = PERIOD_DAYS.get(unit) if unit else None
    periods = [p for p in (_number(repeat.period), _number(repeat.periodMax)) if p is not None]
    if days is None or not periods:
        notes.append(f"timing period {repeat.period!s:.12} {unit!s:.8} not read: frequency unknown")
        return None, None
    shortest = min(periods)
    per_day = count / (shortest * days)
    if repeat.frequencyMax or repeat.periodMax:
        notes.append(f"timing range counted at its most, {per_day:g} a day")
    hours = shortest * days * 24
    interval = None
    if count == 1 and unit == "h" and float(shortest).is_integer():
        longest = max(periods)
        interval = f"q{shortest:g}h" if longest == shortest else f"q{shortest:g}-{longest:g}h"
    return per_day, _label(per_day, interval if hours >= 1 else None)


def _label(per_day: float, interval: str | None) -> str | None:
    """A frequency text pharmcheck reads as exactly ``per_day`` administrations a day."""
    candidates = [interval] if interval else []
    if float(per_day).is_integer() and per_day >= 1:
        candidates.append(_TIMES.get(int(per_day), f"{int(per_day)} times a day"))
    candidates += [name for n, name in _NAMED_PER_DAY.items() if math.isclose(n, per_day)]
    for text in candidates:
        read = parse_frequency(text)
        if read is not None and read.per_day is not None and math.isclose(read.per_day, per_day):
            return text
    return None


def _max_per_day(ratio: Any, strength: Strength, notes: list[str]) -> Quantity | None:
    """maxDosePerPeriod as the most a day: scaled up to a day for a shorter period; for a longer
    one, the whole amount (it may all be given in one day)."""
    if ratio is None or ratio.numerator is None:
        return None
    most = amount(ratio.numerator, strength, notes)
    denominator = ratio.denominator
    value = _number(denominator.value) if denominator is not None else None
    unit = (denominator.code or denominator.unit) if denominator is not None else None
    days = PERIOD_DAYS.get(str(unit)) if unit else None
    if most is None or value is None or days is None:
        notes.append("maxDosePerPeriod not read")
        return None
    period = value * days
    return Quantity(most.value / period, most.unit) if period < 1 else most


def _route(route: Any, notes: list[str]) -> str | None:
    if route is None:
        return None
    texts = [route.text or ""] + [c.display or "" for c in route.coding or []]
    for text in texts:
        lowered = text.lower()
        for word, name in _ROUTE_WORDS:
            if word in lowered:
                return name
    first = next((t for t in texts if t.strip()), None)
    if first is None:
        return None
    read = normalize_route(first)
    if read not in ROUTES:  # said, not kept: a limit's route could not match it
        notes.append(f"route {first!r:.60} is not one pharmcheck reads: read as not given")
        return None
    return read
