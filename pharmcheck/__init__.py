"""pharmcheck: an offline medication-safety checker for drug-induced and drug-aggravated myoclonus.

Public API::

    from pharmcheck import check, Checker, Medication, Patient, Severity, open_kb
    report = check(["tramadol 50 mg qid", "sertraline 100 mg"], Patient(crcl=25))

``screen_frame`` (pandas) is imported on first use, so ``import pharmcheck`` stays light.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from pharmcheck._version import __version__

if TYPE_CHECKING:
    from pharmcheck.batch import screen_frame
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

# Imported on first use, so that ``import pharmcheck.cli`` (every command's start) stays light.
_HOMES = {
    "DoseChange": "domain",
    "Finding": "domain",
    "Medication": "domain",
    "Patient": "domain",
    "Quantity": "domain",
    "Report": "domain",
    "ResolvedMedication": "domain",
    "Severity": "domain",
    "Unrecognized": "domain",
    "Checker": "engine",
    "check": "engine",
    "InputError": "errors",
    "KnowledgeBaseError": "errors",
    "PharmcheckError": "errors",
    "open_kb": "kb.store",
    "screen_frame": "batch",
}

# Spelled out (not derived from _HOMES) so that type checkers and linters can read it.
__all__ = [
    "Checker",
    "DoseChange",
    "Finding",
    "InputError",
    "KnowledgeBaseError",
    "Medication",
    "Patient",
    "PharmcheckError",
    "Quantity",
    "Report",
    "ResolvedMedication",
    "Severity",
    "Unrecognized",
    "__version__",
    "check",
    "open_kb",
    "screen_frame",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'pharmcheck' has no attribute {name!r}")
    return getattr(import_module(f"pharmcheck.{home}"), name)


def __dir__() -> list[str]:
    return __all__
