"""PC301 and PC302 over a ward."""

from __future__ import annotations

import numpy as np

from pharmcheck.rules.duplicate import class_finding, duplicate_classes, repeat_finding
from pharmcheck.rules.ward import Emitted, Ward, distinct_rows, distinct_sets, frame


@frame("PC301")
def duplicate_therapeutic_class(ward: Ward) -> list[Emitted]:
    classes = ward.per_drug(duplicate_classes)
    names = sorted({c for found in classes.values() for c, _ in found})
    class_id = {name: i for i, name in enumerate(names)}
    # a drug is in a class once; a class listed twice keeps its last basis, as the rule's dict does
    per_drug = {
        d: [(class_id[c], inferred) for c, inferred in dict(found).items()]
        for d, found in classes.items()
    }
    groups = np.flatnonzero(ward.drug_mask({d for d, found in per_drug.items() if found}))
    if not len(groups):
        return []
    # one row per (group, duplicate class of its drug), in group order
    size = int(ward.med_drug.max()) + 1
    count, offset = np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64)
    flat: list[tuple[int, bool]] = []
    for d, found in per_drug.items():
        offset[d], count[d] = len(flat), len(found)
        flat.extend(found)
    flat_class = np.array([c for c, _ in flat], dtype=np.int64)
    flat_inferred = np.array([i for _, i in flat], dtype=np.int64)
    drugs = ward.group_drug[groups]
    repeats = count[drugs]
    group = np.repeat(groups, repeats)
    within = np.arange(len(group)) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    at = np.repeat(offset[drugs], repeats) + within
    klass, inferred = flat_class[at], flat_inferred[at]
    patient = ward.group_patient[group]
    _, patient_class = distinct_rows(patient, klass)
    rows = np.flatnonzero(np.bincount(patient_class)[patient_class] > 1)
    rows = rows[
        np.argsort(patient_class[rows], kind="stable")
    ]  # each (patient, class) together, in group order
    drug = ward.group_drug[group[rows]]
    span = 2 * (int(ward.med_drug.max()) + 1)
    member = (
        klass[rows] * span + drug * 2 + inferred[rows]
    )  # the class, the drug, and how it is a member
    owners, key, sets = distinct_sets(patient_class[rows], member)
    owner_patient = np.zeros(int(patient_class.max()) + 1, dtype=np.int64)
    owner_patient[patient_class[rows]] = patient[rows]
    results = [
        (
            class_finding(
                ward.lookup,
                names[members[0] // span],
                tuple((ward.drug_names[m % span // 2], bool(m % 2)) for m in members),
            ),
        )
        for members in sets
    ]
    return [ward.emit(owner_patient[owners], key, results)]


@frame("PC302")
def same_drug_listed_twice(ward: Ward) -> list[Emitted]:
    active = ~ward.entry_stopped
    patient, position, med = (
        ward.entry_patient[active],
        ward.entry_position[active],
        ward.entry_med[active],
    )
    drug = ward.med_drug[med]
    first, _ = distinct_rows(patient, drug, position)  # each drug once per entry of the list
    first = np.sort(first)
    patient, position, med, drug = patient[first], position[first], med[first], drug[first]
    _, pair = distinct_rows(patient, drug)
    repeated = np.bincount(pair)[pair] > 1
    order = np.flatnonzero(repeated)
    if not len(order):
        return []
    order = order[np.lexsort((position[order], pair[order]))]
    keys: dict[tuple[str, tuple[str, ...]], int] = {}
    rows_patient, rows_key = [], []
    starts = np.flatnonzero(np.r_[True, pair[order][1:] != pair[order][:-1]])
    entered = [ward.meds[m].input for m in med[order].tolist()]
    for start, stop, p, d in zip(
        starts.tolist(),
        np.r_[starts[1:], len(order)].tolist(),
        patient[order[starts]].tolist(),
        drug[order[starts]].tolist(),
        strict=True,
    ):
        inputs = tuple(entered[start:stop])
        rows_patient.append(p)
        rows_key.append(keys.setdefault((ward.drug_names[d], inputs), len(keys)))
    results = [(repeat_finding(name, inputs),) for name, inputs in keys]
    return [
        ward.emit(
            np.array(rows_patient, dtype=np.int64), np.array(rows_key, dtype=np.int64), results
        )
    ]
