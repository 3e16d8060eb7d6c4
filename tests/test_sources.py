"""The db/ sources are valid, referenced, and hold the published values we rely on."""

from __future__ import annotations

import pytest

from pharmcheck.kb.build import check_sources
from pharmcheck.kb.sources import EVIDENCE, GRADES, Row, grade_evidence_problems, read_sources
from pharmcheck.paths import sources_dir


def test_sources_have_no_problems() -> None:
    assert check_sources() == []


def test_every_assertion_names_a_reference() -> None:
    bundle = read_sources(sources_dir())
    refs = {row["ref_id"] for row in bundle.tables["references"]}
    for table in ("risks", "condition_rules", "interactions", "treatments", "confused_names"):
        for row in bundle.tables[table]:
            cited = [r for r in row["ref_ids"].split(";") if r.strip()]
            assert cited, f"{row.where} has no reference"
            assert set(cited) <= refs, f"{row.where} cites unknown {set(cited) - refs}"
    for table in (
        "properties",
        "dose_limits",
        "renal",
        "hepatic",
        "class_members",
        "condition_codes",
    ):
        for row in bundle.tables[table]:
            assert row["ref_id"] in refs, f"{row.where} cites unknown {row['ref_id']}"


def test_every_reference_says_its_kind() -> None:
    for row in read_sources(sources_dir()).tables["references"]:
        assert row["kind"], row.where


def test_kb_version_is_a_content_hash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from pharmcheck.kb.sources import content_version

    copy = tmp_path / "db"
    shutil.copytree(sources_dir(), copy)
    assert content_version(copy) == content_version(sources_dir())
    (copy / "names" / "core.csv").write_text("name,drug,kind,source\n", encoding="utf-8")
    assert content_version(copy) != content_version(sources_dir())


def _prop(kb, drug: str, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    hits = kb.names_by_lower_key(drug)
    assert hits, drug
    return [
        str(f["value"])
        for f in kb.properties_by_drug.get(hits[0].drug_id, [])
        if f["property"] == name
    ]


@pytest.mark.parametrize(
    ("drug", "score"),
    [
        ("amitriptyline", "3"),
        ("oxybutynin", "3"),
        ("diphenhydramine", "3"),
        ("paroxetine", "3"),
        ("carbamazepine", "2"),
        ("pethidine", "2"),
        ("amantadine", "2"),
        ("morphine", "1"),
        ("codeine", "1"),
        ("furosemide", "1"),
        ("warfarin", "1"),
    ],
)
def test_published_acb_scores(kb, drug: str, score: str) -> None:  # type: ignore[no-untyped-def]
    assert _prop(kb, drug, "acb_score") == [score]


@pytest.mark.parametrize(
    ("drug", "factor"),
    [
        ("codeine", 0.15),
        ("hydrocodone", 1.0),
        ("hydromorphone", 5.0),
        ("methadone", 4.7),
        ("morphine", 1.0),
        ("oxycodone", 1.5),
        ("oxymorphone", 3.0),
        ("tapentadol", 0.4),
        ("tramadol", 0.2),
        ("fentanyl", 2.4),
    ],
)
def test_cdc_2022_mme_factors(kb, drug: str, factor: float) -> None:  # type: ignore[no-untyped-def]
    assert [float(v) for v in _prop(kb, drug, "mme_factor")] == [factor]


def test_pethidine_has_no_invented_mme_factor(kb) -> None:  # type: ignore[no-untyped-def]
    assert _prop(kb, "pethidine", "mme_factor") == []
    assert [float(v) for v in _prop(kb, "pethidine", "high_dose_threshold")] == [600.0]


def _bands(kb, drug: str):  # type: ignore[no-untyped-def]
    drug_id = kb.names_by_lower_key(drug)[0].drug_id
    return [f for f in kb.renal_bands if f["drug_id"] == drug_id]


def test_levetiracetam_label_bands(kb) -> None:  # type: ignore[no-untyped-def]
    by_range = {
        (b["lower"], b["upper"]): b for b in _bands(kb, "levetiracetam") if not b["dialysis"]
    }
    assert by_range[(None, 30.0)]["max_daily_dose"] == 1000  # 250-500 mg every 12 h
    assert by_range[(30.0, 50.0)]["max_daily_dose"] == 1500  # 250-750 mg every 12 h
    assert by_range[(50.0, 80.0)]["max_daily_dose"] == 2000  # 500-1000 mg every 12 h


def test_piracetam_contraindicated_below_20(kb) -> None:  # type: ignore[no-untyped-def]
    lowest = [b for b in _bands(kb, "piracetam") if not b["dialysis"] and b["lower"] is None]
    assert lowest and lowest[0]["upper"] == 20 and lowest[0]["action"] == "contraindicated"


def _with_rows(tmp_path, table: str, lines: list[str]):  # type: ignore[no-untyped-def]
    import shutil

    copy = tmp_path / "db"
    shutil.copytree(sources_dir(), copy)
    with (copy / table / "extra.csv").open("w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return check_sources(copy)


@pytest.mark.parametrize(
    ("table", "lines", "problem"),
    [
        (
            "condition_codes",
            [
                "condition,system,code,title,ref_id",
                "dravet-syndrome,ICD-11,8A61.11,Dravet,ICD10CM-HCCB",
            ],
            "condition_codes.system='ICD-11'",
        ),
        (
            "condition_codes",
            [
                "condition,system,code,title,ref_id",
                "epilepsy,ICD-10-CM,G40.834,Dravet,ICD10CM-HCCB",
            ],
            "given to two conditions",
        ),
        (
            "condition_codes",
            [
                "condition,system,code,title,ref_id",
                "no-such-condition,ICD-10-CM,Z99.9,x,ICD10CM-HCCB",
            ],
            "unknown condition",
        ),
        (
            "condition_codes",
            ["condition,system,code,title,ref_id", "epilepsy,ICD-10-CM,G40.9,Epilepsy,NO-SUCH-REF"],
            "unknown reference",
        ),
        ("confused_names", ["a,b,listed_as,ref_ids", "tramadol,Ultram,x,ISMP23-CDN"], "one drug"),
        (
            "confused_names",
            ["a,b,listed_as,ref_ids", "tramadol,xyzzyplox,x,ISMP23-CDN"],
            "unknown drug",
        ),
        ("confused_names", ["a,b,listed_as,ref_ids", "tramadol,trazodone,x,"], "ref_ids is empty"),
    ],
)
def test_new_tables_are_validated(tmp_path, table: str, lines: list[str], problem: str) -> None:  # type: ignore[no-untyped-def]
    problems = _with_rows(tmp_path, table, lines)
    assert any(problem in p for p in problems), problems


# Written from db/README.md's definitions, not from the code's table: known rests on level A,
# probable on many reports, possible on few reports or mechanism only; conditional on any evidence.
_README_ALLOWS = {("known", "A"), ("probable", "MR"), ("possible", "FR"), ("possible", "M")} | {
    ("conditional", code) for code in ("A", "MR", "FR", "M")
}


@pytest.mark.parametrize("grade", GRADES)
@pytest.mark.parametrize("evidence", EVIDENCE)
def test_grade_must_match_its_evidence_code(grade: str, evidence: str) -> None:
    row = Row({"subject": "x", "grade": grade, "evidence": evidence}, "risks/x.csv", 2)
    assert bool(grade_evidence_problems([row])) == ((grade, evidence) not in _README_ALLOWS)


def test_check_sources_rejects_a_grade_its_evidence_does_not_support(tmp_path) -> None:  # type: ignore[no-untyped-def]
    header = (
        "subject,grade,evidence,severity,dose_dependent,worsening_conditions,mechanism,summary,"
        "ref_ids"
    )
    problems = _with_rows(
        tmp_path,
        "risks",
        [
            header,
            "amlodipine,known,FR,minor,unknown,,,A single case report.,RIS25",
        ],
    )
    assert [p for p in problems if "needs evidence" in p] == [
        "risks/extra.csv:2: risks grade 'known' needs evidence A, not 'FR'"
    ]


def test_every_risk_grade_in_db_matches_its_evidence_code() -> None:
    assert grade_evidence_problems(read_sources(sources_dir()).tables["risks"]) == []


def test_evidence_a_cannot_rest_on_a_secondary_copy_of_a_label(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    copy = tmp_path / "db"
    shutil.copytree(sources_dir(), copy)
    (copy / "references" / "extra.csv").write_text(
        "ref_id,kind,citation,pmid,doi,url,verified_via,notes\n"
        "AI-QUOTE,secondary,A label sentence quoted by an AI answer page.,,,,,\n",
        encoding="utf-8",
    )
    (copy / "risks" / "extra.csv").write_text(
        "subject,grade,evidence,severity,dose_dependent,worsening_conditions,mechanism,summary,ref_ids\n"
        "amlodipine,known,A,minor,unknown,,,Quoted label.,AI-QUOTE\n"
        "atenolol,known,A,minor,unknown,,,Quoted label and the review.,AI-QUOTE;RIS25\n",
        encoding="utf-8",
    )
    problems = [p for p in check_sources(copy) if "evidence 'A' needs" in p]
    assert problems == [
        (
            "risks/extra.csv:2: evidence 'A' needs a cited reference of kind systematic-review or "
            "label "
            "or guideline"
        )
    ]
