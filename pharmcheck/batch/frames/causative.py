"""PC101 and PC204 over a ward: worsening conditions as column states."""

from __future__ import annotations

import numpy as np

from pharmcheck.batch.frames import frame
from pharmcheck.batch.ward import (
    UNKNOWN,
    Emitted,
    Ward,
    code_state,
    distinct_rows,
    state_code,
)
from pharmcheck.domain import Patient
from pharmcheck.rules.base import CheckContext
from pharmcheck.rules.causative import (
    REGIMEN_CONDITIONS,
    _causing_finding,
    regimen_condition,
    risk_assertion,
    split_worsening,
    worsening_conditions,
)
from pharmcheck.rules.combination import load_finding


def _asserted(ward: Ward) -> tuple[dict[int, object], np.ndarray, np.ndarray]:
    """Each drug's risk assertion, the groups whose drug has one, and their worsening codes."""
    return ward.memo("asserted", _compute_asserted, ward)  # type: ignore[no-any-return]


def _compute_asserted(ward: Ward) -> tuple[dict[int, object], np.ndarray, np.ndarray]:
    assertion = ward.per_drug(risk_assertion)
    groups = np.flatnonzero(ward.drug_mask({d for d, a in assertion.items() if a is not None}))
    return assertion, groups, worsening_codes(ward, assertion, groups)


def worsening_codes(ward: Ward, assertion: dict[int, object], groups: np.ndarray) -> np.ndarray:
    """Per group, the states of its assertion's worsening conditions as base-3 digits (the
    digits' order is the conditions' order)."""
    codes = np.zeros(len(groups), dtype=np.int64)
    drugs = ward.group_drug[groups]
    patients = ward.group_patient[groups]
    asserted_per_patient = np.bincount(patients, minlength=len(ward.patients))
    for drug in np.unique(drugs).tolist():
        at = np.flatnonzero(drugs == drug)
        fact = assertion[drug][0]  # type: ignore[index]
        for digit, condition in enumerate(worsening_conditions(ward.lookup, fact)):
            if condition == "interacting-drug":
                state = (asserted_per_patient[patients[at]] > 1).astype(np.int64)
            elif condition in REGIMEN_CONDITIONS:
                state = _regimen_states(ward, condition, groups)[ward.group_signature[groups[at]]]
            else:
                state = ward.condition(condition)[patients[at]].astype(np.int64)
            codes[at] += state * 3 ** digit
    return codes


def _regimen_states(ward: Ward, condition: str, groups: np.ndarray) -> np.ndarray:
    """Per signature of the asserted groups, the state of a condition read from the regimens."""
    def compute() -> np.ndarray:
        # All the condition reads of a regimen: its drug, daily dose and history; one call per distinct.
        reads: dict[tuple[object, ...], int] = {}
        first: list[int] = []
        read_of = np.empty(len(ward.meds), dtype=np.int64)
        for i, m in enumerate(ward.meds):
            read_of[i] = reads.setdefault((m.drug_id, m.daily_dose, m.history), len(reads))
            if read_of[i] == len(first):
                first.append(i)
        per_read = np.array([state_code(regimen_condition(ward.lookup, condition, [ward.meds[i]])) for i in first],
                            dtype=np.int64)
        states = np.full(len(ward.signatures), UNKNOWN, dtype=np.int64)
        states[:len(ward.meds)] = per_read[read_of]  # a signature below len(meds) is that one regimen
        for s in np.unique(ward.group_signature[groups]).tolist():
            if s >= len(ward.meds):
                states[s] = state_code(regimen_condition(ward.lookup, condition, ward.group_meds(s)))
        return states
    return ward.memo(("regimen-state", condition), compute)  # type: ignore[no-any-return]


def decode(code: int, count: int) -> tuple[bool | None, ...]:
    return tuple(code_state((code // 3 ** digit) % 3) for digit in range(count))


@frame("PC101")
def myoclonus_causing_drug(ward: Ward) -> list[Emitted]:
    assertion, groups, codes = _asserted(ward)
    myoclonus, states = ward.myoclonus
    doses: dict[object, int] = {}
    dose_id = np.fromiter((doses.setdefault(m.daily_dose, len(doses)) for m in ward.meds), dtype=np.int64,
                          count=len(ward.meds))
    first_med = ward.group_first_med[groups]
    patients = ward.group_patient[groups]
    drugs = ward.group_drug[groups]
    first, key = distinct_rows(drugs, codes, myoclonus[patients], dose_id[first_med])
    contexts = {m: CheckContext(ward.kb, Patient(myoclonus=m), (), ward.today, frozenset()) for m in states}
    results = []
    for g in first.tolist():
        found = assertion[int(drugs[g])]
        fact = found[0]  # type: ignore[index]
        ctx = contexts[states[myoclonus[patients[g]]]]
        present, unknown = split_worsening(ctx, fact, decode(int(codes[g]), len(worsening_conditions(ctx, fact))))
        results.append((_causing_finding(ctx, found, ward.meds[first_med[g]], present, unknown),))  # type: ignore[arg-type]
    return [ward.emit(patients, key, results)]


@frame("PC204")
def pro_myoclonic_load(ward: Ward) -> list[Emitted]:
    assertion, groups, codes = _asserted(ward)
    drugs = ward.group_drug[groups]
    counted = np.ones(len(groups), dtype=bool)
    for drug in np.unique(drugs).tolist():
        fact = assertion[drug][0]  # type: ignore[index]
        at = drugs == drug
        if fact["severity"] == "info":
            counted[at] = False
        elif fact["grade"] == "conditional":
            count = len(worsening_conditions(ward.lookup, fact))
            present = np.zeros(int(at.sum()), dtype=bool)
            for digit in range(count):
                present |= (codes[at] // 3 ** digit) % 3 == 1
            counted[at] = present
    facts = {d: found[0] for d, found in assertion.items() if found is not None}  # type: ignore[index]
    return [ward.per_drug_set(groups[counted], facts, load_finding, at_least=2)]
