"""Creatinine clearance estimated from serum creatinine by the Cockcroft-Gault formula.

Cockcroft DW, Gault MH. Prediction of creatinine clearance from serum creatinine.
Nephron 1976;16(1):31-41 (doi:10.1159/000180580):

    CrCl (mL/min) = (140 - age in years) x weight in kg / (72 x serum creatinine in mg/dL),
    x 0.85 for a woman.

The formula was derived in adults with actual body weight; it is not used for a child, nor
for a patient whose sex is neither female nor male (it has no term for one), and the estimate
always says what it was computed from.
"""

from __future__ import annotations

from dataclasses import dataclass

from pharmcheck.domain import Quantity
from pharmcheck.errors import InputError

CITATION = "Cockcroft DW, Gault MH. Nephron 1976;16:31-41"
#: Creatinine, 113.12 g/mol: 1 mg/dL = 10 mg/L / 113.12 g/mol = 88.4 umol/L.
UMOL_PER_L_PER_MG_DL = 88.4
#: Units a serum creatinine is given in, as written (lower case) -> as pharmcheck names them.
CREATININE_UNITS = {
    "mg/dl": "mg/dL",
    "umol/l": "umol/L",
    "µmol/l": "umol/L",
    "μmol/l": "umol/L",
    "micromol/l": "umol/L",
}
#: A serum creatinine outside this range (mg/dL) is a typo or a unit mix-up, refused.
PLAUSIBLE_CREATININE_MG_DL = (0.1, 30.0)
ADULT_AGE = 18


def creatinine_quantity(value: float, unit: str) -> Quantity:
    """A serum creatinine as given (mg/dL or umol/L), refusing an unknown unit or an implausible
    value with a one-line :class:`InputError`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"serum creatinine must be a number, got {value!r:.60}")
    if not isinstance(unit, str):
        raise InputError(f"serum creatinine unit must be a text, got {unit!r:.60}")
    name = CREATININE_UNITS.get(unit.strip().lower().replace(" ", ""))
    if name is None:
        raise InputError(f"serum creatinine unit {unit!r:.40} is not mg/dL or umol/L")
    quantity = Quantity(float(value), name)
    low, high = PLAUSIBLE_CREATININE_MG_DL
    if not low <= creatinine_mg_dl(quantity) <= high:
        raise InputError(
            f"serum creatinine {value:g} {name} is outside the plausible range "
            f"{low:g}-{high:g} mg/dL ({low * UMOL_PER_L_PER_MG_DL:g}-"
            f"{high * UMOL_PER_L_PER_MG_DL:g} umol/L)"
        )
    return quantity


def creatinine_mg_dl(creatinine: Quantity) -> float:
    """A serum creatinine in mg/dL."""
    if creatinine.unit == "umol/L":
        return creatinine.value / UMOL_PER_L_PER_MG_DL
    return creatinine.value


@dataclass(frozen=True)
class CockcroftGault:
    """A CrCl estimated by Cockcroft-Gault, with the inputs it was computed from."""

    crcl: float
    age: float
    weight_kg: float
    sex: str
    creatinine: Quantity

    def basis(self) -> str:
        """How the value was estimated, in short, as a finding shows it beside the value."""
        return (
            f"Cockcroft-Gault estimate from age {self.age:g}, weight {self.weight_kg:g} kg, "
            f"{self.sex}, serum creatinine {self.creatinine}"
        )

    def describe(self) -> str:
        """The formula with its inputs and result, as a report shows it."""
        given = (
            f"{creatinine_mg_dl(self.creatinine):.2f} mg/dL"
            if self.creatinine.unit == "mg/dL"
            else f"{self.creatinine} = {creatinine_mg_dl(self.creatinine):.2f} mg/dL"
        )
        female = " x 0.85 (female)" if self.sex == "female" else ""
        return (
            f"CrCl estimated by Cockcroft-Gault ({CITATION}): (140 - age {self.age:g}) x weight "
            f"{self.weight_kg:g} kg / (72 x serum creatinine {given}){female} = "
            f"{self.crcl:.1f} mL/min"
        )


def cockcroft_gault(
    creatinine: Quantity, age: float | None, weight_kg: float | None, sex: str | None
) -> CockcroftGault | str:
    """The Cockcroft-Gault estimate, or why it cannot be made (a missing or unsuitable input)."""
    missing = [
        name for name, value in (("age", age), ("weight", weight_kg), ("sex", sex)) if value is None
    ]
    if missing:
        return f"CrCl not estimated from serum creatinine: {' and '.join(missing)} not given"
    assert age is not None and weight_kg is not None and sex is not None
    if sex not in ("female", "male"):
        return (
            f"CrCl not estimated from serum creatinine: Cockcroft-Gault has no term for sex {sex!r}"
        )
    if age < ADULT_AGE:
        return (
            f"CrCl not estimated from serum creatinine: Cockcroft-Gault is an adult formula "
            f"(age {age:g})"
        )
    crcl = (140 - age) * weight_kg / (72 * creatinine_mg_dl(creatinine))
    if sex == "female":
        crcl *= 0.85
    return CockcroftGault(crcl, age, weight_kg, sex, creatinine)
