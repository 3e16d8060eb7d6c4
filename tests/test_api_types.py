"""Misusing the public API raises a PharmcheckError with a clear message, never a TypeError,
and never checks something other than what was meant."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pharmcheck import Checker, DoseChange, Medication, Patient, Quantity, check
from pharmcheck.errors import InputError, PharmcheckError

AS_OF = date(2026, 11, 25)

ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 500),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.binary(max_size=4),
    st.lists(st.text(max_size=6), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    st.just(date(2026, 1, 1)),
    st.just(datetime(2026, 1, 1, 8, 30)),
    st.just(Quantity(5, "mg")),
    st.just(object()),
)


def test_a_bare_string_is_refused_not_split_into_letters(checker) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="medications must be a list, not str"):
        checker.check("tramadol", as_of=AS_OF)


def test_pregnant_no_is_refused_not_read_as_pregnant(checker) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="pregnant must be True, False or None"):
        checker.check(["valproate 500 mg bd"], Patient(pregnant="no"), as_of=AS_OF)  # type: ignore[arg-type]


def test_conditions_as_a_bare_string_is_refused(checker) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="patient conditions must be a list"):
        checker.check(["carbamazepine"], Patient(conditions="jme"), as_of=AS_OF)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda c: c.check([42], as_of=AS_OF), "medication 1 must be a text or a Medication"),
        (lambda c: c.check(None, as_of=AS_OF), "medications must be a list"),
        (lambda c: c.check({"name": "tramadol"}, as_of=AS_OF), "medications must be a list"),
        (lambda c: c.check([Medication(name=5)], as_of=AS_OF), "name must be a text"),  # type: ignore[arg-type]
        (lambda c: c.check([Medication("tramadol", dose=50)], as_of=AS_OF), "dose must be a text"),  # type: ignore[arg-type]
        (
            lambda c: c.check(
                [Medication("tramadol", start="2026-01-01")],  # type: ignore[arg-type]
                as_of=AS_OF,
            ),
            "start must be a date",
        ),
        (
            lambda c: c.check(
                [Medication("tramadol", history=[("2026-01-01", "5 mg")])],  # type: ignore[arg-type]
                as_of=AS_OF,
            ),
            "history holds tuple",
        ),
        (
            lambda c: c.check(
                [Medication("tramadol", history=(DoseChange(date(2026, 1, 1), "5 mg"),))],  # type: ignore[arg-type]
                as_of=AS_OF,
            ),
            "Quantity",
        ),
        (lambda c: c.check(["tramadol"], "bed 7", as_of=AS_OF), "patient must be a Patient"),
        (lambda c: c.check(["tramadol"], Patient(age="70"), as_of=AS_OF), "age must be a number"),  # type: ignore[arg-type]
        (lambda c: c.check(["tramadol"], Patient(sex=1), as_of=AS_OF), "sex must be a text"),  # type: ignore[arg-type]
        (lambda c: c.check(["tramadol"], as_of="2026-11-25"), "as_of must be a date"),
        (lambda c: c.check(["tramadol"], as_of=AS_OF, select="PC1"), "select must be a list"),
        (
            lambda c: c.check(["tramadol"], as_of=AS_OF, ignore=[101]),
            "ignore must be a list of rule codes",
        ),
        (
            lambda c: c.check(["tramadol"], as_of=AS_OF, min_severity=3),
            "min_severity must be a Severity",
        ),
        (lambda c: c.check(["tramadol"], as_of=AS_OF, min_severity="urgent"), "unknown severity"),
        (lambda c: Checker("sqlite:///kb.sqlite"), "Checker needs a KnowledgeBase"),  # type: ignore[arg-type]
        (lambda c: check(["tramadol"], db_url=5, as_of=AS_OF), "db_url must be a text"),  # type: ignore[arg-type]
    ],
)
def test_each_misuse_is_an_input_error_that_says_what_is_wrong(checker, call, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=words):
        call(checker)


def test_a_datetime_as_of_is_read_as_its_date(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(["tramadol 50 mg qid"], as_of=datetime(2026, 11, 25, 23, 59))
    assert report.as_of == AS_OF


@given(
    field=st.sampled_from(
        [
            "dose",
            "frequency",
            "route",
            "start",
            "stop",
            "status",
            "history",
            "smiles",
            "concentration",
            "name",
        ]
    ),
    value=ANY_VALUE,
)
def test_any_value_in_any_medication_field_gives_a_report_or_a_pharmcheck_error(
    checker, field, value
) -> None:  # type: ignore[no-untyped-def]
    try:
        report = checker.check(
            [Medication(**{"name": "tramadol 50 mg qid", field: value})], as_of=AS_OF
        )
    except PharmcheckError:
        return
    # every medication is accounted for: resolved, reported as not checked, or screened by its
    # structure
    assert len(report.medications) + len(report.unrecognized) + len(report.structures) >= 1


@given(
    field=st.sampled_from(
        [
            "id",
            "age",
            "sex",
            "weight_kg",
            "crcl",
            "egfr",
            "dialysis",
            "hepatic_impairment",
            "pregnant",
            "childbearing_potential",
            "conditions",
            "myoclonus",
        ]
    ),
    value=ANY_VALUE,
)
def test_any_value_in_any_patient_field_gives_a_report_or_a_pharmcheck_error(
    checker, field, value
) -> None:  # type: ignore[no-untyped-def]
    try:
        report = checker.check(["tramadol 50 mg qid"], Patient(**{field: value}), as_of=AS_OF)
    except PharmcheckError:
        return
    checked: Any = getattr(report.patient, field)
    # a value that was accepted is checked as given, not coerced (a list of conditions as a tuple)
    assert checked is value or (field == "conditions" and checked == tuple(value))


def test_a_giant_structure_is_refused_before_rdkit_sees_it(checker) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="too-many-atoms"):
        checker.check([Medication("compound X", smiles="C" * 20_000)], as_of=AS_OF)
