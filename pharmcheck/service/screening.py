"""Screening one hook call: the gathered resources and draft orders into one check.

Draft orders are screened with the active list; an active order that is also a draft (a
re-sign) is read once, as the draft. Each draft order's drugs are known, so a card about a
problem it takes part in can offer to remove it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

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
    report: Report
    drafts: tuple[DraftOrder, ...]
    notes: tuple[str, ...]  # how the FHIR input was read


class Checkers:
    """Checks run on a few worker threads, each with its own Checker on the KB at ``db_url``:
    the event loop stays free for I/O and the KB is opened once per worker, at start-up."""

    def __init__(self, db_url: str | None, workers: int = 2):
        self.db_url = db_url
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="pharmcheck-check")
        warm = [self._pool.submit(self._warm) for _ in range(workers)]
        for started in warm:
            started.result()

    def _warm(self) -> None:
        import time

        self.checker()
        time.sleep(0.05)  # hold this thread so that the next warm-up starts another

    def checker(self) -> Checker:
        """This thread's Checker."""
        found: Checker | None = getattr(self._local, "checker", None)
        if found is None:
            from pharmcheck.engine import Checker
            from pharmcheck.kb.store import open_kb

            found = self._local.checker = Checker(open_kb(self.db_url))
        return found

    def submit(self, work: Callable[..., T], *args: Any) -> Any:
        """A future of ``work(checker, *args)`` on a worker thread."""
        return self._pool.submit(lambda: work(self.checker(), *args))

    @property
    def kb_version(self) -> str:
        return str(self.submit(lambda checker: checker.kb.version).result())

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def screen(checker: Checker, call: HookCall, gathered: Gathered, as_of: date) -> Screened:
    """Check the call's patient: active list, conditions and observations, with the drafts."""
    from pharmcheck.fhir import read_bundle

    drafts = {_key(r): r for r in call.draft_orders}
    resources = [r for r in gathered.resources if _key(r) not in drafts] + list(drafts.values())
    medications, patient, notes = read_bundle(_bundle(resources), as_of, kb=checker.kb)
    report = checker.check(medications, patient, as_of=as_of)
    orders = tuple(
        _draft(checker, resource, as_of, call.selections) for resource in call.draft_orders
    )
    return Screened(report, tuple(o for o in orders if o is not None), tuple(notes))


def _key(resource: dict[str, Any]) -> tuple[str, str] | tuple[str, int]:
    rid = resource.get("id")
    return (str(resource.get("resourceType")), rid) if isinstance(rid, str) else ("", id(resource))


def _bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def _draft(
    checker: Checker, resource: dict[str, Any], as_of: date, selections: tuple[str, ...]
) -> DraftOrder | None:
    """A draft order with an id, and the drugs it resolves to; None without an id (it cannot be
    named in a suggestion) or when it names no drug."""
    from pharmcheck.fhir import read_bundle

    kind, rid = resource.get("resourceType"), resource.get("id")
    if not isinstance(kind, str) or not isinstance(rid, str):
        return None
    medications, _, _ = read_bundle(_bundle([resource]), as_of, kb=checker.kb)
    if not medications:
        return None
    drugs = {m.drug for m in checker.check(medications, as_of=as_of, select=["PC1"]).medications}
    if not drugs:
        return None
    reference = f"{kind}/{rid}"
    return DraftOrder(
        reference,
        medications[0].name,
        frozenset(drugs),
        selected=not selections or reference in selections,
    )
