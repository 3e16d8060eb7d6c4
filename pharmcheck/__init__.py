"""pharmcheck: an offline medication-safety checker for drug-induced and drug-aggravated myoclonus.

Public API::

    from pharmcheck import check, Checker, Medication, Patient, Severity, open_kb
    report = check(["tramadol 50 mg qid", "sertraline 100 mg"], Patient(crcl=25))

Every type a report holds is exported here. Names are imported on first use, so
``import pharmcheck`` stays light (``screen_frame`` needs pandas, the [batch] extra;
``screen_dask`` needs Dask, the [dask] extra).
"""

from __future__ import annotations

from importlib import import_module

from pharmcheck._version import __version__

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads it the same)
if TYPE_CHECKING:
    from typing import Any

    from pharmcheck.batch import screen_frame
    from pharmcheck.batch.dask_screen import screen_dask
    from pharmcheck.domain import (
        Category,
        Dialysis,
        DoseChange,
        Finding,
        HepaticLevel,
        Medication,
        MyoclonusState,
        Patient,
        Quantity,
        Report,
        ResolvedMedication,
        ScreenedStructure,
        Severity,
        Sex,
        SiteAction,
        Unrecognized,
    )
    from pharmcheck.engine import Checker, EvaluateRequest, ResolvedItems, ResolveRequest, check
    from pharmcheck.errors import InputError, KnowledgeBaseError, PharmcheckError
    from pharmcheck.kb.store import KnowledgeBase, open_kb

# Imported on first use, so that ``import pharmcheck.cli`` (every command's start) stays light.
_HOMES = {
    "Category": "domain",
    "Dialysis": "domain",
    "DoseChange": "domain",
    "Finding": "domain",
    "HepaticLevel": "domain",
    "Medication": "domain",
    "MyoclonusState": "domain",
    "Patient": "domain",
    "Quantity": "domain",
    "Report": "domain",
    "ResolvedMedication": "domain",
    "ScreenedStructure": "domain",
    "Severity": "domain",
    "Sex": "domain",
    "SiteAction": "domain",
    "Unrecognized": "domain",
    "Checker": "engine",
    "EvaluateRequest": "engine",
    "ResolveRequest": "engine",
    "ResolvedItems": "engine",
    "check": "engine",
    "InputError": "errors",
    "KnowledgeBaseError": "errors",
    "PharmcheckError": "errors",
    "KnowledgeBase": "kb.store",
    "open_kb": "kb.store",
    "screen_frame": "batch",
    "screen_dask": "batch.dask_screen",
}

__all__ = [
    "Category",
    "Checker",
    "Dialysis",
    "DoseChange",
    "EvaluateRequest",
    "Finding",
    "HepaticLevel",
    "InputError",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Medication",
    "MyoclonusState",
    "Patient",
    "PharmcheckError",
    "Quantity",
    "Report",
    "ResolveRequest",
    "ResolvedItems",
    "ResolvedMedication",
    "ScreenedStructure",
    "Severity",
    "Sex",
    "SiteAction",
    "Unrecognized",
    "__version__",
    "check",
    "open_kb",
    "screen_dask",
    "screen_frame",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'pharmcheck' has no attribute {name!r}")
    if home == "batch":
        from pharmcheck.extras import require_extra

        require_extra("batch", f"pharmcheck.{name}")
    return getattr(import_module(f"pharmcheck.{home}"), name)


def __dir__() -> list[str]:
    return __all__
