"""Parsing one resource with the fhir.resources R4B models, leniently.

R4B reads R4 JSON unchanged, but it forbids unknown elements: an element it does not know
(an extension placed where FHIR has none, an STU3-style ``Dosage.doseQuantity``) is removed,
named in a note and the resource read again, so that one stray element never rejects a
bundle. A resource still invalid after that is reported by the caller, never dropped.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_MAX_PASSES = 5
_CACHED = 4096  # distinct resources remembered


@dataclass(frozen=True)
class Parsed:
    """A resource as its R4B model (None when it is not valid R4), with notes on what was not
    read and, when invalid, why."""

    model: Any
    ignored: tuple[str, ...] = ()
    error: str | None = None


def model_class(resource_type: str) -> Any:
    """The R4B model class for a resource type, or None for a type R4B does not have."""
    from fhir.resources.R4B import get_fhir_model_class

    try:
        return get_fhir_model_class(resource_type)
    except (ValueError, KeyError, AttributeError):
        return None


def parse_resource(resource: dict[str, Any]) -> Parsed:
    """``resource`` as its R4B model, unknown elements removed and named. An EHR sends the same
    resources call after call (the active list at each order), so each distinct resource is
    validated once (the models are only read, never changed)."""
    try:
        text = json.dumps(resource, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return _parse(resource)  # not plain JSON: validated as it is, not remembered
    return _parse_text(text)


@lru_cache(maxsize=_CACHED)
def _parse_text(text: str) -> Parsed:
    return _parse(json.loads(text))


def _parse(resource: dict[str, Any]) -> Parsed:
    import pydantic

    cls = model_class(str(resource.get("resourceType")))
    if cls is None:
        return Parsed(None, (), f"resourceType {resource.get('resourceType')!r:.40} is not FHIR R4")
    data = resource
    ignored: list[str] = []
    for _ in range(_MAX_PASSES):
        try:
            return Parsed(cls.model_validate(data), tuple(ignored))
        except pydantic.ValidationError as exc:
            errors = exc.errors()
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError) as exc:
            # fhir.resources raises these on some malformed input (a contained resource whose
            # resourceType is empty is a KeyError): the resource is not valid R4
            return Parsed(None, tuple(ignored), f"not valid FHIR R4 ({type(exc).__name__})")
        extra = [e["loc"] for e in errors if e.get("type") == "extra_forbidden"]
        if not extra:
            first = errors[0]
            where = path(first.get("loc", ()))
            return Parsed(
                None, tuple(ignored), f"not valid FHIR R4 at {where}: {first.get('msg', '')!s:.100}"
            )
        data = copy.deepcopy(data) if data is resource else data
        for loc in extra:
            if _remove(data, loc):
                ignored.append(path(loc))
    return Parsed(None, tuple(ignored), "not valid FHIR R4 (too many unknown elements)")


def _remove(data: Any, loc: tuple[Any, ...]) -> bool:
    """Remove the element at ``loc``; whether it was there."""
    target = data
    for step in loc[:-1]:
        in_dict = isinstance(target, dict) and step in target
        in_list = isinstance(target, list) and isinstance(step, int) and 0 <= step < len(target)
        if in_dict or in_list:
            target = target[step]
        else:
            return False
    if isinstance(target, dict) and loc and loc[-1] in target:
        del target[loc[-1]]
        return True
    return False


def path(loc: tuple[Any, ...] | list[Any]) -> str:
    """An element path as FHIR writes it: ``dosageInstruction[0].timing``."""
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "(resource)"
