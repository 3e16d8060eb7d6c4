"""Site overrides on the embedded SQLite KB: validation, the never-suppress list, how check and
screen apply them, the audit trail, and a rebuild that keeps them and flags changed facts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pharmcheck.domain import Medication, Patient, Severity
from pharmcheck.engine import Checker
from pharmcheck.errors import InputError
from pharmcheck.kb.site import StaleRevisionError
from pharmcheck.kb.store import open_kb
from pharmcheck.overrides import (
    add_override,
    change_override,
    history,
    list_overrides,
    retire_override,
    review,
)
from pharmcheck.report import render

pd = pytest.importorskip("pandas", reason="needs the batch extra (pandas): overrides on a screen")
from pharmcheck.batch import screen  # noqa: E402 - after the skip: it imports pandas

REPO = Path(__file__).resolve().parent.parent
AUTHOR = "J Smith (pharmacist)"


@pytest.fixture
def site_kb(private_kb_url: str):  # type: ignore[no-untyped-def]
    return open_kb(private_kb_url)


def meds(*names: str) -> list[Medication]:
    return [Medication(name=n) for n in names]


def finding(report, code: str, *drugs: str):  # type: ignore[no-untyped-def]
    everything = (*report.findings, *report.hidden, *report.suppressed)
    hits = [f for f in everything if f.code == code and set(drugs) <= set(f.drugs)]
    assert len(hits) == 1, (code, drugs, [(f.code, f.drugs) for f in everything])
    return hits[0]


# --- validation and the never-suppress list ------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"action": "suppress", "rule_code": "PC301", "reason": "  "}, "needs a reason"),
        ({"action": "suppress", "rule_code": "PC301", "author": ""}, "needs an author"),
        ({"action": "suppress", "rule_code": "PC999"}, "unknown rule 'PC999'"),
        ({"action": "suppress"}, "names the rule it acts on"),
        ({"action": "severity", "rule_code": "PC101"}, "severity is given with"),
        ({"action": "severity", "rule_code": "PC101", "severity": "worst"}, "unknown severity"),
        ({"action": "note", "note": "x"}, "names a rule or a drug"),
        ({"action": "suppress", "rule_code": "PC101", "drug": "notadrugatall"}, "not a drug"),
        ({"action": "suppress", "rule_code": "PC301", "drug_class": "nonclass"}, "unknown class"),
        ({"action": "hide", "rule_code": "PC301"}, "not one of suppress, severity, note"),
        (
            {"action": "suppress", "rule_code": "PC201", "other_drug": "sertraline"},
            "names both drugs",
        ),
    ],
)
def test_bad_overrides_are_refused_and_nothing_is_stored(site_kb, values, message) -> None:  # type: ignore[no-untyped-def]
    arguments = {"reason": "local policy", "author": AUTHOR, **values}
    with pytest.raises(InputError, match=message):
        add_override(site_kb, **arguments)
    assert list_overrides(site_kb.url, include_retired=True) == []
    assert history(site_kb.url) == []


@pytest.mark.parametrize(
    "values",
    [
        {
            "action": "suppress",
            "rule_code": "PC201",
            "drug": "linezolid",
            "other_drug": "sertraline",
        },
        {"action": "suppress", "rule_code": "PC201", "drug": "escitalopram"},
        {"action": "severity", "rule_code": "PC201", "drug": "methylene blue", "severity": "minor"},
        {"action": "suppress", "rule_code": "PC201", "drug_class": "snri"},
        {"action": "suppress", "rule_code": "PC201"},
        {"action": "suppress", "rule_code": "PC702", "drug": "valproic acid"},
        {"action": "severity", "rule_code": "PC702", "severity": "info"},
    ],
)
def test_never_suppress_list_refuses_with_its_reason(site_kb, values) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="never-suppress list") as refused:
        add_override(site_kb, reason="too many alerts", author=AUTHOR, **values)
    text = str(refused.value)
    assert "FDA11" in text or "MHRA18-VPA" in text  # the cited source comes with the refusal
    assert list_overrides(site_kb.url) == []


def test_notes_and_unrelated_overrides_are_allowed_near_the_never_list(site_kb) -> None:  # type: ignore[no-untyped-def]
    note = add_override(
        site_kb,
        action="note",
        rule_code="PC201",
        drug="linezolid",
        note="Call the ID pharmacist before starting.",
        reason="local pathway",
        author=AUTHOR,
    )
    other = add_override(
        site_kb,
        action="suppress",
        rule_code="PC301",
        drug="linezolid",
        reason="MAOI duplicate alert reviewed on ID",
        author=AUTHOR,
    )
    assert [o.id for o in list_overrides(site_kb.url)] == [note.id, other.id]


def test_every_never_suppress_entry_cites_a_label_or_regulator(kb) -> None:  # type: ignore[no-untyped-def]
    assert len(kb.never_suppress) >= 5
    for entry in kb.never_suppress:
        assert entry.references, entry
        assert {r.kind for r in entry.references} <= {"label", "guideline"}, entry


# --- applying: check -----------------------------------------------------------------------


def test_suppressed_finding_is_listed_apart_with_who_when_why(site_kb) -> None:  # type: ignore[no-untyped-def]
    made = add_override(
        site_kb,
        action="suppress",
        rule_code="PC301",
        drug="linezolid",
        unit="ID",
        reason="MAOI duplicate alert reviewed daily on ID",
        author=AUTHOR,
    )
    runner = Checker(site_kb)
    plain = runner.check(meds("linezolid", "methylene blue"))
    on_id = runner.check(meds("linezolid", "methylene blue"), unit="ID")
    elsewhere = runner.check(meds("linezolid", "methylene blue"), unit="ICU")
    assert "PC301" in [f.code for f in plain.findings] and not plain.suppressed
    assert "PC301" in [f.code for f in elsewhere.findings] and not elsewhere.suppressed
    assert "PC301" not in [f.code for f in on_id.findings]
    gone = finding(on_id, "PC301", "linezolid")
    assert gone in on_id.suppressed
    assert gone.suppressed_by is not None
    assert (gone.suppressed_by.author, gone.suppressed_by.at) == (AUTHOR, made.changed_at)
    text = render(on_id, "text")
    assert "SUPPRESSED BY SITE OVERRIDE (1)" in text
    assert "MAOI duplicate alert reviewed daily on ID" in text and AUTHOR in text
    data = json.loads(render(on_id, "json"))
    assert data["unit"] == "ID"
    [shown] = data["suppressed_findings"]
    assert shown["code"] == "PC301"
    assert shown["site_overrides"][0]["action"] == "suppress"
    assert shown["site_overrides"][0]["reason"] == "MAOI duplicate alert reviewed daily on ID"
    assert "PC301" in render(on_id, "markdown") and "suppressed-by-site" in render(on_id, "csv")


def test_hidden_by_request_suppressed_findings_are_counted(site_kb) -> None:  # type: ignore[no-untyped-def]
    add_override(
        site_kb, action="suppress", rule_code="PC301", drug="linezolid", reason="r", author=AUTHOR
    )
    report = Checker(site_kb).check(meds("linezolid", "methylene blue"), hide_suppressed=True)
    text = render(report, "text")
    assert "1 finding(s) suppressed by site overrides not shown (1 moderate)" in text
    assert "SUPPRESSED BY SITE OVERRIDE" not in text
    assert len(json.loads(render(report, "json"))["suppressed_findings"]) == 1


def test_severity_override_keeps_the_rule_severity_beside_the_effective_one(site_kb) -> None:  # type: ignore[no-untyped-def]
    add_override(
        site_kb,
        action="severity",
        rule_code="PC301",
        drug_class="maoi",
        severity="info",
        reason="duplicate MAOI alert downgraded by the drug committee",
        author=AUTHOR,
    )
    report = Checker(site_kb).check(meds("linezolid", "methylene blue"))
    changed = finding(report, "PC301", "linezolid")
    assert changed.severity == Severity.INFO
    assert changed.base_severity == Severity.MODERATE  # PC301's own severity for two MAOIs
    data = changed.to_dict()
    assert (data["severity"], data["base_severity"]) == ("info", "moderate")
    assert "rule severity: moderate" in render(report, "text")
    lowest = Checker(site_kb).check(
        meds("linezolid", "methylene blue"), min_severity=Severity.MINOR
    )
    assert changed in lowest.hidden  # min_severity compares the effective severity


def test_a_never_suppress_finding_keeps_its_severity_even_if_an_override_matches(site_kb) -> None:  # type: ignore[no-untyped-def]
    # A rule-wide PC201 severity override could not be added; one on a pair outside the list can.
    add_override(
        site_kb,
        action="severity",
        rule_code="PC201",
        drug="linezolid",
        other_drug="methylene blue",
        severity="minor",
        reason="both given together only under ICU protocol",
        author=AUTHOR,
    )
    report = Checker(site_kb).check(meds("linezolid", "methylene blue", "sertraline"))
    pair = finding(report, "PC201", "linezolid", "methylene blue")
    assert pair.severity == Severity.MINOR
    protected = finding(report, "PC201", "linezolid", "sertraline")
    assert protected.base_severity is None and protected.site == ()


def test_notes_attach_to_every_matching_finding_and_change_nothing_else(site_kb) -> None:  # type: ignore[no-untyped-def]
    add_override(
        site_kb,
        action="note",
        drug="linezolid",
        note="ID pharmacist approval needed",
        reason="local pathway",
        author=AUTHOR,
    )
    report = Checker(site_kb).check(meds("linezolid", "sertraline"))
    with_linezolid = [f for f in report.findings if "linezolid" in f.drugs]
    assert with_linezolid
    for f in with_linezolid:
        assert [a.note for a in f.site] == ["ID pharmacist approval needed"]
        assert f.base_severity is None
    assert all(not f.site for f in report.findings if "linezolid" not in f.drugs)


# --- changes and the audit trail -------------------------------------------------------------


def test_change_retire_and_history(site_kb) -> None:  # type: ignore[no-untyped-def]
    made = add_override(
        site_kb,
        action="severity",
        rule_code="PC301",
        drug="linezolid",
        severity="minor",
        reason="first",
        author="A",
    )
    changed = change_override(site_kb, made.id, severity="info", reason="second", author="B")
    with pytest.raises(StaleRevisionError, match="at revision 2, not 1"):
        change_override(
            site_kb, made.id, severity="major", reason="late", author="C", expected_revision=1
        )
    retired = retire_override(site_kb, made.id, reason="third", author="C", expected_revision=2)
    assert (changed.revision, retired.revision, retired.state) == (2, 3, "retired")
    assert list_overrides(site_kb.url) == []
    assert [o.state for o in list_overrides(site_kb.url, include_retired=True)] == ["retired"]
    rows = history(site_kb.url, made.id)
    assert [(r["change"], r["actor"], r["reason"]) for r in rows] == [
        ("create", "A", "first"),
        ("change", "B", "second"),
        ("retire", "C", "third"),
    ]
    assert rows[0]["before"] is None
    assert (rows[1]["before"]["severity"], rows[1]["after"]["severity"]) == ("minor", "info")
    assert (rows[2]["before"]["state"], rows[2]["after"]["state"]) == ("active", "retired")
    with pytest.raises(InputError, match="is retired"):
        change_override(site_kb, made.id, severity="minor", reason="again", author="D")
    report = Checker(site_kb).check(meds("linezolid", "methylene blue"))
    assert finding(report, "PC301", "linezolid").severity == Severity.MODERATE


# --- screen applies what check applies ------------------------------------------------------


def test_screen_gives_what_check_gives_with_overrides(site_kb) -> None:  # type: ignore[no-untyped-def]
    add_override(
        site_kb, action="suppress", rule_code="PC301", drug="linezolid", reason="r", author=AUTHOR
    )
    add_override(
        site_kb,
        action="severity",
        rule_code="PC101",
        drug_class="ssri",
        severity="info",
        unit="ICU",
        reason="r",
        author=AUTHOR,
    )
    lists = {
        "P1": ["linezolid", "methylene blue", "sertraline"],
        "P2": ["sertraline", "tramadol"],
        "P3": ["linezolid", "methylene blue"],
    }
    table = pd.DataFrame(
        [{"patient_id": pid, "name": name} for pid, names in lists.items() for name in names]
    )
    runner = Checker(site_kb)
    result = screen(table, runner=runner, unit="ICU", as_of=pd.Timestamp("2026-11-25").date())
    rows = result.findings
    suppressed = 0
    for pid, names in lists.items():
        report = runner.check(
            meds(*names), Patient(id=pid), unit="ICU", as_of=pd.Timestamp("2026-11-25").date()
        )
        suppressed += len(report.suppressed)
        mine = rows[rows["patient_id"] == pid]
        assert list(zip(mine["code"], mine["severity"], strict=True)) == [
            (f.code, f.severity.label) for f in report.findings
        ], pid
    assert sum(result.suppressed.values()) == suppressed == 2


# --- a rebuild keeps the site tables and flags what changed -----------------------------------


@pytest.mark.slow
def test_rebuild_keeps_overrides_and_review_flags_changed_facts(
    private_kb_url: str, tmp_path: Path
) -> None:
    from pharmcheck.kb.build import build
    from pharmcheck.kb.site import list_feedback, record_feedback

    kb = open_kb(private_kb_url)
    linezolid = add_override(
        kb, action="suppress", rule_code="PC301", drug="linezolid", reason="r1", author=AUTHOR
    )
    tramadol = add_override(
        kb, action="note", drug="tramadol", note="n", reason="r2", author=AUTHOR
    )
    record_feedback(
        private_kb_url,
        author="Practitioner/1",
        service_id="svc",
        card_id="c1",
        outcome="accepted",
        outcome_at="2026-12-02T10:00:00Z",
    )
    sources = tmp_path / "db"
    shutil.copytree(REPO / "db", sources)
    interactions = sources / "interactions" / "anti-infectives.csv"
    text = interactions.read_text(encoding="utf-8")
    assert "linezolid,class:maoi,major," in text
    interactions.write_text(
        text.replace("linezolid,class:maoi,major,", "linezolid,class:maoi,contraindicated,"),
        encoding="utf-8",
    )
    build(private_kb_url, sources)
    rebuilt = open_kb(private_kb_url)
    assert rebuilt.version != kb.version
    assert [o.id for o in list_overrides(private_kb_url)] == [linezolid.id, tramadol.id]
    assert len(history(private_kb_url)) == 2 and len(list_feedback(private_kb_url)) == 1
    flagged = review(rebuilt)
    assert [item.override.id for item in flagged] == [linezolid.id]  # tramadol's facts unchanged
    assert flagged[0].override.kb_version == kb.version
    change_override(rebuilt, linezolid.id, reason="reviewed after the update", author=AUTHOR)
    assert review(rebuilt) == []
    build(
        private_kb_url
    )  # back to the packaged sources: the overrides stay, the linezolid one flags
    assert [i.override.id for i in review(open_kb(private_kb_url))] == [linezolid.id]


# --- the CLI --------------------------------------------------------------------------------


def run(args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pharmcheck", *args, "--db", url],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )


@pytest.mark.slow
def test_cli_override_commands(private_kb_url: str) -> None:
    added = run(
        [
            "override", "add", "suppress", "--rule", "PC301", "--drug", "linezolid",
            "--unit", "ID", "--reason", "reviewed on ID", "--author", AUTHOR, "--format", "json",
        ],
        private_kb_url,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    made = json.loads(added.stdout)
    assert (made["action"], made["unit"], made["author"]) == ("suppress", "ID", AUTHOR)
    refused = run(
        ["override", "add", "suppress", "--rule", "PC201", "--reason", "x", "--author", "y"],
        private_kb_url,
    )
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "never-suppress" in refused.stderr
    missing = run(
        ["override", "add", "suppress", "--rule", "PC301", "--author", "y"], private_kb_url
    )
    assert missing.returncode == 2 and "--reason" in missing.stderr
    listed = json.loads(run(["override", "list", "--format", "json"], private_kb_url).stdout)
    assert [o["id"] for o in listed] == [made["id"]]
    checked = run(
        ["check", "linezolid", "methylene blue", "--unit", "ID", "--format", "json"], private_kb_url
    )
    assert [f["code"] for f in json.loads(checked.stdout)["suppressed_findings"]] == ["PC301"]
    retired = run(
        [
            "override",
            "retire",
            str(made["id"]),
            "--reason",
            "done",
            "--author",
            "K",
            "--revision",
            "1",
        ],
        private_kb_url,
    )
    assert retired.returncode == 0, retired.stderr
    trail = json.loads(run(["override", "history", "--format", "json"], private_kb_url).stdout)
    assert [(r["change"], r["actor"]) for r in trail] == [("create", AUTHOR), ("retire", "K")]
    reviewed = run(["override", "review"], private_kb_url)
    assert reviewed.returncode == 0 and "no override rests on facts changed" in reviewed.stdout
    never = json.loads(
        run(["override", "never-suppress", "--format", "json"], private_kb_url).stdout
    )
    assert {"linezolid", "methylene blue", "valproic acid"} <= {e["subject"] for e in never}


def test_the_audit_table_refuses_updates_and_deletes(site_kb) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    add_override(
        site_kb, action="suppress", rule_code="PC301", drug="linezolid", reason="r", author=AUTHOR
    )
    path = site_kb.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        for statement in ("UPDATE site_audit SET actor = 'someone else'", "DELETE FROM site_audit"):
            with pytest.raises(sqlite3.IntegrityError, match="site_audit is append-only"):
                conn.execute(statement)
    assert [r["actor"] for r in history(site_kb.url)] == [AUTHOR]


# --- invariant: overrides never lose a finding -----------------------------------------------

_LIST = ("linezolid", "methylene blue", "sertraline", "tramadol", "gabapentin")


@given(
    chosen=st.lists(
        st.tuples(
            st.sampled_from(("suppress", "severity", "note")),
            st.sampled_from((None, "PC101", "PC201", "PC202", "PC204", "PC301", "PC403")),
            st.sampled_from((None, *_LIST)),
            st.sampled_from((None, "ssri", "maoi", "opioid")),
            st.sampled_from((None, "ICU")),
            st.sampled_from(tuple(Severity)),
        ),
        max_size=6,
    ),
    unit=st.sampled_from((None, "ICU", "ID")),
)
def test_overrides_never_lose_a_finding(checker, chosen, unit) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.overrides import Override, SiteRules, _protecting_entry

    overrides = tuple(
        Override(
            id=i + 1,
            action=action,
            rule_code=rule,
            drug=drug,
            other_drug=None,
            drug_class=None if drug else klass,
            unit=where,
            severity=severity.label if action == "severity" else None,
            note="n" if action == "note" else None,
            reason="r",
            author="a",
            state="active",
            revision=1,
            kb_version=checker.kb.version,
            fact_digest="",
            created_at="t",
            changed_at="t",
        )
        for i, (action, rule, drug, klass, where, severity) in enumerate(chosen)
    )
    site = SiteRules(checker.kb, tuple(o for o in overrides if o.unit in (None, unit)), unit)
    plain = checker.check(meds(*_LIST), as_of=pd.Timestamp("2026-11-25").date())
    assert any(_protecting_entry(checker.kb, f) for f in plain.findings)  # linezolid + sertraline
    kept, suppressed = site.apply(plain.findings)

    def key(f):  # type: ignore[no-untyped-def]
        return (f.code, f.drugs, f.message)

    assert sorted(map(key, kept + suppressed)) == sorted(map(key, plain.findings))
    for before in plain.findings:
        after = next(f for f in kept + suppressed if key(f) == key(before))
        assert after.rule_severity == before.severity
        assert all(a.override_id in {o.id for o in site.overrides} for a in after.site)
        if _protecting_entry(checker.kb, before) is not None:  # the never-suppress list holds
            assert after in kept and after.severity == before.severity
        if after.severity != before.severity:
            assert any(a.action == "severity" for a in after.site)
    for f in suppressed:
        assert f.suppressed_by is not None and f.suppressed_by.override_id in {
            o.id for o in site.overrides if o.action == "suppress"
        }


@pytest.mark.slow
def test_writes_during_a_rebuild_are_all_kept(private_kb_url: str) -> None:
    """SQLite: site writes racing `db build` land in the file that ends up in place, each once."""
    import threading

    from pharmcheck.kb.build import build

    kb = open_kb(private_kb_url)
    shared = add_override(
        kb, action="note", drug="tramadol", note="n0", reason="start", author=AUTHOR
    )
    built = threading.Event()
    made = [0, 0, 0, 0]
    errors: list[str] = []

    def write(w: int) -> None:
        try:
            while not built.is_set() or made[w] < 3:
                change_override(kb, shared.id, note=f"w{w}", reason=f"w{w}-{made[w]}", author="w")
                made[w] += 1
        except Exception as exc:  # noqa: BLE001  (asserted below)
            errors.append(repr(exc))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(len(made))]
    for t in threads:
        t.start()
    build(private_kb_url)
    built.set()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    final = list_overrides(private_kb_url)
    assert [o.id for o in final] == [shared.id]
    assert final[0].revision == 1 + sum(made)
    assert len(history(private_kb_url, shared.id)) == 1 + sum(made)
