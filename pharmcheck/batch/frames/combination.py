"""PC201-PC203 over a ward: pairs by a self-join on the patient, burdens per distinct drug set."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from pharmcheck.batch.frames import frame
from pharmcheck.batch.ward import Emitted, Ward, distinct_rows
from pharmcheck.domain import Finding
from pharmcheck.rules.base import CheckContext
from pharmcheck.rules.combination import (
    acb_score,
    burden_finding,
    interacts,
    pair_findings,
    serotonergic_finding,
)


@frame("PC201")
def interacting_pair(ward: Ward) -> list[Emitted]:
    participating = ward.per_drug(interacts)
    groups = np.flatnonzero(ward.drug_mask({d for d, yes in participating.items() if yes}))
    side = pd.DataFrame({"patient": ward.group_patient[groups], "drug": ward.group_drug[groups]})
    pairs = side.merge(side, on="patient")
    pairs = pairs[pairs["drug_x"] < pairs["drug_y"]]
    first, key = distinct_rows(pairs["drug_x"].to_numpy(), pairs["drug_y"].to_numpy())
    names = ward.drug_names
    results = []
    for a, b in zip(
        pairs["drug_x"].to_numpy()[first].tolist(),
        pairs["drug_y"].to_numpy()[first].tolist(),
        strict=True,
    ):
        results.append(tuple(pair_findings(ward.lookup, {a: names[a], b: names[b]})))
    return [ward.emit(pairs["patient"].to_numpy(), key, results)]


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
