"""Estimated creatinine clearance from serum creatinine (Cockcroft-Gault).

CrCl (mL/min) = (140 - age) x weight (kg) / (72 x serum creatinine (mg/dL)), x 0.85 for a
woman (Taber's Medical Dictionary, "Cockcroft-Gault formula", tabers.com; medicalalgorithms.com,
"Estimated creatinine clearance calculator": not per 1.73 m2). Serum creatinine in umol/L is
divided by 88.4 (creatinine's molar mass, 113.12 g/mol: 1 mg/dL = 10 mg/L = 88.4 umol/L).
"""

from __future__ import annotations

from dataclasses import dataclass

UMOL_PER_MG_DL = 88.4
CREATININE_UNITS = ("mg/dL", "umol/L")


@dataclass(frozen=True)
class CrClEstimate:
    """An estimate, or why there is none (``value`` None, ``missing`` the inputs it needs)."""

    value: float | None
    missing: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.value is None:
            return f"Cockcroft-Gault needs {', '.join(self.missing)}"
        return f"{self.value:.0f} mL/min (Cockcroft-Gault)"


def cockcroft_gault(
    age: float | None,
    weight_kg: float | None,
    sex: str | None,
    creatinine: float | None,
    unit: str = "mg/dL",
) -> CrClEstimate:
    """CrCl by Cockcroft-Gault; an unknown sex, age, weight or creatinine gives no estimate
    (never a guess: a woman's estimate is 15% lower than a man's)."""
    missing = tuple(
        name
        for name, value in (
            ("age", age),
            ("weight", weight_kg),
            ("sex (female or male)", sex if sex in ("female", "male") else None),
            ("serum creatinine", creatinine if creatinine and creatinine > 0 else None),
        )
        if value is None
    )
    if missing:
        return CrClEstimate(None, missing)
    assert age is not None and weight_kg is not None and creatinine is not None
    if unit not in CREATININE_UNITS:
        raise ValueError(f"serum creatinine unit must be one of {', '.join(CREATININE_UNITS)}")
    mg_dl = creatinine / UMOL_PER_MG_DL if unit == "umol/L" else creatinine
    value = (140 - age) * weight_kg / (72 * mg_dl)
    return CrClEstimate(max(value * (0.85 if sex == "female" else 1.0), 0.0))
