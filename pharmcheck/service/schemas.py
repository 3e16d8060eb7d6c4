"""JSON Schemas of the CDS Hooks requests and answers, for the service's OpenAPI description.

The routes read their bodies with :mod:`pharmcheck.service.hooks` and
:mod:`pharmcheck.service.feedback`, which check every field they use; these schemas describe
the same shapes to EHR integrators and to the schema-driven tests.
"""

from __future__ import annotations

from typing import Any

_TEXT = {"type": "string", "minLength": 1}
_CODING = {
    "type": "object",
    "required": ["code"],
    "properties": {"system": _TEXT, "code": _TEXT, "display": _TEXT},
}
_FHIR = {"type": "object", "properties": {"resourceType": _TEXT}, "required": ["resourceType"]}

HOOK_REQUEST: dict[str, Any] = {
    "type": "object",
    "required": ["hook", "hookInstance", "context"],
    "properties": {
        "hook": {"type": "string", "enum": ["order-select", "order-sign", "patient-view"]},
        "hookInstance": _TEXT,
        "fhirServer": {"type": "string", "format": "uri"},
        "fhirAuthorization": {
            "type": "object",
            "required": ["access_token", "token_type"],
            "properties": {
                "access_token": _TEXT,
                "token_type": {"type": "string", "enum": ["Bearer"]},
                "expires_in": {"type": "integer"},
                "scope": _TEXT,
                "subject": _TEXT,
                "patient": _TEXT,
            },
        },
        "context": {
            "type": "object",
            "required": ["patientId"],
            "properties": {
                "userId": _TEXT,
                "patientId": {"type": "string", "pattern": "^[A-Za-z0-9.-]{1,64}$"},
                "encounterId": _TEXT,
                "selections": {"type": "array", "items": _TEXT, "minItems": 1},
                "draftOrders": _FHIR,
            },
        },
        "prefetch": {
            "type": "object",
            "additionalProperties": {"anyOf": [_FHIR, {"type": "null"}]},
        },
    },
}

FEEDBACK_REQUEST: dict[str, Any] = {
    "type": "object",
    "required": ["feedback"],
    "properties": {
        "feedback": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["card", "outcome", "outcomeTimestamp"],
                "properties": {
                    "card": _TEXT,
                    "outcome": {"type": "string", "enum": ["accepted", "overridden"]},
                    "outcomeTimestamp": {"type": "string", "format": "date-time"},
                    "acceptedSuggestions": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["id"],
                            "properties": {"id": _TEXT},
                        },
                    },
                    "overrideReason": {
                        "type": "object",
                        "properties": {"reason": _CODING, "userComment": _TEXT},
                    },
                },
            },
        }
    },
}

CARD: dict[str, Any] = {
    "type": "object",
    "required": ["uuid", "summary", "indicator", "source"],
    "properties": {
        "uuid": _TEXT,
        "summary": {"type": "string", "minLength": 1, "maxLength": 139},
        "detail": _TEXT,
        "indicator": {"type": "string", "enum": ["info", "warning", "critical"]},
        "source": {
            "type": "object",
            "required": ["label"],
            "properties": {"label": _TEXT, "url": _TEXT, "topic": _CODING},
        },
        "suggestions": {"type": "array", "minItems": 1},
        "selectionBehavior": {"type": "string", "enum": ["at-most-one", "any"]},
        "overrideReasons": {"type": "array", "minItems": 1, "items": _CODING},
    },
}

OPERATION_OUTCOME: dict[str, Any] = {
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {"resourceType": {"const": "OperationOutcome"}, "issue": {"type": "array"}},
}


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI ``requestBody`` of JSON with ``schema``."""
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def answers(ok: dict[str, Any], *errors: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses: 200 with ``ok``, and each error status with an OperationOutcome."""
    described: dict[int | str, dict[str, Any]] = {
        200: {"description": "OK", "content": {"application/json": {"schema": ok}}}
    }
    reasons = {
        400: "The request is not a valid call (one-line reason in the OperationOutcome)",
        401: "No acceptable signed token (bare 401)",
        404: "No such service",
        412: "Needed data was neither prefetched nor fetchable from fhirServer",
        413: "The request body is too large",
        503: "The knowledge base or feedback store cannot be used",
    }
    for status in errors:
        body = {"application/json": {"schema": OPERATION_OUTCOME}} if status != 401 else None
        described[status] = {"description": reasons[status], **({"content": body} if body else {})}
    return described
