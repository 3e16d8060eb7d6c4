"""Reading a request body within limits: its size, and how deeply its JSON nests.

A body over the size limit is refused before it is read whole; JSON nested deeper than the
limit is refused before any code walks it (a deeply nested document can exhaust the stack).
"""

from __future__ import annotations

import json
from typing import Any

from pharmcheck.errors import InputError


def parse_json(body: bytes, max_depth: int) -> Any:
    """The JSON document in ``body``; InputError for anything else or for nesting over
    ``max_depth`` objects and arrays."""
    if not body.strip():
        raise InputError("the request has no body; send a JSON object")
    try:
        document = json.loads(body)
    except RecursionError:
        raise InputError(f"the JSON nests deeper than {max_depth} levels") from None
    except UnicodeDecodeError:
        raise InputError("the request body is not UTF-8 JSON") from None
    except ValueError as exc:
        raise InputError(f"the request body is not JSON ({exc})") from None
    if depth(document) > max_depth:
        raise InputError(f"the JSON nests deeper than {max_depth} levels")
    return document


def depth(document: Any) -> int:
    """How many objects and arrays lie inside one another at the deepest point (a scalar: 0)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in value.values())
        elif isinstance(value, list):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in value)
    return deepest
