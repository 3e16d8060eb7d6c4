"""PC6xx run per patient (they read dates and dose histories): which patients they can flag."""

from __future__ import annotations

import numpy as np

from pharmcheck.rules.ward import Ward, patient_filter, pick


def _patients_with(ward: Ward, entries: np.ndarray) -> np.ndarray:
    mask = np.zeros(len(ward.patients), dtype=bool)
    mask[ward.entry_patient[entries]] = True
    return mask


def _has_history(ward: Ward) -> np.ndarray:
    """Per entry: a dose history is given."""
    return pick(np.array([bool(m.history) for m in ward.meds], dtype=bool), ward.entry_med)


@patient_filter("PC601")
def on_a_dated_treatment_with_tolerance(ward: Ward) -> np.ndarray:
    """The course length needs a start date (or a history), escalation needs a history."""
    tolerance = {
        d for d, facts in ward.kb.treatments_by_drug.items() if facts and facts[0]["tolerance"]
    }
    on_it = np.isin(ward.med_drug[ward.entry_med], list(tolerance)) & ~ward.entry_stopped
    return _patients_with(ward, on_it & (ward.entry_started | _has_history(ward)))


@patient_filter("PC602", "PC621")
def with_a_dose_history(ward: Ward) -> np.ndarray:
    return _patients_with(ward, _has_history(ward) & ~ward.entry_stopped)


@patient_filter("PC611")
def with_a_stopped_entry(ward: Ward) -> np.ndarray:
    return _patients_with(ward, ward.entry_stopped)
