"""PC6xx run per patient (they read dates and dose histories): which patients they can flag."""

from __future__ import annotations

import numpy as np

from pharmcheck.rules.time import (
    is_opioid,
    myoclonus_worsening,
    tolerance_profile,
    withdrawal_profile,
)
from pharmcheck.rules.ward import Ward, patient_filter, pick


def _patients_with(ward: Ward, entries: np.ndarray) -> np.ndarray:
    return ward.patients_among(ward.entry_patient[entries])


def _has_history(ward: Ward) -> np.ndarray:
    """Per entry: a dose history is given."""
    return pick(np.array([bool(m.history) for m in ward.meds], dtype=bool), ward.entry_med)


def _drug_in(ward: Ward, drugs: dict[int, object]) -> np.ndarray:
    """Per entry: its drug is one for which ``drugs`` holds a true value."""
    chosen = [d for d, value in drugs.items() if value]
    return np.isin(ward.med_drug[ward.entry_med], np.array(chosen, dtype=np.int64))


@patient_filter("PC601")
def on_a_dated_treatment_with_tolerance(ward: Ward) -> np.ndarray:
    """The course length needs a start date (or a history), escalation needs a history."""
    on_it = _drug_in(ward, ward.per_drug(tolerance_profile)) & ~ward.entry_stopped
    return _patients_with(ward, on_it & (ward.entry_started | _has_history(ward)))


@patient_filter("PC602")
def on_an_opioid_with_a_dose_history(ward: Ward) -> np.ndarray:
    opioid = _drug_in(ward, ward.per_drug(is_opioid))
    return _patients_with(ward, opioid & _has_history(ward) & ~ward.entry_stopped)


@patient_filter("PC621")
def worsening_with_a_dose_history(ward: Ward) -> np.ndarray:
    myoclonus_of, states = ward.myoclonus  # not part of the shared contexts
    worsening = pick(
        np.array([myoclonus_worsening(s) for s in states], dtype=bool),
        myoclonus_of,
    )
    flagged = _patients_with(ward, _has_history(ward) & ~ward.entry_stopped)
    flagged &= worsening
    return flagged


@patient_filter("PC611")
def with_a_stopped_entry_at_risk(ward: Ward) -> np.ndarray:
    """A stopped entry of a drug with a withdrawal risk."""
    at_risk = _drug_in(ward, ward.per_drug(withdrawal_profile))
    return _patients_with(ward, ward.entry_stopped & at_risk)
