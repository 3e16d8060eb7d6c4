"""One answer to "which risk assertion speaks for a drug", for the rules, `drug show` and the
grade a structure's neighbour shows."""

from __future__ import annotations

from datetime import date

from pharmcheck.domain import Patient
from pharmcheck.kb.lookup import describe_drug
from pharmcheck.kb.risk import GRADE_ORDER, risk_assertion
from pharmcheck.rules.base import CheckContext
from pharmcheck.rules.causative import risk_assertion as rules_risk_assertion
from pharmcheck.structures import myoclonus_grade


def _strongest(grades: list[str]) -> str | None:
    return min(grades, key=GRADE_ORDER.index) if grades else None


def test_own_assertion_then_curated_class_then_inferred_class(kb) -> None:  # type: ignore[no-untyped-def]
    class_grades: dict[str, list[str]] = {}
    own: dict[int, list[str]] = {}
    for fact in kb.risks:
        if fact.values.get("drug_id") is not None:
            own.setdefault(int(fact["drug_id"]), []).append(str(fact["grade"]))
        else:
            class_grades.setdefault(kb.classes[int(fact["class_id"])][0], []).append(fact["grade"])
    seen = {"own": 0, "curated": 0, "inferred": 0}
    for drug_id in {*own, *kb.memberships}:
        by_basis: dict[str, list[str]] = {"curated": [], "inferred": []}
        for m in kb.classes_of(drug_id):
            by_basis[m.basis] += class_grades.get(m.class_name, [])
        found = risk_assertion(kb, drug_id)
        curated = risk_assertion(kb, drug_id, curated_classes_only=True)
        if drug_id in own:
            kind, expected = "own", _strongest(own[drug_id])
        elif by_basis["curated"]:
            kind, expected = "curated", _strongest(by_basis["curated"])
        elif by_basis["inferred"]:
            kind, expected = "inferred", _strongest(by_basis["inferred"])
        else:
            assert found is None and curated is None
            continue
        seen[kind] += 1
        assert found is not None and found.grade == expected
        assert (found.via_class is None) == (kind == "own")
        assert found.inferred == (kind == "inferred")
        assert (curated.grade if curated else None) == (expected if kind != "inferred" else None)
    assert all(seen.values()), seen  # the KB has drugs of each kind


def test_a_drugs_own_assertion_speaks_even_when_its_class_grade_is_stronger(kb) -> None:  # type: ignore[no-untyped-def]
    ofloxacin = kb.names_by_lower_key("ofloxacin")[0].drug_id
    assert {m.class_name for m in kb.classes_of(ofloxacin)} >= {"fluoroquinolone"}
    class_id = kb.class_ids["fluoroquinolone"]
    class_grade = _strongest([f["grade"] for f in kb.risks if f.values.get("class_id") == class_id])
    found = risk_assertion(kb, ofloxacin)
    assert found is not None and found.via_class is None
    assert found.fact["drug_id"] == ofloxacin
    assert class_grade is not None
    assert GRADE_ORDER.index(class_grade) < GRADE_ORDER.index(found.grade)


def test_rules_drug_show_and_neighbour_grades_agree(kb) -> None:  # type: ignore[no-untyped-def]
    ctx = CheckContext(kb, Patient(), [], date(2026, 11, 25), frozenset())
    for drug_id in {*kb.memberships, *(f["drug_id"] for f in kb.risks if f["drug_id"])}:
        found = risk_assertion(kb, drug_id)
        rules = rules_risk_assertion(ctx, drug_id)
        shown = describe_drug(kb, drug_id)["myoclonus_risk"]
        if found is None:
            assert rules is None and shown is None and myoclonus_grade(kb, drug_id) is None
            continue
        assert rules is not None and rules[0] is found.fact
        assert (rules[1].via_class, rules[1].inferred) == (found.via_class, found.inferred)
        assert (shown["grade"], shown["via_class"]) == (found.grade, found.via_class)
        curated = risk_assertion(kb, drug_id, curated_classes_only=True)
        assert myoclonus_grade(kb, drug_id) == (curated.grade if curated else None)
