"""PC501, PC502, PC701 and PC702 over a ward: per-drug facts against column states of the patient."""

from __future__ import annotations

import numpy as np

from pharmcheck.batch.frames import frame
from pharmcheck.batch.ward import Emitted, Ward, distinct_rows
from pharmcheck.rules.condition import (
    condition_finding,
    condition_rules_of,
    drug_condition_contraindication,
    syndrome_aggravation,
)
from pharmcheck.rules.dose import summed_over, total_daily_mg
from pharmcheck.rules.organ import (
    doses_per_day,
    renal_findings,
    renal_unknown_finding,
    renally_critical,
)


@frame("PC501")
def renal_dose_band(ward: Ward) -> list[Emitted]:
    renal_of, renals = ward.renal
    groups = np.flatnonzero(ward.drug_mask(set(ward.kb.renal_by_drug)))
    groups = groups[_known(renal_of, renals)[ward.group_patient[groups]]]
    patients = ward.group_patient[groups]
    # what the finding reads of the entries: the first route, doses a day, summed dose, entries
    reads_of, reads = ward.signature_reads(
        lambda meds: (meds[0].route, doses_per_day(meds), total_daily_mg(meds)[0], summed_over(meds)),
        groups)
    drugs = ward.group_drug[groups]
    first, key = distinct_rows(drugs, renal_of[patients], reads_of[ward.group_signature[groups]])
    results = []
    for g in first.tolist():
        drug = int(drugs[g])
        read = reads[reads_of[ward.group_signature[groups[g]]]]
        renal = renals[renal_of[patients[g]]]
        results.append(renal_findings(ward.lookup, drug, ward.drug_names[drug], renal, *read))
    return [ward.emit(patients, key, results)]


def _known(renal_of: np.ndarray, renals: list[object]) -> np.ndarray:
    """Per patient, whether the renal function is known."""
    return np.array([r is not None for r in renals], dtype=bool)[renal_of] if renals else np.zeros(0, dtype=bool)


@frame("PC502")
def renal_function_unknown(ward: Ward) -> list[Emitted]:
    renal_of, renals = ward.renal
    critical = ward.per_drug(renally_critical)
    groups = np.flatnonzero(ward.drug_mask({d for d, yes in critical.items() if yes}))
    groups = groups[~_known(renal_of, renals)[ward.group_patient[groups]]]
    return [ward.per_drug_set(groups, critical, lambda drugs: renal_unknown_finding(tuple(drugs)))]


def _condition_frames(ward: Ward, rule_obj, kinds: tuple[str, ...]) -> list[Emitted]:  # type: ignore[no-untyped-def]
    """Each (drug, condition rule) whose condition the patient has, once per distinct regimen set."""
    rules = ward.per_drug(lambda ctx, d: ctx.memo(("condition-rules", d, kinds), condition_rules_of, ctx, d, kinds))
    emitted = []
    for drug, found in rules.items():
        if not found:
            continue
        groups = np.flatnonzero(ward.group_drug == drug)
        for fact, match, condition, label in found:
            has = groups[ward.condition(condition)[ward.group_patient[groups]] == 1]
            signatures = ward.group_signature[has]
            first, key = distinct_rows(signatures)
            results = []
            for s in signatures[first].tolist():
                finding = condition_finding(rule_obj, fact, ward.group_meds(s), match, label)
                results.append(() if finding is None else (finding,))
            emitted.append(ward.emit(ward.group_patient[has], key, results))
    return emitted


@frame("PC701")
def syndrome_aggravation_frame(ward: Ward) -> list[Emitted]:
    return _condition_frames(ward, syndrome_aggravation, ("paradoxical",))


@frame("PC702")
def drug_condition_frame(ward: Ward) -> list[Emitted]:
    return _condition_frames(ward, drug_condition_contraindication, ("contraindication", "caution"))
