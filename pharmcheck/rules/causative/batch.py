"""PC101 over a ward: worsening conditions as column states (PC204 reads them too)."""

from __future__ import annotations

import numpy as np

from pharmcheck.domain import Patient
from pharmcheck.inputs.formulation import formulation_of
from pharmcheck.rules.base import CheckContext
from pharmcheck.rules.causative import (
    REGIMEN_CONDITIONS,
    causing_text,
    context_conditions,
    raises_risk,
    regimen_condition,
    risk_assertion,
    treatment_candidates,
)
from pharmcheck.rules.causative import _describe as describe
from pharmcheck.rules.combination import interacts
from pharmcheck.rules.ward import (
    Emitted,
    Ward,
    code_state,
    distinct_rows,
    distinct_sets,
    frame,
    pick,
    same_patient_pairs,
    state_code,
)


def _asserted(ward: Ward) -> tuple[dict[int, object], np.ndarray, np.ndarray]:
    """Each drug's risk assertion, the groups whose drug has one, and their context codes."""
    return ward.memo("asserted", _compute_asserted, ward)


def _compute_asserted(ward: Ward) -> tuple[dict[int, object], np.ndarray, np.ndarray]:
    assertion = ward.per_drug(risk_assertion)
    groups = np.flatnonzero(ward.drug_mask({d for d, a in assertion.items() if a is not None}))
    return assertion, groups, context_codes(ward, assertion, groups)


def context_codes(ward: Ward, assertion: dict[int, object], groups: np.ndarray) -> np.ndarray:
    """Per group, the states of PC101's context conditions as base-3 digits (the digits' order
    is the conditions' order)."""
    codes = np.zeros(len(groups), dtype=np.int64)
    drugs = ward.group_drug[groups]
    patients = ward.group_patient[groups]
    for drug in np.unique(drugs).tolist():
        at = np.flatnonzero(drugs == drug)
        fact = assertion[drug][0]  # type: ignore[index]
        for digit, condition in enumerate(context_conditions(ward.lookup, drug, fact)):
            if condition in REGIMEN_CONDITIONS:
                state = _regimen_states(ward, condition, groups[at])
            else:
                state = ward.condition(condition)[patients[at]].astype(np.int64)
            codes[at] += state * 3**digit
    return codes


def interacting_pairs(ward: Ward) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered pair of groups of one patient whose drugs both take part in a KB interaction,
    as two arrays of groups (a patient's groups are distinct drugs); PC201 reads them too."""

    def compute() -> tuple[np.ndarray, np.ndarray]:
        participating = ward.per_drug(interacts)
        inter = np.flatnonzero(ward.drug_mask({d for d, yes in participating.items() if yes}))
        one, other = same_patient_pairs(ward.group_patient[inter])
        return inter[one], inter[other]

    return ward.memo("interacting-pairs", compute)


def _partners(ward: Ward, groups: np.ndarray) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Per group of ``groups``, an id into the distinct tuples of the patient's other drugs with a
    KB interaction raising this drug's risk (id 0 is the empty tuple)."""

    def compute() -> tuple[np.ndarray, list[tuple[str, ...]]]:
        one, other = interacting_pairs(ward)
        x, y = ward.group_drug[one], ward.group_drug[other]
        first, key = distinct_rows(x, y)
        raising = np.array(
            [raises_risk(ward.lookup, int(x[i]), int(y[i])) for i in first.tolist()], dtype=bool
        )
        kept = raising[key] if len(key) else np.zeros(0, dtype=bool)
        names = ward.drug_names
        in_order = sorted(names, key=names.__getitem__)  # partners are named in name order
        rank = np.zeros(max(names, default=0) + 1, dtype=np.int64)
        rank[in_order] = np.arange(len(in_order))
        group, partner = one[kept], rank[y[kept]]
        order = np.argsort(group * max(len(in_order), 1) + partner, kind="stable")
        groups, key, sets = distinct_sets(group[order], partner[order])
        per_group = np.zeros(len(ward.group_drug), dtype=np.int64)
        per_group[groups] = key + 1  # id 0 is no partner
        return per_group, [(), *(tuple(names[in_order[r]] for r in s) for s in sets)]

    per_group, tuples = ward.memo("raising-partners", compute)
    return per_group[groups], tuples


def _treated(ward: Ward, groups: np.ndarray) -> tuple[np.ndarray, list[str | None]]:
    """Per group, an id into the labels of the condition its drug treats (id 0 is None)."""
    labels: list[str | None] = [None]
    ids = np.zeros(len(groups), dtype=np.int64)
    drugs = ward.group_drug[groups]
    patients = ward.group_patient[groups]
    for drug in np.unique(drugs).tolist():
        candidates, aggravated = treatment_candidates(ward.lookup, drug)
        if not candidates:
            continue
        at = np.flatnonzero(drugs == drug)
        choice = np.full(len(at), -1, dtype=np.int64)
        for i, condition in enumerate(candidates):
            has = (ward.condition(condition)[patients[at]] == 1) & (choice < 0)
            choice[has] = i
        for condition in aggravated:
            choice[ward.condition(condition)[patients[at]] == 1] = -1
        for i in np.unique(choice[choice >= 0]).tolist():
            labels.append(describe(ward.lookup, candidates[i]))
            ids[at[choice == i]] = len(labels) - 1
    return ids, labels


def _regimen_states(ward: Ward, condition: str, groups: np.ndarray) -> np.ndarray:
    """Per group of ``groups``, the state of a condition read from its regimens, read once per
    distinct tuple of its entries' regimen reads."""
    read_of: dict[int, tuple[object, ...]] = ward.memo("regimen-reads", dict)
    signatures, inverse = np.unique(ward.group_signature[groups], return_inverse=True)
    by_reads: dict[tuple[tuple[object, ...], ...], int] = {}
    states = np.empty(len(signatures), dtype=np.int64)
    for i, s in enumerate(signatures.tolist()):
        entries = ward.signatures[s]
        reads = tuple(_regimen_read(ward, read_of, m) for m in entries)
        state = by_reads.get(reads)
        if state is None:
            meds = [ward.meds[m] for m in entries]
            state = by_reads[reads] = state_code(regimen_condition(ward.lookup, condition, meds))
        states[i] = state
    return pick(states, inverse.reshape(-1))


def _regimen_read(
    ward: Ward, read_of: dict[int, tuple[object, ...]], med: int
) -> tuple[object, ...]:
    """All the condition reads of a regimen: its drug, daily dose, history, route and formulation
    (a high dose is judged against the maximum for them)."""
    read = read_of.get(med)
    if read is None:
        m = ward.meds[med]
        read = (m.drug_id, m.daily_dose, m.history, m.route, formulation_of(m.input))
        read_of[med] = read
    return read


def decode(code: int, count: int) -> tuple[bool | None, ...]:
    return tuple(code_state((code // 3**digit) % 3) for digit in range(count))


@frame("PC101")
def myoclonus_causing_drug(ward: Ward) -> list[Emitted]:
    assertion, groups, codes = _asserted(ward)
    myoclonus, states = ward.myoclonus
    doses: dict[object, int] = {}
    dose_id = np.fromiter(
        (doses.setdefault(m.daily_dose, len(doses)) for m in ward.meds),
        dtype=np.int64,
        count=len(ward.meds),
    )
    partner_id, partner_tuples = _partners(ward, groups)
    treated_id, treated_labels = _treated(ward, groups)
    first_med = ward.group_first_med[groups]
    patients = ward.group_patient[groups]
    drugs = ward.group_drug[groups]
    first, text_key = distinct_rows(drugs, codes, myoclonus[patients], partner_id, treated_id)
    contexts = {
        m: CheckContext(ward.kb, Patient(myoclonus=m), (), ward.today, frozenset()) for m in states
    }
    texts = []
    for g in first.tolist():
        drug = int(drugs[g])
        found = assertion[drug]
        fact = found[0]  # type: ignore[index]
        ctx = contexts[states[myoclonus[patients[g]]]]
        count = len(context_conditions(ctx, drug, fact))
        texts.append(
            causing_text(
                ctx,
                found,  # type: ignore[arg-type]
                ward.meds[first_med[g]],
                decode(int(codes[g]), count),
                partner_tuples[partner_id[g]],
                treated_labels[treated_id[g]],
            )
        )
    first, key = distinct_rows(text_key, dose_id[first_med])  # the text, then its dose
    results = [
        (texts[text_key[g]].finding(ward.meds[first_med[g]].daily_dose),) for g in first.tolist()
    ]
    return [ward.emit(patients, key, results)]
