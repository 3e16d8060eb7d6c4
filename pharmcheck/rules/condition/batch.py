"""PC701-PC703 over a ward: per-drug facts against column states of the patient."""

from __future__ import annotations

import numpy as np

from pharmcheck.rules.condition import (
    as_had,
    condition_finding,
    condition_rules_of,
    drug_condition_contraindication,
    hepatic_of,
    merge_parents,
    renal_band_reported,
    reproductive_rules,
    reproductive_status_wanted,
    status_unknown_finding,
    syndrome_aggravation,
)
from pharmcheck.rules.organ import RENAL_CONDITIONS, renal_reads
from pharmcheck.rules.ward import Emitted, Ward, distinct_rows, frame


def _condition_frames(ward: Ward, rule_obj, kinds: tuple[str, ...]) -> list[Emitted]:  # type: ignore[no-untyped-def]
    """Each drug's condition rules that the patient's conditions match, merged as ``check``
    merges them, once per distinct (regimen set, matching rules)."""
    rules = ward.per_drug(
        lambda ctx, d: ctx.memo(("condition-rules", d, kinds), condition_rules_of, ctx, d, kinds)
    )
    emitted = []
    for drug, found in rules.items():
        if not found:
            continue
        groups = np.flatnonzero(ward.group_drug == drug)
        mask = np.zeros(len(groups), dtype=np.int64)
        for i, (_, _, condition, _) in enumerate(found):
            mask += (ward.condition(condition)[ward.group_patient[groups]] == 1).astype(
                np.int64
            ) << i
        renal_bits = sum(
            1 << i
            for i, (fact, _, condition, _) in enumerate(found)
            if fact["kind"] != "paradoxical" and condition in RENAL_CONDITIONS
        )
        if renal_bits:
            mask[renal_reported(ward, groups) == 1] &= ~renal_bits  # PC501 carries them
        has = mask > 0
        groups, mask = groups[has], mask[has]
        signatures = ward.group_signature[groups]
        patients = ward.group_patient[groups]
        first, key = distinct_rows(
            signatures, mask, *(_via(ward, c)[patients] for _, _, c, _ in found)
        )
        results = []
        for g in first.tolist():
            meds = ward.group_meds(int(signatures[g]))
            ctx = ward.context(int(patients[g]))
            matched = [
                (fact, meds, match, as_had(ctx, condition, label))
                for i, (fact, match, condition, label) in enumerate(found)
                if int(mask[g]) >> i & 1
            ]
            findings = [
                condition_finding(
                    rule_obj, fact, m, match, label, parents, hepatic_of(ward.lookup, fact, drug)
                )
                for fact, m, match, label, parents in merge_parents(ward.lookup, matched)
            ]
            results.append(tuple(f for f in findings if f is not None))
        emitted.append(ward.emit_distinct(ward.group_patient[groups], key, results))
    return emitted


def _via(ward: Ward, condition: str) -> np.ndarray:
    """Per patient, an id of the given descendants through which the patient has ``condition``
    (``CheckContext.condition_via``), which name it in the finding."""

    def compute() -> np.ndarray:
        ids: dict[tuple[str, ...], int] = {}
        return ward.per_condition_set(
            lambda ctx: ids.setdefault(ctx.condition_via(condition), len(ids)), np.int64
        )

    return ward.memo(("condition-via", condition), compute)


def renal_reported(ward: Ward, groups: np.ndarray) -> np.ndarray:
    """Per group, whether PC501 reports its drug for its patient (see ``renal_carried``)."""
    renal_of, renals = ward.renal
    carried = np.zeros(len(groups), dtype=np.int64)
    banded = np.flatnonzero(ward.drug_mask(set(ward.kb.renal_by_drug))[groups])
    if not len(banded):
        return carried
    patients = ward.group_patient[groups[banded]]
    drugs = ward.group_drug[groups[banded]]
    signatures = ward.group_signature[groups[banded]]
    reads_of, _ = ward.signature_reads(renal_reads, groups[banded])
    first, key = distinct_rows(drugs, renal_of[patients], reads_of[signatures])
    states = []
    for i in first.tolist():
        renal = renals[renal_of[patients[i]]]
        meds = ward.group_meds(int(signatures[i]))
        states.append(
            False if renal is None else renal_band_reported(ward.lookup, renal, int(drugs[i]), meds)
        )
    carried[banded] = np.array(states, dtype=np.int64)[key]
    return carried


@frame("PC701")
def syndrome_aggravation_frame(ward: Ward) -> list[Emitted]:
    return _condition_frames(ward, syndrome_aggravation, ("paradoxical",))


@frame("PC702")
def drug_condition_frame(ward: Ward) -> list[Emitted]:
    return _condition_frames(ward, drug_condition_contraindication, ("contraindication", "caution"))


@frame("PC703")
def childbearing_potential_unknown_frame(ward: Ward) -> list[Emitted]:
    """Per drug with reproductive rules, among the patients whose status the rule asks for, once
    per distinct drug and whether the sex is given."""
    drugs = {d for d, facts in ward.per_drug(reproductive_rules).items() if facts}
    wanted = ward.per_state(lambda ctx: reproductive_status_wanted(ctx.patient))
    sex_given = ward.per_state(lambda ctx: bool(ctx.patient.sex))
    groups = np.flatnonzero(ward.drug_mask(drugs))
    groups = groups[wanted[ward.group_patient[groups]]]
    patients, group_drugs = ward.group_patient[groups], ward.group_drug[groups]
    first, key = distinct_rows(group_drugs, sex_given[patients])
    results = [
        (status_unknown_finding(ward.lookup, drug, ward.drug_names[drug], given),)
        for drug, given in zip(
            group_drugs[first].tolist(), sex_given[patients[first]].tolist(), strict=True
        )
    ]
    return [ward.emit(patients, key, results)]
