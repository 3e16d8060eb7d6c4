"""Vocabulary structures are trusted only when a second, independent source (DrugCentral) agrees."""

from __future__ import annotations

import csv
import importlib.util
import shutil
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("rdkit", reason="needs the chem extra (RDKit)")

from hypothesis import given
from hypothesis import strategies as st

from pharmcheck.errors import KnowledgeBaseError
from pharmcheck.kb import structure_crosscheck, vocabulary_import
from pharmcheck.paths import sources_dir

# Published InChIKeys (PubChem / DrugCentral): the compound each drug name means.
OXYCODONE = "BRUQQQPBMZOVGD-XFKAJCMBSA-N"
NOROXYCODONE_SKELETON = "RIKMCJUNPCRFMW"
LABETALOL = "SGUAFYQXFOLMHL-UHFFFAOYSA-N"  # racemic mixture of four stereoisomers
DILEVALOL = "SGUAFYQXFOLMHL-ACJLOTCBSA-N"  # its (R,R) isomer, a different drug


def _vocabulary_rows(name: str) -> list[dict[str, str]]:
    with (sources_dir() / "vocabulary" / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def vocabulary() -> dict[str, dict[str, str]]:
    return {row["drug"]: row for row in _vocabulary_rows("drugs.csv")}


@pytest.fixture(scope="module")
def extract() -> dict[str, dict[str, str]]:
    return structure_crosscheck.read(sources_dir() / "vocabulary" / "crosscheck.csv")


@pytest.mark.parametrize("drug", ["oxycodone", "amisulpride", "diclofenac"])
def test_named_wrong_compounds_are_no_longer_trusted(vocabulary, extract, drug: str) -> None:  # type: ignore[no-untyped-def]
    assert vocabulary[drug]["structure_status"] == "second-source-disagrees"
    assert vocabulary[drug]["smiles"] == "" and vocabulary[drug]["inchikey"] == ""
    assert extract[drug]["agreement"] == "disagrees"


def test_labetalol_is_corrected_to_the_racemate(vocabulary, extract) -> None:  # type: ignore[no-untyped-def]
    assert vocabulary["labetalol"]["structure_status"] == "trusted"
    assert vocabulary["labetalol"]["inchikey"] == LABETALOL != DILEVALOL
    assert extract["labetalol"]["vocabulary_inchikey"] == DILEVALOL  # what the first source drew
    assert extract["labetalol"]["agreement"] == "stereo-differs"


def test_knowledge_base_holds_no_wrong_structure_for_the_named_drugs(kb) -> None:  # type: ignore[no-untyped-def]
    rows = {
        name: kb.drug_row(kb.names_by_lower_key(name)[0].drug_id)
        for name in ("oxycodone", "amisulpride", "diclofenac", "labetalol")
    }
    assert rows["oxycodone"]["inchikey"] == OXYCODONE  # the curated structure
    assert not rows["oxycodone"]["inchikey"].startswith(NOROXYCODONE_SKELETON)
    assert rows["amisulpride"]["smiles"] is None and rows["diclofenac"]["smiles"] is None
    assert rows["labetalol"]["inchikey"] == LABETALOL
    assert "confirmed by DrugCentral" in rows["labetalol"]["structure_source"]
    fingerprinted = set(kb.fingerprints()[0])
    assert (
        rows["amisulpride"]["id"] not in fingerprinted
        and rows["diclofenac"]["id"] not in fingerprinted
    )


def test_every_trusted_vocabulary_structure_is_confirmed(vocabulary, extract) -> None:  # type: ignore[no-untyped-def]
    trusted = [name for name, row in vocabulary.items() if row["structure_status"] == "trusted"]
    assert len(trusted) > 2000
    unconfirmed = [
        name
        for name in trusted
        if structure_crosscheck.agreement(extract.get(name)) not in structure_crosscheck.CONFIRMED
    ]
    assert unconfirmed == []
    for name in trusted:  # a confirmed compound keeps the second source's connectivity
        assert vocabulary[name]["inchikey"].split("-")[0] in {
            extract[name]["second_source_key"].split("-")[0],
            vocabulary[name]["inchikey"].split("-")[0],
        }


def test_source_txt_reports_the_agreement_rate_and_the_disagreeing_names(extract) -> None:  # type: ignore[no-untyped-def]
    text = (sources_dir() / "vocabulary" / "SOURCE.txt").read_text(encoding="utf-8")
    counts = Counter(row["agreement"] for row in extract.values())
    found = counts["agrees"] + counts["stereo-differs"] + counts["disagrees"]
    rate = 100 * (counts["agrees"] + counts["stereo-differs"]) / found
    assert f"agreement rate {rate:.1f}%" in text
    assert f"not in the second source: {counts['missing']}" in text
    listed = (
        text.split(f"second source disagrees ({counts['disagrees']}): ")[1]
        .split("\n")[0]
        .split("; ")
    )
    assert sorted(listed) == sorted(
        name for name, row in extract.items() if row["agreement"] == "disagrees"
    )
    assert structure_crosscheck.URL in text and structure_crosscheck.LICENCE in text


def test_extract_rows_carry_their_provenance(extract) -> None:  # type: ignore[no-untyped-def]
    for row in extract.values():
        assert (row["source"], row["version"], row["url"], row["licence"]) == (
            structure_crosscheck.SOURCE,
            structure_crosscheck.VERSION,
            structure_crosscheck.URL,
            structure_crosscheck.LICENCE,
        )
        assert row["agreement"] == structure_crosscheck.agreement(row)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (OXYCODONE, OXYCODONE, "agrees"),
        (DILEVALOL, LABETALOL, "stereo-differs"),
        (LABETALOL, DILEVALOL, "stereo-differs"),
        ("RIKMCJUNPCRFMW-ISWURRPUSA-N", OXYCODONE, "disagrees"),
        ("SGUAFYQXFOLMHL-UHFFFAOYSA-O", LABETALOL, "agrees"),  # protonation flag only
    ],
)
def test_compare(first: str, second: str, expected: str) -> None:
    assert structure_crosscheck.compare(first, second) == expected


KEY = st.from_regex(r"[A-Z]{14}-[A-Z]{8}[SN]A-[NOP]", fullmatch=True)


@given(KEY, KEY)
def test_compare_is_symmetric_and_never_confirms_another_skeleton(first: str, second: str) -> None:
    result = structure_crosscheck.compare(first, second)
    assert result == structure_crosscheck.compare(second, first)
    assert (result in structure_crosscheck.CONFIRMED) == (first[:14] == second[:14])


def test_agreement_is_recomputed_not_read_from_the_column() -> None:
    forged = {
        "vocabulary_key": "RIKMCJUNPCRFMW-ISWURRPUSA-N",
        "second_source_key": OXYCODONE,
        "agreement": "agrees",
    }
    assert structure_crosscheck.agreement(forged) == "disagrees"
    assert (
        structure_crosscheck.agreement({"vocabulary_key": OXYCODONE, "second_source_key": ""})
        == "missing"
    )
    assert structure_crosscheck.agreement(None) is None


def test_extract_prefers_the_own_name_and_records_a_missing_drug() -> None:
    labetalol = "CC(CCc1ccccc1)NCC(O)c1ccc(O)c(C(N)=O)c1"
    dilevalol = "C[C@H](CCc1ccccc1)NC[C@H](O)c1ccc(O)c(C(N)=O)c1"
    second = {
        "labetalol": [
            structure_crosscheck.SecondRecord("1531", "labetalol", LABETALOL, labetalol, LABETALOL)
        ],
        "amisulpride": [
            structure_crosscheck.SecondRecord(
                "179", "amisulpride", "", "CCO", "LFQSCWFLJHTTHZ-UHFFFAOYSA-N"
            )
        ],
    }
    rows = structure_crosscheck.extract(
        [
            ("labetalol", dilevalol, []),
            ("trandolol", "CCO", ["amisulpride"]),
            ("unlisted", "CCO", []),
        ],
        second,
    )
    by_drug = {row["drug"]: row for row in rows}
    assert by_drug["labetalol"]["agreement"] == "stereo-differs"
    assert by_drug["labetalol"]["second_source_id"] == "1531"
    assert by_drug["trandolol"]["agreement"] == "agrees"  # found through a generic synonym
    assert (
        by_drug["unlisted"]["agreement"] == "missing"
        and by_drug["unlisted"]["second_source_id"] == ""
    )


def test_tautomers_drawn_differently_are_one_compound() -> None:
    # atovaquone as the 2-hydroxy-1,4-quinone (DrugCentral) and as the 4-hydroxy-1,2-quinone
    para = "OC1=C([C@H]2CC[C@@H](CC2)c2ccc(Cl)cc2)C(=O)c2ccccc2C1=O"
    ortho = "O=C1C(=O)c2ccccc2C(O)=C1C1CCC(c2ccc(Cl)cc2)CC1"
    plain = structure_crosscheck.parent_key(ortho), structure_crosscheck.parent_key(para)
    assert structure_crosscheck.compare(*plain) == "disagrees"
    first, second = structure_crosscheck.comparison_keys(ortho, para)
    assert structure_crosscheck.compare(first, second) == "stereo-differs"  # trans not drawn in one


def _import_rows(drug: str, smiles: str, second_key: str) -> tuple[dict[str, str], Counter[str]]:
    from pharmcheck import chem

    parent = chem.parse_structure(smiles)
    assert isinstance(parent, chem.Structure)
    row = {
        "drug": drug,
        "smiles": parent.smiles,
        "inchikey": parent.inchikey,
        "structure_status": "trusted",
    }
    extract = {
        drug: {
            "vocabulary_inchikey": parent.inchikey,
            "vocabulary_key": parent.inchikey,
            "second_source_key": second_key,
            "second_source_inchikey": second_key,
        }
    }
    statuses: Counter[str] = Counter(trusted=1)
    vocabulary_import._apply_second_source(chem, [row], extract, statuses, {})
    return row, statuses


def test_import_drops_a_disagreeing_structure_and_flattens_unconfirmed_stereo() -> None:
    noroxycodone = "COc1ccc2C[C@H]3NCC[C@@]45[C@@H](Oc1c24)C(=O)CC[C@@]35O"
    row, statuses = _import_rows("oxycodone", noroxycodone, OXYCODONE)
    assert (row["structure_status"], row["smiles"], row["inchikey"]) == (
        "second-source-disagrees",
        "",
        "",
    )
    assert statuses == Counter(trusted=0, **{"second-source-disagrees": 1})
    row, _ = _import_rows(
        "labetalol", "C[C@@H](CCc1ccccc1)NC[C@@H](O)c1ccc(O)c(C(N)=O)c1", LABETALOL
    )
    assert (row["structure_status"], row["inchikey"]) == ("trusted", LABETALOL)


@pytest.fixture(scope="module")
def disagreeing_build(tmp_path_factory) -> tuple[str, Path]:  # type: ignore[no-untyped-def]
    """A KB built from sources in which the second source contradicts sparfloxacin's structure."""
    from pharmcheck import chem
    from pharmcheck.kb.build import build

    sources = tmp_path_factory.mktemp("sources") / "db"
    shutil.copytree(sources_dir(), sources)
    drugs_path, extract_path = (
        sources / "vocabulary" / "drugs.csv",
        sources / "vocabulary" / "crosscheck.csv",
    )
    extract = structure_crosscheck.read(extract_path)
    extract["sparfloxacin"]["second_source_key"] = extract["ciprofloxacin"]["second_source_key"]
    structure_crosscheck.write(extract_path, list(extract.values()))
    with drugs_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    sparfloxacin = [row for row in rows if row["drug"] == "sparfloxacin"]
    vocabulary_import._apply_second_source(chem, sparfloxacin, extract, Counter(), {})
    assert sparfloxacin[0]["structure_status"] == "second-source-disagrees"
    vocabulary_import._write_csv(
        drugs_path,
        vocabulary_import.DRUG_COLUMNS,
        [[row[c] for c in vocabulary_import.DRUG_COLUMNS] for row in rows],
    )
    url = f"sqlite:///{sources.parent / 'kb.sqlite'}"
    build(url, sources)
    return url, sources


def test_disagreeing_record_gets_no_inferred_membership_and_no_neighbour(
    kb, disagreeing_build
) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.kb.store import open_kb

    url, _ = disagreeing_build
    sparfloxacin_id = kb.names_by_lower_key("sparfloxacin")[0].drug_id
    assert any(
        m.class_name == "fluoroquinolone" and m.basis == "inferred"
        for m in kb.classes_of(sparfloxacin_id)
    )
    assert (
        sparfloxacin_id in kb.fingerprints()[0]
    )  # confirmed in the real sources: a member and a neighbour
    changed = open_kb(url)
    sparfloxacin_id = changed.names_by_lower_key("sparfloxacin")[0].drug_id
    assert changed.drug_row(sparfloxacin_id)["smiles"] is None
    assert not any(m.class_name == "fluoroquinolone" for m in changed.classes_of(sparfloxacin_id))
    assert sparfloxacin_id not in changed.fingerprints()[0]


def test_build_refuses_a_trusted_record_the_extract_does_not_confirm(tmp_path: Path) -> None:
    from pharmcheck.kb.build import build

    sources = tmp_path / "db"
    shutil.copytree(sources_dir(), sources)
    extract_path = sources / "vocabulary" / "crosscheck.csv"
    extract = structure_crosscheck.read(extract_path)
    extract["sparfloxacin"]["second_source_key"] = extract["ciprofloxacin"]["second_source_key"]
    structure_crosscheck.write(extract_path, list(extract.values()))
    with pytest.raises(KnowledgeBaseError, match="'sparfloxacin' is marked trusted but"):
        build(f"sqlite:///{tmp_path / 'kb.sqlite'}", sources)


def test_curated_structures_agree_with_the_second_source(extract) -> None:  # type: ignore[no-untyped-def]
    """Curated structures are hand-checked; where DrugCentral has the drug, it names the same
    compound."""
    checked, contradicted = 0, []
    for path in sorted((sources_dir() / "drugs").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                second = extract.get(row["drug"].lower(), {}).get("second_source_key")
                if not row["smiles"] or not second:
                    continue
                checked += 1
                keys = {
                    structure_crosscheck.parent_key(row["smiles"], tautomer=tautomer)
                    for tautomer in (False, True)
                }
                if not any(
                    structure_crosscheck.compare(key, second) in structure_crosscheck.CONFIRMED
                    for key in keys
                ):
                    contradicted.append(row["drug"])
    assert checked > 100
    assert contradicted == []


@pytest.mark.skipif(
    importlib.util.find_spec("drug_named_entity_recognition") is None,
    reason="the vocabulary's source package (drug-named-entity-recognition) is not installed",
)
def test_import_reproduces_the_committed_files_offline(tmp_path: Path) -> None:
    committed = sources_dir() / "vocabulary"
    shutil.copy(committed / "crosscheck.csv", tmp_path / "crosscheck.csv")
    vocabulary_import.build(tmp_path)  # no second-source file: the committed extract decides
    for name in ("drugs.csv", "crosscheck.csv", "names.csv"):
        assert (tmp_path / name).read_bytes() == (committed / name).read_bytes(), name
    fresh = (tmp_path / "SOURCE.txt").read_text(encoding="utf-8").splitlines()
    kept = (committed / "SOURCE.txt").read_text(encoding="utf-8").splitlines()
    assert [line for line in fresh if not line.startswith("date:")] == [
        line for line in kept if not line.startswith("date:")
    ]
