"""Building, opening and verifying knowledge bases, including broken ones."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from pharmcheck.cli import cli
from pharmcheck.errors import KnowledgeBaseError, SchemaRevisionError
from pharmcheck.kb.store import open_kb
from pharmcheck.paths import sources_dir

AS_OF = date(2026, 11, 25)
WARD = [
    "tramadol 50 mg qid",
    "Neurontin 600 tid",
    "sertraline 100 mg daily",
    "linezolid 600 bd",
    "valproic acid 500 mg bd",
    "meropenem 1 g tds",
    "clonazepam 0.5 mg bd",
    "Keppra 500 mg bd",
    "morphine 10 mg q4h",
    "lithium 400 mg nocte",
    "carbamazepine 200 mg bd",
    "cefepime 2 g q8h",
    "gabapentin 1600 mg tid",
    "piracetam 2.4 g tds",
    "haloperidol 5 mg bd",
    "amitriptyline 25 mg nocte",
]


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args))


def test_build_is_deterministic_and_its_kb_verifies(tmp_path: Path, kb) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    assert invoke("db", "build", "--db", url).exit_code == 0
    info = json.loads(invoke("db", "info", "--db", url, "--format", "json").output)
    assert info["kb_version"] == kb.version  # the same sources give the same version
    counts = info["counts"]
    assert counts["drugs"] >= 10_000 and counts["names"] >= 50_000
    assert counts["curated_drugs"] >= 130
    result = invoke("db", "verify", "--db", url)
    assert result.exit_code == 0, result.output


def test_missing_default_kb_is_built_on_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kb_path: Path
) -> None:
    monkeypatch.delenv("PHARMCHECK_DB")
    monkeypatch.setenv("PHARMCHECK_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(cli, ["check", "amlodipine"])
    assert result.exit_code == 0, result.output
    assert "building the knowledge base" in result.output
    assert list((tmp_path / "home").glob("kb-*.sqlite"))


def test_unwritable_location_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A path below a plain file cannot be created by anyone, root included.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    result = invoke("db", "build", "--db", f"sqlite:///{blocker / 'kb.sqlite'}")
    assert result.exit_code == 2 and "cannot write the KB" in result.output
    assert "Traceback" not in result.output
    monkeypatch.delenv("PHARMCHECK_DB")
    monkeypatch.setenv("PHARMCHECK_HOME", str(blocker / "home"))
    first_use = invoke("check", "amlodipine")
    assert first_use.exit_code == 2 and "cannot write the KB" in first_use.output


def test_a_missing_kb_named_by_db_is_an_error_and_nothing_is_created(tmp_path: Path) -> None:
    typo = tmp_path / "typo" / "path" / "kb.sqlite"
    for args in (("check", "amlodipine"), ("db", "info"), ("db", "upgrade"), ("db", "verify")):
        result = invoke(*args, "--db", f"sqlite:///{typo}")
        assert result.exit_code == 2, (args, result.output)
        assert f"no knowledge base at {typo}" in result.output
        assert "pharmcheck db build" in result.output
    assert not (tmp_path / "typo").exists()


def test_pharmcheck_db_naming_a_missing_file_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHARMCHECK_DB", f"sqlite:///{tmp_path / 'gone.sqlite'}")
    result = invoke("check", "amlodipine")
    assert result.exit_code == 2 and "pharmcheck db build" in result.output
    assert not (tmp_path / "gone.sqlite").exists()


@pytest.mark.parametrize("content", [b"patient_id,name\np1,tramadol 50 mg qid\n", b"meeting notes"])
def test_db_build_never_replaces_a_file_that_is_not_a_kb(tmp_path: Path, content: bytes) -> None:
    target = tmp_path / "ward.csv"
    target.write_bytes(content)
    result = invoke("db", "build", "--db", f"sqlite:///{target}")
    assert result.exit_code == 2 and "is not a pharmcheck knowledge base" in result.output
    assert target.read_bytes() == content
    assert [path.name for path in tmp_path.iterdir()] == ["ward.csv"]


def test_db_build_never_replaces_another_sqlite_database(tmp_path: Path) -> None:
    import sqlite3

    target = tmp_path / "app.sqlite"
    with sqlite3.connect(target) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER)")
    before = target.read_bytes()
    result = invoke("db", "build", "--db", f"sqlite:///{target}")
    assert result.exit_code == 2 and "is not a pharmcheck knowledge base" in result.output
    assert target.read_bytes() == before


def test_db_build_replaces_a_kb_even_a_damaged_one_and_fills_an_empty_file(  # type: ignore[no-untyped-def]
    tmp_path: Path, kb_path: Path, kb
) -> None:
    old = tmp_path / "old.sqlite"
    shutil.copy(kb_path, old)
    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(kb_path.read_bytes()[:50_000])
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    for target in (old, damaged, empty):
        assert invoke("db", "build", "--db", f"sqlite:///{target}").exit_code == 0
        assert open_kb(f"sqlite:///{target}").version == kb.version


def test_not_sqlite_is_refused_and_left_untouched(tmp_path: Path) -> None:
    bogus = tmp_path / "kb.sqlite"
    bogus.write_text("this is not a database")
    result = invoke("check", "amlodipine", "--db", f"sqlite:///{bogus}")
    assert result.exit_code == 2 and "not an SQLite knowledge base" in result.output
    assert bogus.read_text() == "this is not a database"


def test_truncated_kb_is_a_clear_error(tmp_path: Path, kb_path: Path) -> None:
    broken = tmp_path / "kb.sqlite"
    broken.write_bytes(kb_path.read_bytes()[:50_000])
    result = invoke("check", "amlodipine", "--db", f"sqlite:///{broken}")
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "pharmcheck: error:" in result.output
    assert broken.stat().st_size == 50_000


def test_read_only_kb_still_serves_checks(tmp_path: Path, kb_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    copy = folder / "kb.sqlite"
    shutil.copy(kb_path, copy)
    copy.chmod(0o444)
    folder.chmod(0o555)
    try:
        result = invoke("check", "tramadol 50 mg qid", "--db", f"sqlite:///{copy}")
        assert result.exit_code in (0, 1), result.output
        assert "tramadol" in result.output
    finally:
        folder.chmod(0o755)


def test_kb_from_other_sources_fails_verify_honestly(tmp_path: Path) -> None:
    from pharmcheck.paths import sources_dir

    sources = tmp_path / "db"
    shutil.copytree(sources_dir(), sources)
    extra = sources / "names" / "zz-test.csv"
    extra.write_text("name,drug,kind,source\ntest-brand-zz,tramadol,brand,test\n")
    url = f"sqlite:///{tmp_path / 'other.sqlite'}"
    assert invoke("db", "build", "--db", url, "--sources", str(sources)).exit_code == 0
    result = invoke("db", "verify", "--db", url)
    assert result.exit_code == 1 and "rebuild" in result.output
    assert invoke("db", "verify", "--db", url, "--allow-other-sources").exit_code == 0
    assert open_kb(url).version != open_kb().version


def test_bad_sources_stop_the_build_and_keep_the_old_kb(tmp_path: Path, kb_path: Path) -> None:
    from pharmcheck.paths import sources_dir

    sources = tmp_path / "db"
    shutil.copytree(sources_dir(), sources)
    (sources / "risks" / "zz-bad.csv").write_text(
        "subject,grade,evidence,severity,dose_dependent,worsening_conditions,mechanism,summary,ref_ids\n"
        "tramadol,certain,A,major,yes,,,invented,NOPE\n"
    )
    target = tmp_path / "kb.sqlite"
    shutil.copy(kb_path, target)
    before = target.read_bytes()
    result = invoke("db", "build", "--db", f"sqlite:///{target}", "--sources", str(sources))
    assert result.exit_code == 2 and "problem(s) in the KB sources" in result.output
    assert target.read_bytes() == before


def test_open_kb_without_building(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="db build"):
        open_kb(f"sqlite:///{tmp_path / 'none.sqlite'}", build_if_missing=False)


def test_any_sqlalchemy_url_path(kb_url: str, checker) -> None:  # type: ignore[no-untyped-def]
    """The non-SQLite-file code paths: reading through SQLAlchemy and building in one
    transaction."""
    from datetime import date

    from pharmcheck.engine import Checker
    from pharmcheck.kb.build import build
    from pharmcheck.kb.store import KnowledgeBase, _sqlalchemy_query

    through_sqlalchemy = KnowledgeBase(_sqlalchemy_query(kb_url), kb_url)
    meds = ["tramadol 50 mg qid", "sertraline 100 mg", "Neurontin 600 tid"]
    expected = checker.check(meds, as_of=date(2026, 11, 25)).to_dict()
    assert Checker(through_sqlalchemy).check(meds, as_of=date(2026, 11, 25)).to_dict() == expected
    report = build("sqlite://")  # an in-memory database: the transactional build path
    assert report.counts["curated_drugs"] >= 150


# --- one KB per screen ----------------------------------------------------------------------


def _ward() -> tuple[object, object]:
    import pandas as pd

    names = WARD * 10
    meds = pd.DataFrame({"patient_id": [f"p{i % 40}" for i in range(len(names))], "name": names})
    patients = pd.DataFrame(
        {"patient_id": [f"p{i}" for i in range(40)], "crcl": [str(10 + 3 * i) for i in range(40)]}
    )
    return meds, patients


def _rebuild_in_place(target: Path, rebuilt: Path) -> None:
    """What `db build` does to a KB file: a new file moved over the old path."""
    shutil.copy(rebuilt, target.with_suffix(".new"))
    os.replace(target.with_suffix(".new"), target)


def test_a_screen_reads_the_kb_it_opened_though_it_is_rebuilt_meanwhile(  # type: ignore[no-untyped-def]
    tmp_path: Path, kb_path: Path, rebuilt_kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    from pharmcheck.batch import screen
    from pharmcheck.engine import Checker

    target = tmp_path / "kb.sqlite"
    shutil.copy(kb_path, target)
    url = f"sqlite:///{target}"
    in_one_process, in_two = Checker(open_kb(url)), Checker(open_kb(url))
    meds, patients = _ward()
    expected = screen(meds, patients, runner=in_one_process, as_of=AS_OF)
    _rebuild_in_place(target, rebuilt_kb)
    moved = open_kb(url).names_by_lower_key("tramadol")[0].drug_id
    assert moved != in_two.kb.names_by_lower_key("tramadol")[0].drug_id  # the rebuild moved the ids
    shared = screen(meds, patients, runner=in_two, as_of=AS_OF)
    assert len(expected.findings) > 100
    pd.testing.assert_frame_equal(expected.findings, shared.findings)
    pd.testing.assert_frame_equal(expected.summary, shared.summary)


# --- the KB you asked for, or an error ------------------------------------------------------


def test_edited_sources_get_a_fresh_default_kb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = tmp_path / "db"
    shutil.copytree(sources_dir(), sources)
    monkeypatch.delenv("PHARMCHECK_DB")
    monkeypatch.setenv("PHARMCHECK_SOURCES", str(sources))
    home = tmp_path / "home"
    monkeypatch.setenv("PHARMCHECK_HOME", str(home))
    first = invoke("check", "zz-curator-brand")
    assert first.exit_code == 1 and "building the knowledge base" in first.output
    assert "zz-curator-brand" in first.output  # unrecognised: not in the sources yet
    again = invoke("check", "amlodipine")
    assert again.exit_code == 0 and "building" not in again.output
    (sources / "names" / "zz-curator.csv").write_text(
        "name,drug,kind,source\nzz-curator-brand,tramadol,brand,test\n"
    )
    edited = invoke("check", "zz-curator-brand", "--format", "json")
    assert "building the knowledge base" in edited.stderr
    assert json.loads(edited.stdout)["medications"][0]["drug"] == "tramadol"
    assert len(list(home.glob("kb-*.sqlite"))) == 2


def test_the_sources_fingerprint_follows_every_edit(tmp_path: Path) -> None:
    from pharmcheck.paths import sources_fingerprint

    (tmp_path / "names").mkdir()
    table = tmp_path / "names" / "a.csv"
    table.write_text("name,drug\nfoo,bar\n")
    before = sources_fingerprint(tmp_path)
    assert sources_fingerprint(tmp_path) == before
    stat = table.stat()
    table.write_text("name,drug\nfoo,baz\n")  # same size
    os.utime(table, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert sources_fingerprint(tmp_path) != before
    (tmp_path / "names" / "b.csv").write_text("")
    assert len({before, sources_fingerprint(tmp_path)}) == 2


def _newer_kb(tmp_path: Path, kb_path: Path) -> Path:
    copy = tmp_path / "kb.sqlite"
    shutil.copy(kb_path, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
        conn.execute("UPDATE kb_metadata SET value = '9.9.0' WHERE key = 'pharmcheck_version'")
    return copy


def test_a_kb_from_a_newer_pharmcheck_is_refused_by_name(tmp_path: Path, kb_path: Path) -> None:
    newer = _newer_kb(tmp_path, kb_path)
    before = newer.read_bytes()
    url = f"sqlite:///{newer}"
    with pytest.raises(SchemaRevisionError, match="pharmcheck 9.9.0 at schema revision 0099"):
        open_kb(url)
    for args in (
        ("check", "tramadol"),
        ("db", "info"),
        ("db", "upgrade"),
        ("db", "downgrade", "0001"),
    ):
        result = invoke(*args, "--db", url)
        assert result.exit_code == 2, (args, result.output)
        assert "pharmcheck 9.9.0 or later" in result.output
        assert "internal error" not in result.output
    assert newer.read_bytes() == before


def test_default_kbs_of_older_source_states_are_pruned_to_the_three_newest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pharmcheck.kb.store import _prune_default_kbs

    monkeypatch.setenv("PHARMCHECK_HOME", str(tmp_path))
    kbs = [tmp_path / f"kb-0.1.0-{n:016x}.sqlite" for n in range(5)]
    for age, kb in enumerate(kbs):
        kb.write_bytes(b"")
        os.utime(kb, (1_000_000 + age, 1_000_000 + age))
    other = tmp_path / "notes.sqlite"
    other.write_bytes(b"")
    _prune_default_kbs(keep=kbs[0])  # the one just built, whatever its time
    assert sorted(tmp_path.glob("*.sqlite")) == sorted([kbs[0], kbs[3], kbs[4], other])
