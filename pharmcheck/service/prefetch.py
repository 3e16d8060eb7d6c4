"""Gathering a hook call's data: the prefetch the EHR sent, and the rest from its FHIR server."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pharmcheck.service.hooks import CONTEXT_LABELS, ESSENTIAL, PREFETCH, HookCall, query_for

if TYPE_CHECKING:
    import httpx

MAX_PAGES = 10  # of one search; a medication list longer than ten pages is refused, not cut


class PrefetchUnavailable(Exception):
    """Data the check needs can be neither read from the call nor fetched: answered with 412."""


class _FetchFailed(Exception):
    pass


@dataclass(frozen=True)
class Gathered:
    """Every resource read for one call, and which kinds of data could not be fetched (data the
    EHR has none of needs no mention here: each rule that needs it says it is unknown)."""

    resources: tuple[dict[str, Any], ...]
    failed: tuple[str, ...] = ()  # context keys whose fetch failed: checked without

    def gaps(self) -> list[str]:
        """One line per kind of data the EHR could not give, for the card saying the check ran
        without it."""
        return [f"{CONTEXT_LABELS[k]}: could not be fetched from the EHR" for k in self.failed]


async def gather(call: HookCall, client: httpx.AsyncClient | None) -> Gathered:
    """The call's resources; :class:`PrefetchUnavailable` when essential data cannot be had.

    A prefetched search result with a next page is completed from ``fhirServer``: a partial
    medication list is never checked as if it were whole."""
    values: dict[str, dict[str, Any] | None] = {}
    pending: dict[str, tuple[str | None, dict[str, Any] | None]] = {}  # key -> (next URL, pages)
    for key in PREFETCH:
        value = call.prefetch.get(key, ...)
        if value is ... or (
            isinstance(value, dict) and value.get("resourceType") == "OperationOutcome"
        ):
            pending[key] = (None, None)  # not fulfilled, or (CDS Hooks 3.0) prefetching failed
        elif isinstance(value, dict) and _has_next(value):
            pending[key] = (_next_url(value), value)
        else:
            values[key] = value
    failed: list[str] = []
    if pending:
        if call.fhir_server is None or client is None:
            raise PrefetchUnavailable(
                f"prefetch {', '.join(pending)} not given or incomplete, and no fhirServer to "
                "fetch it from"
            )
        base = call.fhir_server.rstrip("/") + "/"
        results = await asyncio.gather(
            *(
                _fetch(client, call, url or base + query_for(key, call.patient_id), pages)
                for key, (url, pages) in pending.items()
            ),
            return_exceptions=True,
        )
        for key, result in zip(pending, results, strict=True):
            if isinstance(result, _FetchFailed):
                if key in ESSENTIAL:
                    raise PrefetchUnavailable(
                        f"{key} could not be fetched from fhirServer: {result}"
                    )
                failed.append(key)
            elif isinstance(result, BaseException):
                raise result
            else:
                values[key] = result
    resources = [r for key in PREFETCH if key not in failed for r in _resources(values.get(key))]
    return Gathered(tuple(resources), tuple(failed))


def _resources(value: dict[str, Any] | None) -> list[dict[str, Any]]:
    if value is None:
        return []
    if value.get("resourceType") != "Bundle":
        return [value]
    return [
        e["resource"]
        for e in value.get("entry") or ()
        if isinstance(e, dict)
        and isinstance(e.get("resource"), dict)
        and e["resource"].get("resourceType") != "OperationOutcome"
    ]


async def _fetch(
    client: httpx.AsyncClient, call: HookCall, url: str, joined: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The resource or searchset Bundle at ``url``, its pages joined onto ``joined`` (pages
    already had); None for a read of a resource that does not exist. Only URLs on fhirServer
    are fetched: the EHR's token goes nowhere else."""
    import httpx

    base = (call.fhir_server or "").rstrip("/") + "/"
    headers = {"Accept": "application/fhir+json"}
    if call.access_token:
        headers["Authorization"] = f"Bearer {call.access_token}"
    following = joined is not None
    next_url: str | None = url
    for _ in range(MAX_PAGES):
        if next_url is None or not next_url.startswith(base):
            raise _FetchFailed("the next page lies outside fhirServer")
        try:
            answer = await client.get(next_url, headers=headers)
        except httpx.HTTPError as exc:
            raise _FetchFailed(type(exc).__name__) from None
        if answer.status_code == 404 and not following and "?" not in next_url:
            return None
        if answer.status_code != 200:
            raise _FetchFailed(f"HTTP {answer.status_code}")
        try:
            page = answer.json()
        except ValueError:
            raise _FetchFailed("the answer is not JSON") from None
        if not isinstance(page, dict):
            raise _FetchFailed("the answer is not a FHIR resource")
        if page.get("resourceType") != "Bundle" and not following:
            return page
        if page.get("resourceType") != "Bundle":
            raise _FetchFailed("a next page is not a Bundle")
        joined = page if joined is None else _joined(joined, page)
        if not _has_next(page):
            return joined
        next_url, following = _next_url(page), True
    raise _FetchFailed(f"more than {MAX_PAGES} pages")


def _joined(first: dict[str, Any], page: dict[str, Any]) -> dict[str, Any]:
    return {**first, "entry": [*(first.get("entry") or []), *(page.get("entry") or [])]}


def _has_next(bundle: dict[str, Any]) -> bool:
    return bundle.get("resourceType") == "Bundle" and _next_url(bundle) is not None


def _next_url(bundle: dict[str, Any]) -> str | None:
    for link in bundle.get("link") or ():
        if isinstance(link, dict) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) else None
    return None
