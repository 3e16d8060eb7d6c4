"""Reading a check request from a JSON or YAML document (``--input FILE``).

Every field but a medication's ``name`` is optional. Wrong types, impossible
values and unreadable files raise :class:`InputError` with a message that names
the field, so the CLI can print one line and exit 2.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pharmcheck.domain import DoseChange, Medication, Patient, Quantity
from pharmcheck.errors import InputError
from pharmcheck.fhir.bundle import is_bundle
from pharmcheck.inputs.patient import MAX_TEXT_CHARS, patient_from_fields
from pharmcheck.inputs.sig import parse_dose
from pharmcheck.inputs.status import status_problem

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_MEDICATIONS = 1000
#: Objects and lists inside one another: a request needs four (medications, one, its history, one
#: change).
MAX_NESTING_DEPTH = 10
#: A FHIR Bundle nests deeper: entry, resource, contained Medication, ingredient, strength, ...
MAX_FHIR_NESTING_DEPTH = 32
_MEDICATION_FIELDS = {
    "name",
    "dose",
    "frequency",
    "route",
    "start",
    "stop",
    "status",
    "history",
    "smiles",
    "concentration",
    "indication",
}


@dataclass(frozen=True)
class CheckRequest:
    medications: tuple[Medication, ...]
    patient: Patient
    as_of: date | None


def read_text(source: str) -> str:
    """The document's text from a path or ``-`` (stdin), refusing directories, binaries and
    giants."""
    if source == "-":
        data = sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1)
        name = "stdin"
    else:
        path = Path(source)
        if path.is_dir():
            raise InputError(f"{source} is a directory, not an input file")
        if not path.exists():
            raise InputError(f"input file {source} does not exist")
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise InputError(f"input file {source} is larger than {MAX_DOCUMENT_BYTES // 2**20} MB")
        with path.open("rb") as handle:
            data = handle.read(MAX_DOCUMENT_BYTES + 1)
        name = source
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError(f"{name} is larger than {MAX_DOCUMENT_BYTES // 2**20} MB")
    if b"\x00" in data:
        raise InputError(f"{name} is a binary file, not JSON or YAML")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} is not UTF-8 text (byte {exc.start})") from None


def parse_document(text: str, source: str = "input") -> CheckRequest:
    """Parse JSON, or YAML when it is not JSON, into a :class:`CheckRequest`."""
    return request_from_data(load_document(text, source), source)


def load_document(text: str, source: str = "input") -> Any:
    """The data of a JSON or YAML document: a request, or a FHIR Bundle (JSON, which nests
    deeper: up to MAX_FHIR_NESTING_DEPTH)."""
    stripped = text.lstrip()
    if not stripped:
        raise InputError(f"{source} is empty")
    if stripped[0] in "{[":
        try:
            data = json.loads(text, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{source}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None
        except RecursionError:
            raise InputError(f"{source}: nested deeper than {MAX_NESTING_DEPTH} levels") from None
        except InputError as exc:
            raise InputError(f"{source}: {exc}") from None
        _check_depth(data, source, MAX_FHIR_NESTING_DEPTH if is_bundle(data) else MAX_NESTING_DEPTH)
        return data
    return _load_yaml(text, source)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice (the last would silently win)."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise InputError(f"the key {key!r} is given twice in one object")
        data[key] = value
    return data


def _check_depth(data: Any, source: str, limit: int) -> None:
    """Refuse objects and lists nested deeper than ``limit``."""
    level: list[Any] = [data]
    for _ in range(limit):
        level = [
            v
            for item in level
            if isinstance(item, dict | list)
            for v in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return
    raise InputError(f"{source}: nested deeper than {limit} levels")


def _load_yaml(text: str, source: str) -> Any:
    """YAML without aliases (a request has no use for them, and they make small documents
    expand without bound), without a key given twice, and no deeper than MAX_NESTING_DEPTH:
    all refused while the document is composed, before any value is built."""
    import yaml

    # PyYAML has no type information installed (types-PyYAML is not a dependency).
    class RequestLoader(yaml.SafeLoader):  # type: ignore[misc]
        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark
                raise InputError(
                    f"{source}: line {mark.line + 1}: YAML aliases (*name) are not accepted; "
                    "write the value out"
                )
            self.depth += 1
            if self.depth > MAX_NESTING_DEPTH:
                raise InputError(f"{source}: nested deeper than {MAX_NESTING_DEPTH} levels")
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if not isinstance(key, str | int | float | bool | date):
                    continue  # an unhashable key: the constructor refuses it below
                if key in seen:
                    raise InputError(
                        f"{source}: line {key_node.start_mark.line + 1}: the key {key!r} is given "
                        "twice in one mapping"
                    )
                seen.add(key)
            return super().construct_mapping(node, deep)

    try:
        return yaml.load(text, Loader=RequestLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise InputError(
            f"{source}: malformed YAML{where}: {getattr(exc, 'problem', exc)}"
        ) from None


def request_from_data(data: Any, source: str = "input") -> CheckRequest:
    if is_bundle(data):
        raise InputError(f"{source} is a FHIR Bundle: read it with pharmcheck.fhir.read_bundle")
    if isinstance(data, list):
        data = {"medications": data}
    if not isinstance(data, dict):
        raise InputError(
            f"{source}: expected an object with 'medications', got {type(data).__name__}"
        )
    unknown = set(data) - {"as_of", "patient", "medications"}
    if unknown:
        raise InputError(
            f"{source}: unknown top-level field(s) {', '.join(sorted(map(str, unknown)))}"
        )
    meds = data.get("medications")
    if not isinstance(meds, list):
        raise InputError(f"{source}: 'medications' must be a list")
    if not meds:
        raise InputError(f"{source}: the medication list is empty")
    if len(meds) > MAX_MEDICATIONS:
        raise InputError(
            f"{source}: {len(meds)} medications; one list may hold at most {MAX_MEDICATIONS} "
            "(use `pharmcheck screen` for wards)"
        )
    as_of = parse_date(data["as_of"], "as_of") if data.get("as_of") is not None else None
    patient = patient_from_fields(data.get("patient") or {})
    return CheckRequest(
        tuple(medication_from_data(m, i) for i, m in enumerate(meds, start=1)), patient, as_of
    )


def medication_from_data(data: Any, number: int) -> Medication:
    if isinstance(data, str):
        data = {"name": data}
    if not isinstance(data, dict):
        raise InputError(
            f"medication {number}: expected an object or a text, got {type(data).__name__}"
        )
    unknown = set(data) - _MEDICATION_FIELDS
    if unknown:
        raise InputError(
            f"medication {number}: unknown field(s) {', '.join(sorted(map(str, unknown)))}"
        )
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"medication {number}: 'name' must be a non-empty text, got {name!r}")
    text = {}
    for key in ("dose", "frequency", "route", "status", "smiles", "concentration", "indication"):
        value = data.get(key)
        if (value is not None and not isinstance(value, str | int | float)) or isinstance(
            value, bool
        ):
            raise InputError(f"medication {number} ({name}): {key} must be text, got {value!r}")
        text[key] = str(value) if value is not None else None
    for key, value in (("name", name), *text.items()):
        if value is not None and len(value) > MAX_TEXT_CHARS:
            raise InputError(
                f"medication {number}: {key} is {len(value):,} characters long; "
                f"at most {MAX_TEXT_CHARS:,} are read"
            )
    problem = status_problem(text["status"])
    if problem:
        raise InputError(f"medication {number} ({name}): {problem}")
    if text["dose"] is not None and text["dose"].replace(".", "", 1).isdigit():
        text["dose"] += " mg"
    history = data.get("history") or []
    if not isinstance(history, list):
        raise InputError(f"medication {number} ({name}): history must be a list")
    return Medication(
        name=name,
        start=parse_date(data.get("start"), f"medication {number} start")
        if data.get("start")
        else None,
        stop=parse_date(data.get("stop"), f"medication {number} stop")
        if data.get("stop")
        else None,
        history=tuple(_dose_change(h, number, name) for h in history),
        **text,
    )


def _dose_change(item: Any, number: int, name: str) -> DoseChange:
    if not isinstance(item, dict) or "date" not in item or "daily_dose" not in item:
        raise InputError(
            f"medication {number} ({name}): each history entry needs 'date' and 'daily_dose'"
        )
    dose, _ = parse_dose(str(item["daily_dose"]))
    if dose is not None and dose.unit in ("mg/day", "units/day", "mmol/day"):
        dose = Quantity(dose.value, dose.unit.removesuffix("/day"))  # a daily dose, as asked
    if dose is None:
        raise InputError(
            f"medication {number} ({name}): cannot read history dose {item['daily_dose']!r}"
        )
    return DoseChange(parse_date(item["date"], f"medication {number} history date"), dose)


def parse_date(value: Any, field: str) -> date:
    """A date from a document (YAML gives date and datetime objects) or a text: see
    :func:`read_date`."""
    read = read_date(value) if isinstance(value, str | date) else None
    if read is None:
        raise InputError(f"{field} must be a date (YYYY-MM-DD), got {value!r}")
    if isinstance(read, str):
        raise InputError(
            f"{field}: {value if isinstance(value, str) else value.isoformat()!r} {read}"
        )
    return read


def read_date(value: str | date) -> date | str:
    """The day a value gives, or why it gives none. YYYY-MM-DD (as ``date.fromisoformat`` reads
    it) or a date and time without a time zone (its day) is read; a time zone is refused, as the
    day it falls on depends on where. ``check`` and ``screen`` both read dates with this."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value
    else:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            try:
                moment = datetime.fromisoformat(value.strip())
            except ValueError:
                return "is not a date (YYYY-MM-DD)"
    if moment.tzinfo is not None:
        return (
            "has a time zone, so its day depends on where it is read; give the date as YYYY-MM-DD"
        )
    return moment.date()
