"""Which patients the rules without a frame form can flag: they run per patient, on those only."""

from __future__ import annotations

import numpy as np

from pharmcheck.batch.frames import patient_filter
from pharmcheck.batch.ward import Ward
from pharmcheck.rules.organ import HEPATIC_RANK


def _patients_with(ward: Ward, entries: np.ndarray) -> np.ndarray:
    mask = np.zeros(len(ward.patients), dtype=bool)
    mask[ward.entry_patient[entries]] = True
    return mask


@patient_filter("PC503")
def hepatic_impairment_given(ward: Ward) -> np.ndarray:
    return np.array([p.hepatic_impairment in HEPATIC_RANK for p in ward.patients], dtype=bool)


def _has_history(ward: Ward) -> np.ndarray:
    """Per entry: a dose history is given."""
    return np.array([bool(m.history) for m in ward.meds], dtype=bool)[ward.entry_med]


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


@patient_filter("PC703")
def reproductive_status_not_given(ward: Ward) -> np.ndarray:
    return np.array(
        [p.pregnant is None and p.childbearing_potential is None for p in ward.patients], dtype=bool
    )


@patient_filter("PC801", "PC802")
def with_structures(ward: Ward) -> np.ndarray:
    return ward.has_structures
