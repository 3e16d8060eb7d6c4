"""pharmcheck: an offline medication-safety checker for drug-induced and drug-aggravated myoclonus.

Public API::

    from pharmcheck import check, Checker, Medication, Patient, Severity, open_kb
    report = check(["tramadol 50 mg qid", "sertraline 100 mg"], Patient(crcl=25))

``screen_frame`` (pandas) is imported on first use, so ``import pharmcheck`` stays light.
"""

from typing import Any

from pharmcheck._version import __version__
from pharmcheck.domain import (
    DoseChange,
    Finding,
    Medication,
    Patient,
    Quantity,
    Report,
    ResolvedMedication,
    Severity,
    Unrecognized,
)
from pharmcheck.engine import Checker, check
from pharmcheck.errors import InputError, KnowledgeBaseError, PharmcheckError
from pharmcheck.kb.store import open_kb

__all__ = [
    "Checker", "DoseChange", "Finding", "InputError", "KnowledgeBaseError", "Medication", "Patient",
    "PharmcheckError", "Quantity", "Report", "ResolvedMedication", "Severity", "Unrecognized",
    "__version__", "check", "open_kb", "screen_frame",
]


def __getattr__(name: str) -> Any:
    if name == "screen_frame":
        from pharmcheck.batch import screen_frame

        return screen_frame
    raise AttributeError(f"module 'pharmcheck' has no attribute {name!r}")
