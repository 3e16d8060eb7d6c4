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
    """Every resource read for one call, and which kinds of data were absent or unreadable."""

    resources: tuple[dict[str, Any], ...]
    no_data: tuple[str, ...] = ()  # keys the EHR or its server had nothing for
    failed: tuple[str, ...] = ()  # context keys whose fetch failed: checked without

    def gaps(self) -> list[str]:
        """One line per kind of data the EHR could not give, for the card saying the check ran
        without it (data it has none of needs no card: each rule that needs it says so)."""
        return [f"{CONTEXT_LABELS[k]}: could not be fetched from the EHR" for k in self.failed]


async def gather(call: HookCall, client: httpx.AsyncClient | None) -> Gathered:
    """The call's resources; :class:`PrefetchUnavailable` when essential data cannot be had."""
    values: dict[str, dict[str, Any] | None] = {}
    to_fetch = []
    for key in PREFETCH:
        value = call.prefetch.get(key, ...)
        if value is ... or (
            isinstance(value, dict) and value.get("resourceType") == "OperationOutcome"
        ):
            to_fetch.append(key)  # not fulfilled, or (CDS Hooks 3.0) prefetching failed
        else:
            values[key] = value
    failed: list[str] = []
    if to_fetch:
        if call.fhir_server is None or client is None:
            raise PrefetchUnavailable(
                f"prefetch {', '.join(to_fetch)} not given and no fhirServer to fetch it from"
            )
        results = await asyncio.gather(
            *(_fetch(client, call, query_for(key, call.patient_id)) for key in to_fetch),
            return_exceptions=True,
        )
        for key, result in zip(to_fetch, results, strict=True):
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
    resources: list[dict[str, Any]] = []
    no_data = []
    for key in PREFETCH:
        if key in failed:
            continue
        found = _resources(values.get(key))
        if not found and key != "medicationStatements":  # few EHRs record statements
            no_data.append(key)
        resources.extend(found)
    return Gathered(tuple(resources), tuple(no_data), tuple(failed))


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


async def _fetch(client: httpx.AsyncClient, call: HookCall, query: str) -> dict[str, Any] | None:
    """The resource or searchset Bundle (pages joined) at ``query``; None for a read of a
    resource that does not exist."""
    import httpx

    base = (call.fhir_server or "").rstrip("/") + "/"
    headers = {"Accept": "application/fhir+json"}
    if call.access_token:
        headers["Authorization"] = f"Bearer {call.access_token}"
    url: str | None = base + query
    joined: dict[str, Any] | None = None
    for _ in range(MAX_PAGES):
        assert url is not None
        try:
            answer = await client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise _FetchFailed(type(exc).__name__) from None
        if answer.status_code == 404 and "?" not in query:
            return None
        if answer.status_code != 200:
            raise _FetchFailed(f"HTTP {answer.status_code}")
        try:
            page = answer.json()
        except ValueError:
            raise _FetchFailed("the answer is not JSON") from None
        if not isinstance(page, dict):
            raise _FetchFailed("the answer is not a FHIR resource")
        if page.get("resourceType") != "Bundle":
            return page
        if joined is None:
            joined = page
        else:
            joined["entry"] = [*(joined.get("entry") or []), *(page.get("entry") or [])]
        url = _next_link(page, base)
        if url is None:
            return joined
    raise _FetchFailed(f"more than {MAX_PAGES} pages")


def _next_link(page: dict[str, Any], base: str) -> str | None:
    """The next page's URL, only when it lies on the same FHIR server (the token goes nowhere else)."""
    for link in page.get("link") or ():
        if isinstance(link, dict) and link.get("relation") == "next":
            url = link.get("url")
            if isinstance(url, str) and url.startswith(base):
                return url
            raise _FetchFailed("the next page lies outside fhirServer")
    return None
