"""PC201-PC203 over a ward: pairs by a self-join on the patient, burdens per distinct drug set."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from pharmcheck.domain import Finding
from pharmcheck.rules.base import CheckContext
from pharmcheck.rules.causative import context_conditions, worsening_conditions
from pharmcheck.rules.causative.batch import _asserted, _partners, _treated, interacting_pairs
from pharmcheck.rules.combination import (
    acb_score,
    burden_finding,
    load_finding,
    pair_findings,
    serotonergic_finding,
)
from pharmcheck.rules.ward import Emitted, Ward, distinct_rows, frame


@frame("PC201")
def interacting_pair(ward: Ward) -> list[Emitted]:
    one, other = interacting_pairs(ward)
    x, y = ward.group_drug[one], ward.group_drug[other]
    once = x < y  # each unordered pair once
    patients, x, y = ward.group_patient[one[once]], x[once], y[once]
    first, key = distinct_rows(x, y)
    names = ward.drug_names
    results = [
        tuple(pair_findings(ward.lookup, {a: names[a], b: names[b]}))
        for a, b in zip(x[first].tolist(), y[first].tolist(), strict=True)
    ]
    return [ward.emit(patients, key, results)]


def per_drug_set(
    ward: Ward,
    fact_of: Callable[[CheckContext, int], Any],
    finding_of: Callable[[dict[str, Any]], Finding | None],
    at_least: int = 1,
) -> list[Emitted]:
    """For each patient, the drugs with a fact and ``finding_of({drug: fact})`` per distinct set."""
    facts = ward.per_drug(fact_of)
    groups = np.flatnonzero(ward.drug_mask({d for d, fact in facts.items() if fact}))
    return [ward.per_drug_set(groups, facts, finding_of, at_least)]


@frame("PC202")
def serotonergic_load(ward: Ward) -> list[Emitted]:
    return per_drug_set(
        ward, lambda ctx, d: ctx.properties(d, "serotonergic_role"), serotonergic_finding, 2
    )


@frame("PC203")
def anticholinergic_burden(ward: Ward) -> list[Emitted]:
    return per_drug_set(ward, acb_score, burden_finding)


@frame("PC204")
def pro_myoclonic_load(ward: Ward) -> list[Emitted]:
    assertion, groups, codes = _asserted(ward)
    partner_id, _ = _partners(ward, groups)
    drugs = ward.group_drug[groups]
    counted = _treated(ward, groups)[0] == 0
    for drug in np.unique(drugs).tolist():
        fact = assertion[drug][0]  # type: ignore[index]
        at = drugs == drug
        if fact["severity"] == "info":
            counted[at] = False
        elif fact["grade"] == "conditional":
            own = worsening_conditions(ward.lookup, fact)
            present = np.zeros(int(at.sum()), dtype=bool)
            for digit, condition in enumerate(context_conditions(ward.lookup, drug, fact)):
                if condition in own:
                    present |= (codes[at] // 3**digit) % 3 == 1
            if "interacting-drug" in own:
                present |= partner_id[at] > 0
            counted[at] &= present
    facts = {d: found[0] for d, found in assertion.items() if found is not None}  # type: ignore[index]
    return [ward.per_drug_set(groups[counted], facts, load_finding, at_least=2)]
