"""The ward as columns: every resolved entry of every patient, the lookups that the batch forms
of the rules share, and the registry of those forms.

Each rule family's batch forms live beside its checks, in ``pharmcheck/rules/<family>/batch.py``:
a *frame* computes, for a whole ward at once, the findings the rule gives each patient, calling the
rule's own wording functions once per distinct input; a rule without one runs per patient through
the engine, on the patients its *patient filter* selects (a superset of those it can flag). Every
rule declares one or the other (tests/test_batch.py). Only the batch imports these modules: they
need numpy and pandas (the [batch] extra), which ``pharmcheck check`` never imports.

A patient's active drugs, one group per drug with every active entry, are the
same groups ``CheckContext.active_drugs`` builds for one patient, computed for the whole
ward at once. Anything that depends only on the KB is computed once per drug; anything
that depends on the patient's context once per distinct context.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from operator import attrgetter
from typing import Any, TypeVar, TypeVarTuple, cast

import numpy as np
import pandas as pd

from pharmcheck.domain import Finding, MyoclonusState, Patient, ResolvedMedication
from pharmcheck.kb.store import KnowledgeBase
from pharmcheck.rules.base import CONTEXT_FIELDS, DERIVED_CONDITIONS, CheckContext

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

UNKNOWN = 2  # a condition state the patient data cannot tell (True is 1, False is 0)


def pick(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``values[index]`` (numpy's stubs type indexing by an array as Any)."""
    picked: np.ndarray = values[index]
    return picked


def state_code(state: bool | None) -> int:
    """A condition state (True, False, or None when unknown) as 1, 0 or UNKNOWN."""
    return UNKNOWN if state is None else int(bool(state))


def code_state(code: int) -> bool | None:
    return None if code == UNKNOWN else bool(code)


@dataclass
class Ward:
    kb: KnowledgeBase
    today: date
    patients: list[Patient]  # in output order; arrays below index into it
    condition_ids: list[frozenset[int]]
    meds: list[ResolvedMedication]  # the distinct resolved templates (no dates, index 0)
    entry_patient: np.ndarray  # one entry per resolved drug of a screened row,
    entry_position: np.ndarray  # ordered by patient, then position in the list
    entry_med: np.ndarray
    entry_stopped: np.ndarray
    entry_started: np.ndarray  # the entry has a start date
    has_structures: np.ndarray  # per patient: compounds given as unidentified structures
    found: list[Finding] = field(default_factory=list)  # every finding the frames emitted, by index
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    def memo(self, key: Any, compute: Callable[[*Ts], T], *args: *Ts) -> T:
        """``compute(*args)`` once per ward: for what several frames share."""
        if key not in self._memo:
            self._memo[key] = compute(*args)
        return cast(T, self._memo[key])  # the memo holds each key's own type

    def prepare(self) -> None:
        """Compute what most frames read (before the ward is shared with another process)."""
        for shared in (
            "group_signature",
            "group_first_med",
            "patient_state",
            "renal",
            "myoclonus",
            "lookup",
        ):
            getattr(self, shared)

    @cached_property
    def lookup(self) -> CheckContext:
        """A context without a patient or medications, for lookups that read only the KB."""
        return CheckContext(self.kb, Patient(), (), self.today, frozenset())

    def per_drug(self, compute: Callable[[CheckContext, int], Any]) -> dict[int, Any]:
        """``compute(lookup, drug_id)`` for every drug on the ward, each once."""
        return {int(d): compute(self.lookup, int(d)) for d in np.unique(self.med_drug)}

    def drug_mask(self, drugs: Sequence[int] | set[int]) -> np.ndarray:
        """For each group, whether its drug is one of ``drugs``."""
        return np.isin(self.group_drug, np.fromiter(drugs, dtype=np.int64, count=len(drugs)))

    # --- medications ----------------------------------------------------------------------

    @cached_property
    def med_drug(self) -> np.ndarray:
        return np.fromiter((m.drug_id for m in self.meds), dtype=np.int64, count=len(self.meds))

    @cached_property
    def drug_names(self) -> dict[int, str]:
        return {m.drug_id: m.drug for m in self.meds}

    # --- groups: a patient's active drugs, each with every active entry, in drug-name order --

    @cached_property
    def _groups(self) -> tuple[np.ndarray, ...]:
        active = ~self.entry_stopped  # every active entry, in list order
        patient, med = self.entry_patient[active], self.entry_med[active]
        drug = self.med_drug[med]
        names = self.drug_names
        rank_of = np.zeros(
            max(names, default=0) + 1, dtype=np.int64
        )  # drug id -> place in name order
        rank_of[sorted(names, key=names.__getitem__)] = np.arange(len(names))
        rank = rank_of[drug]
        # by patient, then drug name, then list order: one stable sort of one integer key
        order = np.argsort(patient * max(len(names), 1) + rank, kind="stable")
        patient, med, drug = patient[order], med[order], drug[order]
        starts = (
            np.flatnonzero(np.r_[True, (patient[1:] != patient[:-1]) | (drug[1:] != drug[:-1])])
            if len(patient)
            else np.zeros(0, dtype=np.int64)
        )
        return patient, med, drug, starts, pick(np.flatnonzero(active), order)

    @property
    def group_entries(self) -> tuple[np.ndarray, np.ndarray]:
        """Every group's active entries (indices into the entry arrays, in list order), group
        after group, and the first of each group's."""
        *_, starts, entries = self._groups
        return entries, starts

    @cached_property
    def group_patient(self) -> np.ndarray:
        patient, _, _, starts, _ = self._groups
        return pick(patient, starts)

    @cached_property
    def group_drug(self) -> np.ndarray:
        _, _, drug, starts, _ = self._groups
        return pick(drug, starts)

    @cached_property
    def group_signature(self) -> np.ndarray:
        """An id per distinct tuple of entries (their med ids), into :attr:`signatures`."""
        return self._signatures[0]

    @property
    def signatures(self) -> list[tuple[int, ...]]:
        return self._signatures[1]

    @cached_property
    def _signatures(self) -> tuple[np.ndarray, list[tuple[int, ...]]]:
        _, med, _, starts, _ = self._groups
        signature = med[starts].copy()  # one entry: the med itself
        tuples: list[tuple[int, ...]] = [(m,) for m in range(len(self.meds))]
        sizes = np.diff(np.r_[starts, len(med)])
        several: dict[tuple[int, ...], int] = {}
        meds, multiple = med.tolist(), np.flatnonzero(sizes > 1)
        for g, a, b in zip(
            multiple.tolist(),
            starts[multiple].tolist(),
            (starts + sizes)[multiple].tolist(),
            strict=True,
        ):
            signature[g] = several.setdefault(tuple(meds[a:b]), len(tuples) + len(several))
        tuples.extend(several)
        return signature, tuples

    def group_meds(self, signature: int) -> list[ResolvedMedication]:
        return [self.meds[m] for m in self.signatures[signature]]

    def signature_reads(
        self, read: Callable[[list[ResolvedMedication]], Any], groups: np.ndarray
    ) -> tuple[np.ndarray, list[Any]]:
        """Per signature of ``groups``, an id of ``read(meds)`` (-1 elsewhere), and the distinct
        reads by id: equal ids read the same."""
        ids: dict[Any, int] = {}
        reads = np.full(len(self.signatures), -1, dtype=np.int64)
        for s in np.unique(self.group_signature[groups]).tolist():
            reads[s] = ids.setdefault(read(self.group_meds(s)), len(ids))
        return reads, list(ids)

    @cached_property
    def group_first_med(self) -> np.ndarray:
        _, med, _, starts, _ = self._groups
        return pick(med, starts)

    def per_signature(
        self, compute: Callable[[list[ResolvedMedication]], Any], groups: np.ndarray | None = None
    ) -> list[Any]:
        """``compute(meds)`` for each distinct signature of ``groups`` (default: all), indexed by
        signature id (None for the others)."""
        results: list[Any] = [None] * len(self.signatures)
        signatures = self.group_signature if groups is None else self.group_signature[groups]
        for s in np.unique(signatures).tolist():
            results[s] = compute(self.group_meds(s))
        return results

    def per_drug_set(
        self,
        groups: np.ndarray,
        facts: dict[int, Any],
        finding_of: Callable[[dict[str, Any]], Finding | None],
        at_least: int = 1,
    ) -> Emitted:
        """Rows for ``finding_of({drug: fact})`` over each patient's drugs among ``groups`` (in
        drug-name order), called once per distinct set of at least ``at_least`` drugs."""
        patients, key, sets = distinct_sets(self.group_patient[groups], self.group_drug[groups])
        results = []
        for drugs in sets:
            finding = (
                finding_of({self.drug_names[d]: facts[d] for d in drugs})
                if len(drugs) >= at_least
                else None
            )
            results.append(() if finding is None else (finding,))
        return self.emit(patients, key, results)

    def patients_among(self, patients: np.ndarray) -> np.ndarray:
        """Per patient, whether it is among ``patients`` (patient indices, such as the
        ``group_patient`` of some groups or the ``entry_patient`` of some entries)."""
        mask = np.zeros(len(self.patients), dtype=bool)
        mask[patients] = True
        return mask

    # --- the patient's context ------------------------------------------------------------

    @cached_property
    def _contexts(self) -> tuple[np.ndarray, list[CheckContext]]:
        """One context per distinct patient state that the rules read (not the id or the
        myoclonus)."""
        ids: dict[tuple[Any, ...], int] = {}
        contexts: list[CheckContext] = []
        state = np.empty(len(self.patients), dtype=np.int64)
        fields = attrgetter(*CONTEXT_FIELDS)
        for i, (p, conditions) in enumerate(zip(self.patients, self.condition_ids, strict=True)):
            key = (fields(p), conditions)
            found = ids.get(key)
            if found is None:
                found = ids[key] = len(contexts)
                contexts.append(CheckContext(self.kb, p, (), self.today, conditions))
            state[i] = found
        return state, contexts

    @property
    def patient_state(self) -> np.ndarray:
        return self._contexts[0]

    def context(self, patient: int) -> CheckContext:
        """A context with this patient's state (shared by every patient in the same state)."""
        return self._contexts[1][int(self._contexts[0][patient])]

    def per_state(self, read: Callable[[CheckContext], Any], dtype: Any = bool) -> np.ndarray:
        """Per patient, ``read(context)``, computed once per distinct patient state: ``read``
        may read only what the state holds (``CONTEXT_FIELDS`` and the conditions)."""
        states, contexts = self._contexts
        return pick(np.array([read(c) for c in contexts], dtype=dtype), states)

    @cached_property
    def _condition_sets(self) -> tuple[np.ndarray, list[CheckContext]]:
        """Per patient an id of its given conditions; per id, a context with only those."""
        ids: dict[frozenset[int], int] = {}
        codes = np.fromiter(
            (ids.setdefault(c, len(ids)) for c in self.condition_ids),
            dtype=np.int64,
            count=len(self.condition_ids),
        )
        return codes, [CheckContext(self.kb, Patient(), (), self.today, c) for c in ids]

    def per_condition_set(
        self, read: Callable[[CheckContext], Any], dtype: Any = bool
    ) -> np.ndarray:
        """Per patient, ``read(context)``, computed once per distinct set of given conditions:
        ``read`` may read only the given conditions, no patient field."""
        sets, contexts = self._condition_sets
        return pick(np.array([read(c) for c in contexts], dtype=dtype), sets)

    def condition(self, name: str) -> np.ndarray:
        """Per patient: the :func:`state_code` of whether the patient has the condition (one read
        per set of given conditions, unless the patient fields can tell it too)."""

        def compute() -> np.ndarray:
            read = self.per_state if name in DERIVED_CONDITIONS else self.per_condition_set
            return read(lambda c: state_code(c.has_condition(name)), np.int8)

        return self.memo(("condition", name), compute)

    @cached_property
    def renal(self) -> tuple[np.ndarray, list[Any]]:
        """Per patient an id into a list of distinct renal functions (None when unknown)."""
        ids: dict[Any, int] = {}
        per_state = np.array(
            [ids.setdefault(c.renal, len(ids)) for c in self._contexts[1]], dtype=np.int64
        )
        return (per_state[self._contexts[0]] if len(per_state) else per_state), list(ids)

    @cached_property
    def myoclonus(self) -> tuple[np.ndarray, list[MyoclonusState | None]]:
        """Per patient an id into the distinct myoclonus states."""
        ids: dict[MyoclonusState | None, int] = {}
        codes = np.fromiter(
            (ids.setdefault(p.myoclonus, len(ids)) for p in self.patients),
            dtype=np.int64,
            count=len(self.patients),
        )
        return codes, list(ids)

    # --- emitting findings ------------------------------------------------------------------

    def emit(
        self, patients: np.ndarray, keys: np.ndarray, results: Sequence[Sequence[Finding]]
    ) -> Emitted:
        """Rows for ``patients[i]`` with every finding of ``results[keys[i]]``, in that order."""
        base = len(self.found)
        counts = np.fromiter((len(r) for r in results), dtype=np.int64, count=len(results))
        for r in results:
            self.found.extend(r)
        if not len(keys):
            return _EMPTY
        offsets = base + np.cumsum(counts) - counts
        per_row = counts[keys]
        total = int(per_row.sum())
        within = np.arange(total) - np.repeat(np.cumsum(per_row) - per_row, per_row)
        return np.repeat(patients, per_row), np.repeat(offsets[keys], per_row) + within

    def emit_distinct(
        self, patients: np.ndarray, keys: np.ndarray, results: Sequence[Sequence[Finding]]
    ) -> Emitted:
        """:meth:`emit`, each distinct result kept once: for a frame whose many keys give few
        distinct findings (every finding kept is laid out and written)."""
        ids: dict[tuple[Finding, ...], int] = {}
        same = np.fromiter(
            (ids.setdefault(tuple(r), len(ids)) for r in results),
            dtype=np.int64,
            count=len(results),
        )
        return self.emit(patients, same[keys] if len(keys) else keys, list(ids))


Emitted = tuple[np.ndarray, np.ndarray]  # (patient index, index into Ward.found) per finding row
_EMPTY: Emitted = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))


def distinct_rows(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the first row of each distinct combination, id of each row's combination); ids
    are numbered in order of first appearance."""
    if not len(columns[0]):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    combined = np.zeros(len(columns[0]), dtype=np.int64)
    for (
        column
    ) in columns:  # one integer per combination: one hashing pass instead of a row-wise one
        values = np.asarray(column, dtype=np.int64)
        values = values - values.min()
        size = int(values.max()) + 1
        if (int(combined.max()) + 1) * size >= 1 << 62:
            combined = pd.factorize(combined)[0].astype(np.int64)
        combined = combined * size + values
    ids = pd.factorize(combined)[0].astype(np.int64)
    # a row comes first in its combination when its id exceeds every id before it
    first = np.flatnonzero(np.r_[True, ids[1:] > np.maximum.accumulate(ids)[:-1]])
    return first, ids


def distinct_sets(
    patients: np.ndarray, items: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, ...]]]:
    """Each patient's items as a tuple, the rows ordered by patient and then item order:
    (the patients, each one's set id, the distinct sets)."""
    if not len(patients):
        return patients, np.zeros(0, dtype=np.int64), []
    starts = np.flatnonzero(np.r_[True, patients[1:] != patients[:-1]])
    sizes = np.diff(np.r_[starts, len(patients)])
    matrix = np.full((len(starts), int(sizes.max())), -1, dtype=np.int64)
    owner = np.repeat(np.arange(len(starts)), sizes)
    matrix[owner, np.arange(len(patients)) - starts[owner]] = items
    first, inverse = distinct_rows(*matrix.T)
    flat = items.tolist()  # each distinct set read from its first patient's rows
    bounds = zip(starts[first].tolist(), (starts + sizes)[first].tolist(), strict=True)
    sets = [tuple(flat[a:b]) for a, b in bounds]
    return patients[starts], inverse, sets


def same_patient_pairs(patients: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered pair of distinct positions (i, j) with the same patient (``patients``
    sorted), as two arrays of positions: a self-join on the patient."""
    if not len(patients):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, patients[1:] != patients[:-1]])
    sizes = np.diff(np.r_[starts, len(patients)])
    size_of, start_of = np.repeat(sizes, sizes), np.repeat(starts, sizes)
    one = np.repeat(np.arange(len(patients)), size_of)
    other = np.repeat(start_of, size_of) + (
        np.arange(len(one)) - np.repeat(np.cumsum(size_of) - size_of, size_of)
    )
    distinct = one != other
    return one[distinct], other[distinct]


Frame = Callable[[Ward], list[Emitted]]
PatientFilter = Callable[[Ward], np.ndarray]
FRAMES: dict[str, Frame] = {}
FILTERS: dict[str, PatientFilter] = {}
FAMILIES = (
    "causative",
    "combination",
    "duplicate",
    "dose",
    "organ",
    "time",
    "condition",
    "predicted",
)


def frame(code: str) -> Callable[[Frame], Frame]:
    """Register the frame form of rule ``code``."""

    def register(compute: Frame) -> Frame:
        assert code not in FRAMES and code not in FILTERS, f"{code} has a batch form already"
        FRAMES[code] = compute
        return compute

    return register


def patient_filter(*codes: str) -> Callable[[PatientFilter], PatientFilter]:
    """Declare that rules ``codes`` run per patient, on the patients ``select`` marks."""

    def register(select: PatientFilter) -> PatientFilter:
        for code in codes:
            assert code not in FRAMES and code not in FILTERS, f"{code} has a batch form already"
            FILTERS[code] = select
        return select

    return register


def batch_forms() -> tuple[dict[str, Frame], dict[str, PatientFilter]]:
    """Every family's frames and patient filters (importing a family's ``batch`` registers them)."""
    for family in FAMILIES:
        importlib.import_module(f"pharmcheck.rules.{family}.batch")
    return FRAMES, FILTERS
