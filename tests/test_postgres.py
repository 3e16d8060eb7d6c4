"""pharmcheck on a real PostgreSQL server (tests/pg_server.py starts a throwaway cluster):
the same migrations, the same findings as SQLite, the db commands, check and screen, site
overrides that survive a rebuild, and 8 writers with 32 readers at once."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pharmcheck.domain import Medication, Severity
from pharmcheck.engine import Checker
from pharmcheck.kb.build import build
from pharmcheck.kb.store import open_kb
from pharmcheck.overrides import (
    add_override,
    change_override,
    history,
    list_overrides,
    retire_override,
    review,
)
from pharmcheck.rules import REGISTRY
from tests.helpers import AS_OF, medications_from, patient_from
from tests.pg_server import PostgresServer, postgres_server  # noqa: F401  (the fixture)

REPO = Path(__file__).resolve().parent.parent
_names = itertools.count()


@pytest.fixture(scope="session")
def pg_template(postgres_server: PostgresServer) -> tuple[str, str]:  # noqa: F811
    """A KB built once on the server (as `db build` does), and a copy of it for read-only tests:
    (template database name, URL of the read-only copy)."""
    url = postgres_server.create_database("kb_template")
    build(url)  # the build disposes of its engine: no connection keeps the template busy
    return "kb_template", postgres_server.create_database("kb_read", template="kb_template")


@pytest.fixture
def pg_url(postgres_server: PostgresServer, pg_template: tuple[str, str]) -> str:  # noqa: F811
    """A fresh copy of the built KB for one test (CREATE DATABASE ... TEMPLATE: a file copy)."""
    return postgres_server.create_database(f"kb_{next(_names)}", template=pg_template[0])


def run(*args: str, url: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PHARMCHECK_DB": url}
    return subprocess.run(
        [sys.executable, "-m", "pharmcheck", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        input=stdin,
        timeout=300,
    )


EXAMPLES = [
    pytest.param(example, id=f"{code}-{i}")
    for code, rule in sorted(REGISTRY.items())
    for i, example in enumerate(rule.examples)
]


@pytest.fixture(scope="module")
def pg_checker(pg_template: tuple[str, str]) -> Checker:
    return Checker(open_kb(pg_template[1]))


@pytest.mark.parametrize("example", EXAMPLES)
def test_same_findings_from_sqlite_and_postgresql(checker, pg_checker, example) -> None:  # type: ignore[no-untyped-def]
    """Every rule example gives the very same report (KB version included) on both engines."""
    meds, patient = medications_from(example), patient_from(example.patient)
    on_sqlite = checker.check(meds, patient, as_of=AS_OF).to_dict()
    on_postgres = pg_checker.check(meds, patient, as_of=AS_OF).to_dict()
    assert on_postgres == on_sqlite
    assert on_postgres["findings"] or not example.flagged


def test_kb_on_postgres_holds_what_the_sqlite_kb_holds(kb, pg_checker) -> None:  # type: ignore[no-untyped-def]
    on_postgres = pg_checker.kb
    assert on_postgres.version == kb.version
    assert on_postgres.counts() == kb.counts()  # `curated` compared as a boolean on PostgreSQL
    assert on_postgres.fuzzy_choices() == kb.fuzzy_choices()
    assert len(max(name for (name,) in on_postgres._q("SELECT name FROM drugs", {}))) > 0
    longest = on_postgres._q("SELECT max(length(name)) FROM drugs", {})[0][0]
    assert longest > 200  # the vocabulary's longest name fits (it overflowed varchar(200))


def test_db_commands_on_postgres(pg_url: str) -> None:
    info = run("db", "info", url=pg_url)
    assert info.returncode == 0, info.stderr
    assert "schema 0006site" in info.stdout
    verify = run("db", "verify", url=pg_url)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout.rstrip().endswith("clean")
    down = run("db", "downgrade", "0005hier", url=pg_url)
    assert down.returncode == 0, down.stderr
    stale = run("check", "tramadol", url=pg_url)
    assert stale.returncode == 2 and "run `pharmcheck db upgrade`" in stale.stderr
    assert run("db", "downgrade", "base", url=pg_url).returncode == 0
    assert run("db", "upgrade", url=pg_url).returncode == 0
    rebuilt = run("db", "build", url=pg_url)  # an empty KB at head is rebuilt in place
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert run("db", "verify", url=pg_url).returncode == 0


def test_build_refuses_a_database_that_is_not_a_kb(postgres_server: PostgresServer) -> None:  # noqa: F811
    url = postgres_server.create_database(f"other_{next(_names)}")
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute("CREATE TABLE patients (id int)")
    refused = run("db", "build", url=url)
    assert refused.returncode == 2
    assert "not empty and holds no pharmcheck KB" in refused.stderr
    assert refused.stderr.count("\n") == 1


def test_check_and_screen_give_the_same_output_on_both_engines(
    kb_url: str, pg_template: tuple[str, str], tmp_path: Path
) -> None:
    pg = pg_template[1]
    args = ["check", "tramadol 100 mg qid", "sertraline", "linezolid", "--crcl", "25"]
    args += ["--format", "json", "--as-of", "2026-11-25"]
    on_sqlite, on_postgres = run(*args, url=kb_url), run(*args, url=pg)
    assert on_sqlite.returncode == on_postgres.returncode == 1
    assert json.loads(on_postgres.stdout) == json.loads(on_sqlite.stdout)
    meds = tmp_path / "meds.csv"
    meds.write_text(
        "patient_id,name,dose,frequency\nP1,tramadol,100 mg,qid\nP1,sertraline,,\n"
        "P2,cefepime,2 g,q8h\nP2,notadrug,,\n",
        encoding="utf-8",
    )
    screened = [
        run("screen", str(meds), "--as-of", "2026-11-25", "--exit-zero", url=url)
        for url in (kb_url, pg)
    ]
    assert screened[0].returncode == screened[1].returncode == 0, screened[1].stderr
    assert screened[1].stdout == screened[0].stdout
    assert screened[1].stdout.count("\n") > 4


def test_overrides_and_feedback_survive_a_rebuild_on_postgres(pg_url: str) -> None:
    from pharmcheck.kb.site import list_feedback, record_feedback

    kb = open_kb(pg_url)
    made = add_override(
        kb,
        action="suppress",
        rule_code="PC301",
        drug="linezolid",
        reason="duplicate MAOI alert reviewed on ID",
        author="J Smith",
    )
    record_feedback(
        pg_url,
        author="Practitioner/7",
        service_id="pharmcheck-order-sign",
        card_id="c-1",
        rule_code="PC201",
        outcome="overridden",
        outcome_at="2026-12-02T20:00:00Z",
        reason_code="patient-contraindication",
        reason_display="Patient contraindication",
    )
    report = Checker(kb).check([Medication("linezolid"), Medication("methylene blue")])
    assert [f.code for f in report.suppressed] == ["PC301"]
    build(pg_url)  # same sources: rebuilt in place, nothing to review
    rebuilt = open_kb(pg_url)
    assert [o.id for o in list_overrides(pg_url)] == [made.id]
    assert [f.card_id for f in list_feedback(pg_url)] == ["c-1"]
    assert review(rebuilt) == []
    assert [r["change"] for r in history(pg_url)] == ["create"]


def test_eight_writers_and_thirty_two_readers(pg_url: str) -> None:
    """Writers change one shared override (and add and retire their own) while readers check
    lists that it acts on: every change lands (no lost update), each has its audit row, and no
    reader sees an error or a half-made state."""
    kb = open_kb(pg_url)
    shared = add_override(
        kb,
        action="severity",
        rule_code="PC301",
        drug="linezolid",
        severity="minor",
        reason="start",
        author="setup",
    )
    writers, readers, changes = 8, 32, 10
    done = threading.Event()
    errors: list[str] = []
    own: list[int] = []
    checks = [0] * readers
    start = threading.Barrier(writers + readers)

    def write(w: int) -> None:
        try:
            start.wait()
            mine = add_override(
                kb,
                action="note",
                drug="tramadol",
                note=f"writer {w}",
                reason=f"writer {w} note",
                author=f"writer-{w}",
            )
            own.append(mine.id)
            for k in range(changes):
                change_override(
                    kb,
                    shared.id,
                    severity=("info", "minor")[k % 2],
                    reason=f"w{w}-{k}",
                    author=f"writer-{w}",
                )
            retire_override(kb, mine.id, reason=f"writer {w} done", author=f"writer-{w}")
        except Exception as exc:  # noqa: BLE001  (collected and asserted on below)
            errors.append(f"writer {w}: {exc!r}")

    def read(r: int) -> None:
        try:
            start.wait()
            runner = Checker(kb)
            while not done.is_set() or checks[r] == 0:
                report = runner.check([Medication("linezolid"), Medication("methylene blue")])
                pc301 = [f for f in report.findings + report.hidden if f.code == "PC301"]
                assert len(pc301) == 1 and not report.suppressed
                assert pc301[0].severity in (Severity.INFO, Severity.MINOR)
                assert pc301[0].base_severity == Severity.MODERATE
                if r % 4 == 0:
                    assert any(o.id == shared.id for o in list_overrides(kb.url))
                    history(kb.url, shared.id)
                checks[r] += 1
        except Exception as exc:  # noqa: BLE001
            errors.append(f"reader {r}: {exc!r}")

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    threads += [threading.Thread(target=read, args=(r,)) for r in range(readers)]
    for t in threads:
        t.start()
    for t in threads[:writers]:
        t.join(timeout=600)
    done.set()
    for t in threads[writers:]:
        t.join(timeout=600)
    assert errors == []
    assert all(n > 0 for n in checks)
    final = next(o for o in list_overrides(kb.url) if o.id == shared.id)
    assert final.revision == 1 + writers * changes  # no lost update
    trail = history(kb.url, shared.id)
    assert len(trail) == 1 + writers * changes
    revisions = [row["after"]["revision"] for row in trail]
    assert sorted(revisions) == list(range(1, 2 + writers * changes))
    for row in trail[1:]:
        assert row["before"]["revision"] == row["after"]["revision"] - 1
    assert {row["reason"] for row in trail[1:]} == {
        f"w{w}-{k}" for w in range(writers) for k in range(changes)
    }
    assert len(own) == writers
    for mine in own:
        assert [r["change"] for r in history(kb.url, mine)] == ["create", "retire"]
    assert [o.id for o in list_overrides(kb.url)] == [shared.id]


def test_the_audit_table_refuses_updates_and_deletes_on_postgres(pg_url: str) -> None:
    import psycopg

    kb = open_kb(pg_url)
    add_override(kb, action="note", drug="tramadol", note="n", reason="r", author="A")
    with psycopg.connect(pg_url.replace("postgresql+psycopg", "postgresql")) as conn:
        for statement in ("UPDATE site_audit SET actor = 'B'", "DELETE FROM site_audit"):
            with pytest.raises(psycopg.errors.RaiseException, match="site_audit is append-only"):
                conn.execute(statement)
            conn.rollback()
    assert [r["actor"] for r in history(pg_url)] == ["A"]


def test_the_service_on_postgres_gives_the_sqlite_cards_and_stores_feedback_there(
    service_kb_url: str, pg_url: str
) -> None:
    httpx = pytest.importorskip("httpx", reason="the service needs the server extra")
    from pharmcheck.kb.site import list_feedback
    from pharmcheck.service.settings import ServiceSettings
    from tests import cds_data
    from tests.service_server import serving

    sign = "/cds-services/pharmcheck-order-sign"
    answers = {}
    for engine, url in (("sqlite", service_kb_url), ("postgres", pg_url)):
        with serving(ServiceSettings(db_url=url, allow_unauthenticated=True)) as base:
            answer = httpx.post(base + sign, json=cds_data.call(instance="pg-1"), timeout=30)
            assert answer.status_code == 200, answer.text
            # the cards link to the rule pages of the server that answered: compare without it
            answers[engine] = json.loads(answer.text.replace(base, "BASE"))["cards"]
            if engine == "postgres":
                card = next(c for c in answers[engine] if "PC201" in json.dumps(c["source"]))
                feedback = {
                    "feedback": [
                        {
                            "card": card["uuid"],
                            "outcome": "overridden",
                            "overrideReason": {"reason": card["overrideReasons"][0]},
                            "outcomeTimestamp": "2026-12-02T10:00:00Z",
                        }
                    ]
                }
                stored = httpx.post(base + sign + "/feedback", json=feedback, timeout=30)
                assert stored.status_code == 200 and stored.json() == {"stored": 1}
    assert answers["postgres"] and answers["postgres"] == answers["sqlite"]
    on_server = [f for f in list_feedback(pg_url) if f.card_id == card["uuid"]]
    assert [(f.rule_code, f.outcome) for f in on_server] == [("PC201", "overridden")]
