"""Building, opening and verifying knowledge bases, including broken ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pharmcheck.cli import cli
from pharmcheck.errors import KnowledgeBaseError
from pharmcheck.kb.store import open_kb


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args))


def test_build_info_verify(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    assert invoke("db", "build", "--db", url).exit_code == 0
    info = json.loads(invoke("db", "info", "--db", url, "--format", "json").output)
    counts = info["counts"]
    assert counts["drugs"] >= 10_000 and counts["names"] >= 50_000
    assert counts["curated_drugs"] >= 130
    result = invoke("db", "verify", "--db", url)
    assert result.exit_code == 0, result.output


def test_build_is_deterministic(tmp_path: Path, kb) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.kb.build import build

    report = build(f"sqlite:///{tmp_path / 'again.sqlite'}")
    assert report.kb_version == kb.version


def test_missing_default_kb_is_built_on_first_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kb_path: Path) -> None:
    monkeypatch.delenv("PHARMCHECK_DB")
    monkeypatch.setenv("PHARMCHECK_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(cli, ["check", "amlodipine"])
    assert result.exit_code == 0, result.output
    assert "building the knowledge base" in result.output
    assert list((tmp_path / "home").glob("kb-*.sqlite"))


def test_unwritable_location_is_a_clear_error(tmp_path: Path) -> None:
    # A path below a plain file cannot be created by anyone, root included.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    result = invoke("check", "amlodipine", "--db", f"sqlite:///{blocker / 'kb.sqlite'}")
    assert result.exit_code == 2 and "cannot write the KB" in result.output
    assert "Traceback" not in result.output


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
        "tramadol,certain,A,major,yes,,,invented,NOPE\n")
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
    """The non-SQLite-file code paths: reading through SQLAlchemy and building in one transaction."""
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
