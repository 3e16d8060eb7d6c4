"""The hooks served, their prefetch templates, and reading one hook call into a FHIR Bundle.

Per prefetch key (CDS Hooks 2.0, "Prefetch"): a key the EHR left out was not fulfilled and is
fetched from ``fhirServer`` with ``fhirAuthorization``; a key sent as ``null`` means the EHR
searched and found nothing. A needed key that was left out of a call without ``fhirServer`` makes
the call fail with 412. A context key whose fetch fails is checked without, and a card says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pharmcheck.errors import InputError
from pharmcheck.fhir.codes import (
    CRCL_CODES,
    CREATININE_CODES,
    EGFR_CODES,
    LOINC,
    PREGNANCY_STATUS,
    WEIGHT_CODES,
)

RENAL_CODES = (*CRCL_CODES, *EGFR_CODES, *CREATININE_CODES)


def _observations(codes: Iterable[str], count: int) -> str:
    listed = ",".join(f"{LOINC}|{code}" for code in codes)
    return f"Observation?patient={{{{context.patientId}}}}&code={listed}&_sort=-date&_count={count}"


#: key -> FHIR query template; ``essential`` keys cannot be done without.
PREFETCH: dict[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "medicationRequests": "MedicationRequest?patient={{context.patientId}}&status=active",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}&status=active",
    "conditions": "Condition?patient={{context.patientId}}&clinical-status=active",
    "renal": _observations(RENAL_CODES, 20),
    "weight": _observations(WEIGHT_CODES, 1),
    "pregnancy": _observations([PREGNANCY_STATUS], 1),
}
ESSENTIAL = ("patient", "medicationRequests")
CONTEXT_LABELS = {
    "patient": "the patient (age, sex)",
    "medicationRequests": "active medication orders",
    "medicationStatements": "medications the patient reports taking",
    "conditions": "active conditions",
    "renal": "renal function",
    "weight": "body weight",
    "pregnancy": "pregnancy status",
}


@dataclass(frozen=True)
class Service:
    id: str
    hook: str
    title: str
    description: str

    def discovery(self) -> dict[str, Any]:
        return {
            "hook": self.hook,
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "prefetch": dict(PREFETCH),
        }


SERVICES = {
    s.id: s
    for s in (
        Service(
            "pharmcheck-order-select",
            "order-select",
            "pharmcheck: myoclonus risk of the orders being selected",
            "Screens the selected draft orders with the other drafts and the active medications "
            "for drugs that cause or worsen myoclonus; "
            "shows the problems the selection takes part in.",
        ),
        Service(
            "pharmcheck-order-sign",
            "order-sign",
            "pharmcheck: myoclonus risk before signing",
            "Screens the draft orders with the active medications, conditions, renal function, "
            "weight and pregnancy status for drugs that cause or worsen myoclonus.",
        ),
        Service(
            "pharmcheck-patient-view",
            "patient-view",
            "pharmcheck: myoclonus risk of the medication list",
            "Screens the patient's active medications, conditions, renal function, weight and "
            "pregnancy status for drugs that cause or worsen myoclonus.",
        ),
    )
}


@dataclass(frozen=True)
class HookCall:
    """One CDS Hooks request, checked for the fields this service reads."""

    service: Service
    hook_instance: str
    patient_id: str
    draft_orders: tuple[dict[str, Any], ...] = ()
    selections: tuple[str, ...] = ()
    prefetch: dict[str, Any] = field(default_factory=dict)  # key -> value (None: no data)
    fhir_server: str | None = None
    access_token: str | None = None


_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")  # a FHIR id


def parse_call(service_id: str, body: Any) -> HookCall:
    """The hook call in ``body`` for ``service_id``; InputError with a one-line reason."""
    service = SERVICES.get(service_id)
    if service is None:
        raise LookupError(f"no service {service_id!r}; GET /cds-services lists them")
    if not isinstance(body, dict):
        raise InputError("the request body must be a JSON object")
    if body.get("hook") != service.hook:
        raise InputError(f"hook must be {service.hook!r} for {service.id}")
    hook_instance = _text(body, "hookInstance")
    context = body.get("context")
    if not isinstance(context, dict):
        raise InputError("context must be a JSON object")
    patient_id = _text(context, "patientId", "context.patientId")
    if not _ID.fullmatch(patient_id):
        raise InputError("context.patientId is not a FHIR id")
    drafts: tuple[dict[str, Any], ...] = ()
    selections: tuple[str, ...] = ()
    if service.hook in ("order-select", "order-sign"):
        drafts = _draft_orders(context.get("draftOrders"))
    if service.hook == "order-select":
        chosen = context.get("selections")
        if (
            not isinstance(chosen, list)
            or not chosen
            or not all(isinstance(s, str) and s for s in chosen)
        ):
            raise InputError("context.selections must be a non-empty list of order ids")
        selections = tuple(chosen)
    prefetch = body.get("prefetch", {})
    if not isinstance(prefetch, dict) or not all(
        v is None or isinstance(v, dict) for v in prefetch.values()
    ):
        raise InputError("prefetch must be an object of FHIR resources, Bundles or null")
    fhir_server, token = _fhir_access(body)
    return HookCall(
        service,
        hook_instance,
        patient_id,
        drafts,
        selections,
        {k: v for k, v in prefetch.items() if k in PREFETCH},
        fhir_server,
        token,
    )


def _text(holder: dict[str, Any], key: str, name: str | None = None) -> str:
    value = holder.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{name or key} must be a non-empty string")
    return value


def _draft_orders(bundle: Any) -> tuple[dict[str, Any], ...]:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InputError("context.draftOrders must be a FHIR Bundle")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("resource"), dict) for e in entries
    ):
        raise InputError("context.draftOrders.entry must be a list of entries with a resource")
    return tuple(e["resource"] for e in entries)


def _fhir_access(body: dict[str, Any]) -> tuple[str | None, str | None]:
    server = body.get("fhirServer")
    if server is not None and (
        not isinstance(server, str) or not server.startswith(("http://", "https://"))
    ):
        raise InputError("fhirServer must be an http(s) URL")
    authorization = body.get("fhirAuthorization")
    if authorization is None:
        return server, None
    if server is None:
        raise InputError("fhirAuthorization needs fhirServer")
    if not isinstance(authorization, dict) or not isinstance(
        authorization.get("access_token"), str
    ):
        raise InputError("fhirAuthorization.access_token must be a string")
    if str(authorization.get("token_type", "Bearer")).lower() != "bearer":
        raise InputError("fhirAuthorization.token_type must be Bearer")
    return server, authorization["access_token"]


def query_for(key: str, patient_id: str) -> str:
    """The FHIR query of prefetch ``key`` for this patient (the token filled in)."""
    return PREFETCH[key].replace("{{context.patientId}}", patient_id)
