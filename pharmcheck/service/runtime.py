"""One running service: its checkers, token verifier, card log and FHIR client, and the
library calls the routes make (answer a hook, take feedback)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from pharmcheck._version import __version__
from pharmcheck.errors import InputError
from pharmcheck.service.auth import Caller, TokenVerifier, load_issuers
from pharmcheck.service.cards import CardContext, build_cards
from pharmcheck.service.feedback import CardLog, parse_feedback, store_feedback
from pharmcheck.service.hooks import SERVICES, parse_call
from pharmcheck.service.prefetch import gather
from pharmcheck.service.screening import Checkers, screen
from pharmcheck.service.settings import ServiceSettings

if TYPE_CHECKING:
    import httpx


@dataclass
class Runtime:
    settings: ServiceSettings
    checkers: Checkers
    verifier: TokenVerifier | None
    cards: CardLog
    kb_version: str
    client: httpx.AsyncClient | None = None

    @classmethod
    def start(cls, settings: ServiceSettings) -> Runtime:
        """Open the KB on every worker and read the allowlist: a bad --db or allowlist fails
        here."""
        verifier = None
        if settings.trusted_issuers is not None:
            verifier = TokenVerifier(load_issuers(settings.trusted_issuers))
        checkers = Checkers(settings.db_url, settings.workers)
        return cls(settings, checkers, verifier, CardLog(), checkers.kb_version)

    def open_client(self) -> None:
        import httpx

        timeout = httpx.Timeout(self.settings.fhir_timeout_seconds)
        self.client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
        self.checkers.close()

    def discovery(self) -> dict[str, Any]:
        return {"services": [s.discovery() for s in SERVICES.values()]}

    async def answer(self, service_id: str, body: Any, caller: Caller) -> dict[str, Any]:
        """The cards for one hook call (LookupError: no such service; InputError: a bad call;
        PrefetchUnavailable: needed data cannot be had)."""
        call = parse_call(service_id, body)
        if call.fhir_server is not None and not caller.may_use(call.fhir_server):
            raise InputError("fhirServer is not one this EHR is trusted to name")
        gathered = await gather(call, self.client)
        future = self.checkers.submit(screen, call, gathered, date.today())
        screened = await asyncio.wrap_future(future)
        only = None
        if call.service.hook == "order-select":
            only = frozenset(d for o in screened.drafts if o.selected for d in o.drugs)
        context = CardContext(
            call.hook_instance, self.settings.base_url, __version__, self.kb_version
        )
        cards = build_cards(screened.report, context, screened.drafts, tuple(gathered.gaps()), only)
        for card in cards:
            self.cards.add(card.uuid, card.rule_code)
        return {"cards": [card.body for card in cards]}

    async def feedback(self, service_id: str, body: Any, author: str) -> dict[str, Any]:
        """Store the feedback in ``body``; returns how many items were stored."""
        if service_id not in SERVICES:
            raise LookupError(f"no service {service_id!r}; GET /cds-services lists them")
        items = parse_feedback(body)
        stored = await asyncio.to_thread(
            store_feedback, self.settings.db_url, service_id, author, items, self.cards
        )
        return {"stored": stored}
