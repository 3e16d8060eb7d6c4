"""PC501-PC503 over a ward: renal bands per distinct renal function and regimen; PC503 per
patient."""

from __future__ import annotations

import numpy as np

from pharmcheck.rules.organ import (
    HEPATIC_RANK,
    renal_band_applies,
    renal_condition_rules,
    renal_findings,
    renal_reads,
    renal_unknown_finding,
    renally_critical,
    reported_hepatic_cautions,
    with_cautions,
)
from pharmcheck.rules.ward import Emitted, Ward, distinct_rows, frame, patient_filter


@frame("PC501")
def renal_dose_band(ward: Ward) -> list[Emitted]:
    renal_of, renals = ward.renal
    groups = np.flatnonzero(ward.drug_mask(set(ward.kb.renal_by_drug)))
    groups = groups[_known(renal_of, renals)[ward.group_patient[groups]]]
    groups = groups[_band_applies(ward, groups)]
    patients = ward.group_patient[groups]
    reads_of, reads = ward.signature_reads(renal_reads, groups)
    drugs = ward.group_drug[groups]
    cautions = _renal_caution_mask(ward, groups)
    first, key = distinct_rows(
        drugs, renal_of[patients], reads_of[ward.group_signature[groups]], cautions
    )
    results = []
    for drug, read, renal, caution in zip(
        drugs[first].tolist(),
        reads_of[ward.group_signature[groups[first]]].tolist(),
        renal_of[patients[first]].tolist(),
        cautions[first].tolist(),
        strict=True,
    ):
        found = renal_findings(
            ward.lookup, drug, ward.drug_names[drug], renals[renal], *reads[read]
        )
        if caution:  # no condition rule applies: the findings as they are
            rules = renal_condition_rules(ward.lookup, drug)
            applying = tuple(
                (fact, label) for i, (fact, _, label) in enumerate(rules) if caution >> i & 1
            )
            found = with_cautions(found, applying)
        results.append(found)
    return [ward.emit(patients, key, results)]


def _band_applies(ward: Ward, groups: np.ndarray) -> np.ndarray:
    """Per group, whether a renal band of its drug applies to its patient's renal function and
    its first entry's route (``renal_band_applies``, once per distinct drug, function and route)."""
    renal_of, renals = ward.renal
    route_ids: dict[str | None, int] = {}
    med_route = np.fromiter(
        (route_ids.setdefault(m.route, len(route_ids)) for m in ward.meds),
        dtype=np.int64,
        count=len(ward.meds),
    )
    drugs = ward.group_drug[groups]
    renal = renal_of[ward.group_patient[groups]]
    first, key = distinct_rows(drugs, renal, med_route[ward.group_first_med[groups]])
    routes = list(route_ids)
    applies = np.array(
        [
            renal_band_applies(ward.lookup, drug, renals[r], routes[route])
            for drug, r, route in zip(
                drugs[first].tolist(),
                renal[first].tolist(),
                med_route[ward.group_first_med[groups[first]]].tolist(),
                strict=True,
            )
        ],
        dtype=bool,
    )
    return applies[key] if len(key) else np.zeros(0, dtype=bool)


def _renal_caution_mask(ward: Ward, groups: np.ndarray) -> np.ndarray:
    """Per group, which of its drug's renal condition rules the patient's conditions match
    (bits)."""
    mask = np.zeros(len(groups), dtype=np.int64)
    drugs = ward.group_drug[groups]
    patients = ward.group_patient[groups]
    for drug in np.unique(drugs).tolist():
        at = np.flatnonzero(drugs == drug)
        for i, (_, name, _) in enumerate(renal_condition_rules(ward.lookup, drug)):
            mask[at] += (ward.condition(name)[patients[at]] == 1).astype(np.int64) << i
    return mask


def _known(renal_of: np.ndarray, renals: list[object]) -> np.ndarray:
    """Per patient, whether the renal function is known."""
    return (
        np.array([r is not None for r in renals], dtype=bool)[renal_of]
        if renals
        else np.zeros(0, dtype=bool)
    )


@frame("PC502")
def renal_function_unknown(ward: Ward) -> list[Emitted]:
    renal_of, renals = ward.renal
    critical = ward.per_drug(renally_critical)
    groups = np.flatnonzero(ward.drug_mask({d for d, yes in critical.items() if yes}))
    groups = groups[~_known(renal_of, renals)[ward.group_patient[groups]]]
    return [ward.per_drug_set(groups, critical, lambda drugs: renal_unknown_finding(tuple(drugs)))]


@patient_filter("PC503")  # runs per patient: the hepatic level decides
def with_a_hepatic_caution(ward: Ward) -> np.ndarray:
    """Patients whose level of hepatic impairment gives one of their drugs a reported caution."""
    level = ward.per_state(lambda ctx: ctx.patient.hepatic_impairment, object)
    reported = ward.per_drug(
        lambda ctx, d: {n for n in HEPATIC_RANK if reported_hepatic_cautions(ctx, d, n)}
    )
    flagged = np.zeros(len(ward.patients), dtype=bool)
    for name in HEPATIC_RANK:
        drugs = {d for d, levels in reported.items() if name in levels}
        flagged |= (level == name) & ward.patients_among(ward.group_patient[ward.drug_mask(drugs)])
    return flagged
