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
    entries, starts = ward.group_entries  # a patient's active entries of one drug, in list order
    sizes = np.diff(np.r_[starts, len(entries)])
    several = np.repeat(sizes > 1, sizes)  # per entry: its group has more than one
    if not several.any():
        return []
    group, entries = np.repeat(np.arange(len(starts)), sizes)[several], entries[several]
    position = ward.entry_position[entries]
    once = np.r_[True, (group[1:] != group[:-1]) | (position[1:] != position[:-1])]
    group, entries = group[once], entries[once]  # each drug once per entry of the list
    runs = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sizes = np.diff(np.r_[runs, len(group)])
    runs, sizes = runs[sizes > 1], sizes[sizes > 1]  # the drug in several entries
    if not len(runs):
        return []
    first_entry = entries[runs]
    in_order = np.argsort(first_entry, kind="stable")  # in list order of the first entry
    entered = [ward.meds[m].input for m in ward.entry_med[entries].tolist()]
    keys: dict[tuple[str, tuple[str, ...]], int] = {}
    rows_key = []
    for start, size, d in zip(
        runs[in_order].tolist(),
        sizes[in_order].tolist(),
        ward.group_drug[group[runs[in_order]]].tolist(),
        strict=True,
    ):
        inputs = tuple(entered[start : start + size])
        rows_key.append(keys.setdefault((ward.drug_names[d], inputs), len(keys)))
    results = [(repeat_finding(name, inputs),) for name, inputs in keys]
    return [
        ward.emit(
            ward.entry_patient[first_entry[in_order]], np.array(rows_key, dtype=np.int64), results
        )
    ]
