"""PC401-PC403 over a ward: per distinct regimen set, per distinct opioid list."""

from __future__ import annotations

import numpy as np

from pharmcheck.domain import ResolvedMedication
from pharmcheck.rules.dose import (
    ANTISEIZURE,
    dose_rule_drugs,
    dose_scope,
    maximum_findings,
    mme_findings,
    opioid_regimens,
    summed_over,
    total_daily_mg,
    unknown_dose_finding,
)
from pharmcheck.rules.ward import Emitted, Ward, distinct_rows, distinct_sets, frame


def totals(ward: Ward) -> list[float | None]:
    """Per signature, the summed daily dose in mg (None when one regimen's is unknown)."""
    return ward.memo("totals", lambda: ward.per_signature(lambda meds: total_daily_mg(meds)[0]))


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
    limited = {d for d, facts in ward.kb.dose_limits_by_drug.items() if facts}
    limited |= {
        d
        for d, yes in ward.per_drug(
            lambda ctx, d: bool(ctx.properties(d, "high_dose_threshold"))
        ).items()
        if yes
    }
    per_signature = totals(ward)
    known = np.array([t is not None for t in per_signature], dtype=bool)
    groups = np.flatnonzero(ward.drug_mask(limited))
    groups = groups[known[ward.group_signature[groups]]]
    patients = ward.group_patient[groups]
    antiseizure = ward.per_drug(lambda ctx, d: ctx.membership(d, ANTISEIZURE) is not None)
    is_antiseizure = ward.drug_mask({d for d, yes in antiseizure.items() if yes})
    count = np.bincount(ward.group_patient[is_antiseizure], minlength=len(ward.patients))
    other = (count[patients] - is_antiseizure[groups]) > 0
    myoclonus_of, myoclonus_states = ward.myoclonus
    dose_of, _ = ward.signature_reads(_dose_reads, groups)
    first, key = distinct_rows(
        dose_of[ward.group_signature[groups]],
        ward.patient_state[patients],
        myoclonus_of[patients],
        other,
    )
    results = []
    for g in first.tolist():
        signature = int(ward.group_signature[groups[g]])
        meds = ward.group_meds(signature)
        ctx = ward.context(int(patients[g]))  # its state (age, conditions) is the group's
        myoclonus = myoclonus_states[myoclonus_of[patients[g]]]
        scope = dose_scope(ctx, meds[0].drug_id, meds, myoclonus, bool(other[g]))
        total = per_signature[signature]
        results.append(maximum_findings(ctx, meds[0].drug_id, meds, total, scope))  # type: ignore[arg-type]
    return [ward.emit(patients, key, results)]


def _dose_reads(meds: list[ResolvedMedication]) -> tuple[object, ...]:
    """All PC402 reads of a drug's entries: the drug, the summed dose, the first route and text,
    the stated indication, the entries."""
    indication = next((m.indication for m in meds if m.indication), None)
    return (
        meds[0].drug_id,
        total_daily_mg(meds)[0],
        meds[0].route,
        meds[0].input,
        indication,
        summed_over(meds),
    )


@frame("PC403")
def dose_unknown_for_dose_rule(ward: Ward) -> list[Emitted]:
    groups = np.flatnonzero(ward.drug_mask(dose_rule_drugs(ward.kb)))
    signatures = ward.group_signature[groups]
    found = ward.per_signature(unknown_dose_finding, groups)
    results = [() if f is None else (f,) for f in found]
    return [ward.emit(ward.group_patient[groups], signatures, results)]
