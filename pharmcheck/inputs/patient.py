"""One reading of a patient: from a document's ``patient`` object, a row of a PATIENTS table,
or a :class:`Patient` a library caller built. One set of checks, one-line errors.

Each field has one reader that takes the value as it comes (a JSON number or flag, or a table
cell's text) and returns the Patient's value or raises :class:`InputError` naming the field.
``screen`` applies the same readers to each distinct cell of a column, so a ward gets exactly
the values and messages ``check`` gives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from numbers import Real
from typing import Any, cast

from pharmcheck.domain import (
    DIALYSIS_KINDS,
    HEPATIC_LEVELS,
    MYOCLONUS_STATES,
    PATIENT_FLAGS,
    PATIENT_TEXTS,
    SEXES,
    Patient,
    Quantity,
)
from pharmcheck.errors import InputError
from pharmcheck.inputs.renal import creatinine_quantity
from pharmcheck.inputs.typecheck import sequence_of_texts

#: A text field longer than this is refused: no drug name, sig or condition comes near it.
MAX_TEXT_CHARS = 1000
PLAUSIBLE_RANGES = {"age": (0, 130), "weight_kg": (0.2, 500), "crcl": (0, 250), "egfr": (0, 250)}
CHOICES: dict[str, tuple[str, ...]] = {
    "sex": SEXES,
    "dialysis": DIALYSIS_KINDS,
    "hepatic_impairment": HEPATIC_LEVELS,
    "myoclonus": MYOCLONUS_STATES,
}
_YES = frozenset({"true", "yes", "y", "1", "t"})
_NO = frozenset({"false", "no", "n", "0", "f"})
#: Common ways of writing a sex; "unknown" (FHIR AdministrativeGender) is not given.
_SEX_WORDS: dict[str, str | None] = {
    "f": "female",
    "woman": "female",
    "m": "male",
    "man": "male",
    "unknown": None,
}
#: Common ways of writing dialysis, as ward lists write it (CRRT is neither, and is refused).
_DIALYSIS_WORDS: dict[str, str | None] = {
    "hd": "hemodialysis",
    "ihd": "hemodialysis",
    "haemodialysis": "hemodialysis",
    "pd": "peritoneal",
    "capd": "peritoneal",
    "apd": "peritoneal",
    "peritoneal dialysis": "peritoneal",
    "no": "none",
}
_WORDS = {"sex": _SEX_WORDS, "dialysis": _DIALYSIS_WORDS}
#: The fields of a Patient in the order a message about the first wrong one follows.
FIELDS = tuple(f.name for f in fields(Patient))


def _given(value: Any) -> Any:
    """None for an absent value: None, or a text that is blank (an empty table cell)."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _short(key: str, text: str) -> str:
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(
            f"patient {key}: a text of {len(text):,} characters; "
            f"at most {MAX_TEXT_CHARS:,} are read"
        )
    return text


def read_number(key: str, value: Any) -> float | None:
    """A number as given, or a text that reads as one (a table cell), within its plausible range."""
    value = _given(value)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise InputError(f"patient {key} must be a number, got {value!r:.60}") from None
    elif isinstance(value, bool) or not isinstance(value, Real):
        raise InputError(f"patient {key} must be a number, got {value!r:.60}")
    else:
        number = cast(float, value)  # any Real as given (int, float, a numpy number)
    return _in_range(key, number)


def _in_range(key: str, number: float) -> float:
    low, high = PLAUSIBLE_RANGES[key]
    if not low <= number <= high:  # also refuses NaN
        raise InputError(f"patient {key} {number:g} is outside the plausible range {low}-{high}")
    return number


def read_flag(key: str, value: Any) -> bool | None:
    """true/false, or yes/no (and y/n, t/f, 1/0) as a text."""
    value = _given(value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _YES | _NO:
        return value.lower() in _YES
    raise InputError(f"patient {key} must be true or false (yes or no), got {value!r:.60}")


def read_choice(key: str, value: Any) -> str | None:
    """One word of the field's closed vocabulary, case and spaces aside."""
    value = _given(value)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"patient {key} must be a text, got {value!r:.60}")
    word = " ".join(_short(key, value).lower().split())
    words = _WORDS.get(key, {})
    if word in words:
        return words[word]
    if word not in CHOICES[key]:
        raise InputError(f"patient {key} must be one of {', '.join(CHOICES[key])}, got {value!r}")
    return word


def read_id(key: str, value: Any) -> str | None:
    value = _given(value)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError(f"patient {key} must be a text, got {value!r:.60}")
    return _short(key, str(value))


def read_conditions(key: str, value: Any) -> tuple[str, ...]:
    """A list of texts, or one text with the conditions separated by ";"."""
    value = _given(value)
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(";")
    if not isinstance(value, list | tuple) or not all(isinstance(c, str) for c in value):
        raise InputError(f"patient {key} must be a list of text")
    return tuple(_short(key, c.strip()) for c in value if c.strip())


def read_creatinine(key: str, value: Any) -> Quantity | None:
    """A serum creatinine: ``{"value": 1.2, "unit": "mg/dL"}``, a text "1.2 mg/dL", or a
    Quantity; mg/dL or umol/L, within its plausible range."""
    value = _given(value)
    if value is None:
        return None
    if isinstance(value, Quantity):
        return creatinine_quantity(value.value, value.unit)
    if isinstance(value, str) and len(value.split()) == 2:
        number, unit = value.split()
        try:
            return creatinine_quantity(float(number), unit)
        except ValueError:
            pass
    if isinstance(value, Mapping) and set(value) == {"value", "unit"}:
        return creatinine_quantity(value["value"], value["unit"])
    raise InputError(
        f'patient {key} must be {{"value": NUMBER, "unit": "mg/dL" or "umol/L"}}, got {value!r:.60}'
    )


READERS: dict[str, Callable[[str, Any], Any]] = {
    "id": read_id,
    **{key: read_number for key in PLAUSIBLE_RANGES},
    **{key: read_choice for key in CHOICES},
    **{key: read_flag for key in PATIENT_FLAGS},
    "conditions": read_conditions,
    "serum_creatinine": read_creatinine,
}


def patient_from_fields(data: Mapping[str, Any]) -> Patient:
    """A Patient from its fields as a document or a table gives them; unknown fields are refused
    and the message names the first value that is wrong."""
    if not isinstance(data, Mapping):
        raise InputError(f"'patient' must be an object, not {type(data).__name__}")
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise InputError(f"patient: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    return Patient(**{key: READERS[key](key, data[key]) for key in FIELDS if key in data})


def validate_patient(patient: Any) -> Patient:
    """A Patient a library caller built (None: an unknown patient), refused with a clear message
    where a value has the wrong type or is impossible (never clamped); a list becomes a tuple."""
    if patient is None:
        return Patient()
    if not isinstance(patient, Patient):
        raise InputError(f"patient must be a Patient, not {type(patient).__name__}")
    for key in PATIENT_TEXTS:
        value = getattr(patient, key)
        if value is not None and not isinstance(value, str):
            raise InputError(f"patient {key} must be a text, not {type(value).__name__}")
    for key in PATIENT_FLAGS:
        value = getattr(patient, key)
        if value is not None and not isinstance(value, bool):
            raise InputError(f"patient {key} must be True, False or None, got {value!r:.60}")
    for key in PLAUSIBLE_RANGES:
        value = getattr(patient, key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, Real):
            raise InputError(f"patient {key} must be a number, got {value!r:.60}")
        _in_range(key, float(value))
    for key, allowed in CHOICES.items():
        value = getattr(patient, key)
        if value is not None and value not in allowed:
            raise InputError(f"patient {key} must be one of {', '.join(allowed)}, got {value!r}")
    creatinine = patient.serum_creatinine
    if creatinine is not None and not isinstance(creatinine, Quantity):
        raise InputError(
            f"patient serum_creatinine must be a Quantity (mg/dL or umol/L), not "
            f"{type(creatinine).__name__}"
        )
    read_creatinine("serum_creatinine", creatinine)
    conditions = sequence_of_texts(patient.conditions, "patient conditions")
    if not all(isinstance(c, str) for c in conditions):
        raise InputError("patient conditions must be texts")
    return (
        patient
        if isinstance(patient.conditions, tuple)
        else replace(patient, conditions=conditions)
    )
