"""db/structures/: what RDKit computes for the KB, kept as files so a build needs no RDKit."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from pharmcheck.errors import KnowledgeBaseError
from pharmcheck.kb import derived
from pharmcheck.kb.sources import read_sources
from pharmcheck.paths import sources_dir

pytestmark = pytest.mark.core  # runs in the install without extras (test_core_install.py)

CSV_FILES = ("curated.csv", "parents.csv", "smarts.csv", "smarts_matches.csv")


def test_the_files_cover_the_sources() -> None:
    bundle = read_sources(sources_dir())
    assert derived.read(sources_dir() / derived.FOLDER).gaps(derived.needed(bundle)) == []


def test_recomputing_with_rdkit_gives_the_committed_files(tmp_path: Path) -> None:
    pytest.importorskip("rdkit", reason="recomputing db/structures/ needs the chem extra")
    assert derived.main([str(_copy_sources(tmp_path))]) == 0
    for name in CSV_FILES:
        recomputed = (tmp_path / "db" / derived.FOLDER / name).read_text(encoding="utf-8")
        committed = (sources_dir() / derived.FOLDER / name).read_text(encoding="utf-8")
        assert recomputed == committed, f"db/structures/{name} is stale: run {derived.COMMAND}"


def test_known_chemistry_is_in_the_files() -> None:
    """Spot checks written from the chemistry (published InChIKeys, a class's defining ring)."""
    files = derived.read(sources_dir() / derived.FOLDER)
    by_key = {c.inchikey.split("-")[0]: c for c in files.curated.values()}
    tramadol, ciprofloxacin = by_key["TVYLLZQTGLZFBW"], by_key["MYSWGUAQZAJSOK"]
    assert tramadol.fragments == 1 and not tramadol.error
    assert files.parents[tramadol.parent_smiles].parses
    assert len(files.parents[tramadol.parent_smiles].morgan_on_bits) > 10
    fluoroquinolone = [
        row["smarts"]
        for row in read_sources(sources_dir()).tables["smarts"]
        if row["class"] == "fluoroquinolone"
    ]
    assert fluoroquinolone and all(files.smarts_compiles[s] for s in fluoroquinolone)
    assert any(files.matches_pattern(s, ciprofloxacin.parent_smiles) for s in fluoroquinolone)
    assert not any(files.matches_pattern(s, tramadol.parent_smiles) for s in fluoroquinolone)


def test_the_kb_holds_what_the_files_say(kb) -> None:  # type: ignore[no-untyped-def]
    """The session KB (built from these files, with or without RDKit) stores their results."""
    files = derived.read(sources_dir() / derived.FOLDER)
    drug_ids, blobs = kb.fingerprints()
    assert len(drug_ids) > 2000
    for drug_id, blob in zip(drug_ids, blobs, strict=True):
        smiles = kb.drug_row(drug_id)["smiles"]
        assert derived.unpack_on_bits(blob) == files.parents[smiles].morgan_on_bits
    ciprofloxacin = kb.names_by_lower_key("ciprofloxacin")[0].drug_id
    assert any(m.class_name == "fluoroquinolone" for m in kb.classes_of(ciprofloxacin))


def test_a_build_without_rdkit_needs_nothing_the_files_lack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "rdkit", None)  # as in a plain install
    log: list[str] = []
    problems: list[str] = []
    derived.for_sources(read_sources(sources_dir()), log.append, problems)
    assert (log, problems) == ([], [])


def _copy_sources(tmp_path: Path) -> Path:
    copy = tmp_path / "db"
    shutil.copytree(sources_dir(), copy)
    return copy


def _add_drug(sources: Path) -> None:
    (sources / "drugs" / "00-added.csv").write_text(
        "drug,smiles,drugbank_id,atc_codes,rxnorm_cui,structure_source\n"
        "zz-added-drug,CCCCCCCCCCCCN,,,,test structure\n"
    )


def test_an_edited_structure_without_rdkit_is_a_source_problem_naming_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pharmcheck.kb.build import build

    sources = _copy_sources(tmp_path)
    _add_drug(sources)
    monkeypatch.setitem(sys.modules, "rdkit", None)
    with pytest.raises(KnowledgeBaseError) as raised:
        build(f"sqlite:///{tmp_path / 'kb.sqlite'}", sources)
    message = str(raised.value)
    assert "CCCCCCCCCCCCN" in message and derived.COMMAND in message
    assert "pip install 'pharmcheck[chem]'" in message


def test_an_edited_structure_with_rdkit_is_computed_for_the_build(rebuilt_kb: Path) -> None:
    from pharmcheck.kb.store import open_kb

    rebuilt = open_kb(f"sqlite:///{rebuilt_kb}")
    added = rebuilt.names_by_lower_key("zz-added-drug")[0].drug_id
    assert rebuilt.drug_row(added)["smiles"] == f"N{'C' * 40}O"
    assert added in rebuilt.fingerprints()[0]  # computed: db/structures/ does not hold it
