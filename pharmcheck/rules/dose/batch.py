"""PC401-PC403 over a ward: per distinct regimen set, per distinct opioid list."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pharmcheck.rules.dose import (
    ANTISEIZURE,
    DoseScope,
    ScopeEntries,
    dose_rule_drugs,
    dose_scope,
    maximum_findings,
    mme_findings,
    opioid_regimens,
    scope_patient,
    scope_reads,
    summed_over,
    total_daily_mg,
    unknown_dose_finding,
)
from pharmcheck.rules.ward import Emitted, Ward, distinct_rows, distinct_sets, frame


@frame("PC401")
def opioid_mme_total(ward: Ward) -> list[Emitted]:
    opioid = ward.per_drug(lambda ctx, d: ctx.membership(d, "opioid") is not None)
    groups = np.flatnonzero(ward.drug_mask({d for d, yes in opioid.items() if yes}))
    reads, regimens = ward.signature_reads(opioid_regimens, groups)
    patients, key, sets = distinct_sets(
        ward.group_patient[groups], reads[ward.group_signature[groups]]
    )
    results = [mme_findings(ward.lookup, tuple(regimens[r] for r in opioids)) for opioids in sets]
    return [ward.emit(patients, key, results)]


@frame("PC402")
def above_maximum_daily_dose(ward: Ward) -> list[Emitted]:
    """Each scope once per distinct drug, entry reads and patient reads; each finding once per
    distinct drug, dose and scope (the reads ``check`` memoises it on)."""
    limited = {d for d, facts in ward.kb.dose_limits_by_drug.items() if facts}
    limited |= {
        d
        for d, yes in ward.per_drug(
            lambda ctx, d: bool(ctx.properties(d, "high_dose_threshold"))
        ).items()
        if yes
    }
    groups = np.flatnonzero(ward.drug_mask(limited))
    dose_of, doses = ward.signature_reads(
        lambda meds: (total_daily_mg(meds)[0], summed_over(meds)), groups
    )
    known = np.array([total is not None for total, _ in doses], dtype=bool)
    groups = groups[known[dose_of[ward.group_signature[groups]]]]
    signatures = ward.group_signature[groups]
    drugs = ward.group_drug[groups]
    entries_of, entries = ward.signature_reads(ScopeEntries.of, groups)
    patient_of, representative = _scope_patient_reads(ward, groups)
    first, scope_key = distinct_rows(drugs, entries_of[signatures], patient_of)
    myoclonus_of, myoclonus_states = ward.myoclonus
    scope_ids: dict[DoseScope, int] = {}
    scope_of = np.empty(len(first), dtype=np.int64)
    for i, g in enumerate(first.tolist()):
        patient, other = representative[patient_of[g]]
        reads = scope_patient(
            ward.context(patient),  # its state (age, conditions) is the group's
            int(drugs[g]),
            myoclonus_states[myoclonus_of[patient]],
            other,
        )
        scope = dose_scope(ward.lookup, int(drugs[g]), entries[entries_of[signatures[g]]], reads)
        scope_of[i] = scope_ids.setdefault(scope, len(scope_ids))
    scopes = list(scope_ids)
    first, key = distinct_rows(drugs, dose_of[signatures], scope_of[scope_key])
    results = []
    for g in first.tolist():
        meds = ward.group_meds(int(signatures[g]))
        total = doses[dose_of[signatures[g]]][0]
        scope = scopes[scope_of[scope_key[g]]]
        results.append(maximum_findings(ward.lookup, int(drugs[g]), meds, total, scope))
    return [ward.emit(ward.group_patient[groups], key, results)]


def _scope_patient_reads(
    ward: Ward, groups: np.ndarray
) -> tuple[np.ndarray, list[tuple[int, bool]]]:
    """Per group, an id of what ``scope_patient`` reads of its patient for its drug (the
    :class:`ScopeReads` of the drug: age, conditions, myoclonus, another antiseizure drug); per
    id, a patient and that flag that read it."""
    drugs = ward.group_drug[groups]
    patients = ward.group_patient[groups]
    antiseizure = ward.per_drug(lambda ctx, d: ctx.membership(d, ANTISEIZURE) is not None)
    is_antiseizure = ward.drug_mask({d for d, yes in antiseizure.items() if yes})
    count = np.bincount(ward.group_patient[is_antiseizure], minlength=len(ward.patients))
    other = (count[patients] - is_antiseizure[groups]) > 0
    columns = [np.zeros(len(groups), dtype=np.int64) for _ in range(3)]  # age, myoclonus, other
    conditions: dict[str, np.ndarray] = {}
    age = ward.memo(
        "age-codes", lambda: pd.factorize(ward.per_state(lambda c: c.patient.age, object))[0]
    )
    myoclonus_of, _ = ward.myoclonus
    for drug in np.unique(drugs).tolist():
        reads = scope_reads(ward.lookup, drug)
        at = np.flatnonzero(drugs == drug)
        if reads.age:
            columns[0][at] = age[patients[at]] + 1
        if reads.myoclonus:
            columns[1][at] = myoclonus_of[patients[at]] + 1
        if reads.regimen:
            columns[2][at] = other[at] + 1
        for condition in reads.conditions:
            column = conditions.setdefault(condition, np.zeros(len(groups), dtype=np.int64))
            column[at] = ward.condition(condition)[patients[at]] + 1
    first, key = distinct_rows(drugs, *columns, *conditions.values())
    return key, [(int(patients[g]), bool(other[g])) for g in first.tolist()]


@frame("PC403")
def dose_unknown_for_dose_rule(ward: Ward) -> list[Emitted]:
    groups = np.flatnonzero(ward.drug_mask(dose_rule_drugs(ward.kb)))
    signatures = ward.group_signature[groups]
    found = ward.per_signature(unknown_dose_finding, groups)
    results = [() if f is None else (f,) for f in found]
    return [ward.emit_distinct(ward.group_patient[groups], signatures, results)]
