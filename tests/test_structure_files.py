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


def test_a_build_without_rdkit_reads_the_files(
    tmp_path: Path, kb, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.kb.build import build
    from pharmcheck.kb.store import open_kb

    monkeypatch.setitem(sys.modules, "rdkit", None)  # as in a plain install
    monkeypatch.delitem(sys.modules, "pharmcheck.chem", raising=False)
    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    build(url)
    plain = open_kb(url)
    assert "pharmcheck.chem" not in sys.modules
    ciprofloxacin = plain.names_by_lower_key("ciprofloxacin")[0].drug_id
    assert any(m.class_name == "fluoroquinolone" for m in plain.classes_of(ciprofloxacin))
    assert plain.fingerprints() == kb.fingerprints()
    assert plain.version == kb.version


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


def test_an_edited_structure_with_rdkit_is_computed_for_the_build(tmp_path: Path) -> None:
    pytest.importorskip("rdkit", reason="computing a structure needs the chem extra")
    from pharmcheck.kb.build import build
    from pharmcheck.kb.store import open_kb

    sources = _copy_sources(tmp_path)
    _add_drug(sources)
    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    report = build(url, sources)
    assert any("computed with RDKit" in line for line in report.log)
    added = open_kb(url).names_by_lower_key("zz-added-drug")[0].drug_id
    assert added in open_kb(url).fingerprints()[0]
