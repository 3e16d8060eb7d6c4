"""Frame forms of the rules: each computes, for a whole ward at once, the findings its rule
gives each patient, with the rule's own wording functions called once per distinct input.

A rule without a frame form runs per patient through the engine, on the patients its
``patient_filter`` selects (a superset of those it can flag; every patient when it has none).
``tests/test_batch.py`` checks that a batch gives exactly what ``check`` gives.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from pharmcheck.batch.ward import Emitted, Ward

FRAMES: dict[str, Callable[[Ward], list[Emitted]]] = {}
FILTERS: dict[str, Callable[[Ward], np.ndarray]] = {}


def frame(
    code: str,
) -> Callable[[Callable[[Ward], list[Emitted]]], Callable[[Ward], list[Emitted]]]:
    def register(compute: Callable[[Ward], list[Emitted]]) -> Callable[[Ward], list[Emitted]]:
        FRAMES[code] = compute
        return compute

    return register


def patient_filter(
    *codes: str,
) -> Callable[[Callable[[Ward], np.ndarray]], Callable[[Ward], np.ndarray]]:
    def register(select: Callable[[Ward], np.ndarray]) -> Callable[[Ward], np.ndarray]:
        for code in codes:
            FILTERS[code] = select
        return select

    return register


from pharmcheck.batch.frames import (
    causative,
    combination,
    condition,
    dose,
    duplicate,
    per_patient,
)

__all__ = [
    "FILTERS",
    "FRAMES",
    "causative",
    "combination",
    "condition",
    "dose",
    "duplicate",
    "per_patient",
]
