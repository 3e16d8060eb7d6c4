"""Building check inputs from the compact rule examples."""

from __future__ import annotations

from datetime import date
from typing import Any

from pharmcheck.domain import DoseChange, Medication, Patient
from pharmcheck.inputs.sig import parse_dose
from pharmcheck.rules.base import Example

AS_OF = date(2026, 11, 25)


def patient_from(data: dict[str, Any]) -> Patient:
    fields = {k: v for k, v in data.items() if k not in ("as_of", "conditions")}
    return Patient(conditions=tuple(data.get("conditions", ())), **fields)


def medications_from(example: Example) -> list[Medication]:
    meds = []
    for text in example.medications:
        history = tuple(
            DoseChange(date.fromisoformat(day), parse_dose(dose)[0])  # type: ignore[arg-type]
            for day, dose in example.history.get(text, ())
        )
        stopped = text in example.stopped
        meds.append(
            Medication(
                name=text,
                history=history,
                status="stopped" if stopped else None,
                start=history[0].date if history else None,
            )
        )
    return meds
