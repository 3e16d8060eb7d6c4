"""Screening one hook call: the gathered resources and draft orders into one check.

Draft orders are screened with the active list; an active order that is also a draft (a
re-sign) is read once, as the draft. Each draft order's drugs are known, so a card about a
problem it takes part in can offer to remove it. Checks run in worker processes
(:class:`Checkers`), so everything passed to and from them is a picklable value.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from pharmcheck.errors import KnowledgeBaseError
from pharmcheck.service.hooks import HookCall
from pharmcheck.service.prefetch import Gathered

if TYPE_CHECKING:
    from pharmcheck.domain import Report
    from pharmcheck.engine import Checker

T = TypeVar("T")


@dataclass(frozen=True)
class DraftOrder:
    """A draft order as a suggestion names it: its reference and the drugs it resolves to."""

    reference: str  # "MedicationRequest/123"
    label: str  # the medication as written
    drugs: frozenset[str]
    selected: bool = True


@dataclass(frozen=True)
class Screened:
    report: Report  # its notes say how the FHIR input was read, as `check --input` says it
    drafts: tuple[DraftOrder, ...]


class Checkers:
    """Checks run in worker processes, each with one Checker on the KB at ``db_url`` shared by
    every request it serves: the checks of concurrent calls use every core, and the event loop
    stays free for I/O. Each worker opens the KB and reads a small bundle at start-up, so the
    first call pays no import or cache cost."""

    def __init__(self, db_url: str | None, workers: int = 2):
        import multiprocessing

        from pharmcheck.kb.store import open_kb

        self.kb_version = open_kb(db_url).version  # a bad --db fails here, in one line
        self._pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),  # no fork of a threaded process
            initializer=_start_worker,
            initargs=(db_url,),
        )
        started = [self._pool.submit(_kb_version, 0.2) for _ in range(workers)]
        for future in started:
            if future.result() != self.kb_version:
                raise KnowledgeBaseError("the knowledge base changed while the service started")

    def submit(self, work: Callable[..., T], *args: Any) -> Future[T]:
        """A future of ``work(checker, *args)`` in a worker (``work``: a module-level
        function)."""
        return self._pool.submit(_run, work, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


_checker: Checker | None = None  # the worker process's Checker


def _start_worker(db_url: str | None) -> None:
    global _checker
    import signal

    from pharmcheck.engine import Checker
    from pharmcheck.fhir import read_bundle
    from pharmcheck.kb.store import open_kb

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the service, which stops workers
    _checker = Checker(open_kb(db_url))
    medications, patient, _ = read_bundle(_bundle(_WARM_UP), kb=_checker.kb)
    _checker.check(medications, patient)


def _kb_version(hold: float) -> str:
    import time

    time.sleep(hold)  # keep this worker busy so that the next warm-up reaches another one
    assert _checker is not None
    return str(_checker.kb.version)


def _run(work: Callable[..., T], *args: Any) -> T:
    assert _checker is not None, "not a worker process"
    return work(_checker, *args)


_WARM_UP: list[dict[str, Any]] = [
    {"resourceType": "Patient", "id": "w", "birthDate": "1960-01-01", "gender": "female"},
    {
        "resourceType": "MedicationRequest",
        "id": "w1",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/w"},
        "medicationCodeableConcept": {"text": "tramadol"},
        "dosageInstruction": [
            {
                "timing": {"repeat": {"frequency": 4, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": 50, "unit": "mg"}}],
            }
        ],
    },
]


def screen(checker: Checker, call: HookCall, gathered: Gathered, as_of: date) -> Screened:
    """Check the call's patient: active list, conditions and observations, with the drafts.

    The reader gives one medication per MedicationRequest or MedicationStatement, in the order
    given; the drafts go last, so the last medications are the drafts'."""
    from pharmcheck.fhir import read_bundle

    drafts = {_key(r): r for r in call.draft_orders}
    resources = [r for r in gathered.resources if _key(r) not in drafts] + list(drafts.values())
    medications, patient, notes = read_bundle(_bundle(resources), as_of, kb=checker.kb)
    report = checker.check(medications, patient, as_of=as_of, notes=notes)
    ordered = [r for r in drafts.values() if r.get("resourceType") in _MEDICATION_TYPES]
    first = len(medications) - len(ordered)
    orders = []
    for offset, resource in enumerate(ordered):
        index = first + offset
        drugs = frozenset(m.drug for m in report.medications if m.index == index)
        rid = resource.get("id")
        if drugs and isinstance(rid, str) and first >= 0:  # without an id, no suggestion names it
            reference = f"{resource['resourceType']}/{rid}"
            selected = not call.selections or reference in call.selections
            orders.append(DraftOrder(reference, medications[index].name, drugs, selected))
    return Screened(report, tuple(orders))


_MEDICATION_TYPES = ("MedicationRequest", "MedicationStatement")


def _key(resource: dict[str, Any]) -> tuple[str, str] | tuple[str, int]:
    rid = resource.get("id")
    return (str(resource.get("resourceType")), rid) if isinstance(rid, str) else ("", id(resource))


def _bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }
