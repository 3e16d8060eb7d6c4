"""The pharmacist's pages over real HTTP (uvicorn on a free loopback port), without a browser:
what the server renders with JavaScript off, escaping, errors, uploads and downloads."""

from __future__ import annotations

import html
import io
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pharmcheck.inputs.pasted import fields_of, read_pasted

if TYPE_CHECKING:
    from pharmcheck.engine import Checker

pytest.importorskip("httpx", reason="the pages need the server extra")
pytest.importorskip("jinja2", reason="the pages need the server extra")

import httpx

WEB = Path(__file__).resolve().parent.parent / "pharmcheck" / "service" / "web"
MESSY_LIST = (
    "Current medications:\n"
    "\u2022 Neurontin 600\u00a0mg PO TID\n"
    "  2. Levetiracetam 1,000 mg PO BID\n"
    "3) tramadol 50 mg q6h (held)\n"
    "\n"
    "Allergies:\n"
    "penicillin\n"
)
# 81-year-old woman, 60 kg, serum creatinine 1.8 mg/dL: Cockcroft-Gault
# (140 - 81) x 60 / (72 x 1.8) x 0.85 = 3540 / 129.6 x 0.85 = 23.2 mL/min.
CONTEXT = {"age": "81", "sex": "female", "weight_kg": "60", "creatinine": "1.8"}


def _post(url: str, data: Mapping[str, str | list[str]]) -> httpx.Response:
    return httpx.post(f"{url}/", data=data, timeout=30)


def _text(page: str) -> str:
    """The page's text, tags removed and entities decoded, spaces collapsed."""
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    return re.sub(r" ([:,;)])", r"\1", text)


def test_the_check_page_and_its_assets_are_served(service_url: str) -> None:
    page = httpx.get(f"{service_url}/")
    assert page.status_code == 200
    assert 'label for="medications"' in page.text
    for asset in ("/static/style.css", "/static/app.js"):
        assert httpx.get(f"{service_url}{asset}").status_code == 200
    assert httpx.get(f"{service_url}/static/../routes.py").status_code == 404


def test_no_asset_or_template_reaches_outside_the_package() -> None:
    """No CDN, no external font, no network call: nothing served names another host."""
    for path in [*WEB.glob("templates/*.html"), *WEB.glob("static/*")]:
        text = path.read_text()
        assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE), path
        assert "@import" not in text and "url(" not in text, path


def test_a_messy_paste_is_checked_server_side(service_url: str) -> None:
    """With JavaScript off a plain form post renders the findings: gabapentin 600 mg tid is
    1800 mg/day, above the 700 mg/day maximum of the CrCl 15-29 band, at CrCl 23 mL/min."""
    answer = _post(service_url, {"medications": MESSY_LIST, **CONTEXT})
    assert answer.status_code == 200
    text = _text(answer.text)
    assert "23.2 mL/min" in text  # the estimate, shown with its inputs
    pc501 = re.search(r"MAJOR PC501 [^.]*renal function.{0,400}", text)
    assert (pc501 and "gabapentin" in pc501[0]) or "gabapentin" in text
    assert re.search(r"CrCl 23\.2 mL/min.*1800 mg/day", text)
    # tramadol is held (a status read from the line), penicillin is under Allergies: ignored.
    assert re.search(r"tramadol.{0,120}held", text)
    assert re.search(r"7 penicillin ignored ?: under .Allergies.", text)
    assert "Knowledge base" in text


def test_every_line_is_shown_with_its_reading(service_url: str) -> None:
    answer = _post(service_url, {"medications": MESSY_LIST, **CONTEXT})
    rows = re.findall(r'<tr class="kind-([a-z-]+)', answer.text)
    assert len(rows) == len(MESSY_LIST.splitlines())


_PASTE_LINE = st.one_of(
    st.sampled_from(
        [
            "Current medications:",
            "Stopped:",
            "Allergies:",
            "Plan:",
            "",
            "\u2022 tramadol 50 mg qid",
            "2. Neurontin 600 tid (held)",
            "zzzqqq 10 mg",
            "Take 1 tablet daily",
            "<b>sertraline</b> 100 mg daily",
        ]
    ),
    st.text(max_size=40).map(lambda t: re.sub(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", " ", t)),
)


@settings(max_examples=40)
@given(st.lists(_PASTE_LINE, min_size=1, max_size=12))
def test_every_pasted_line_is_on_the_page(service_url: str, lines: list[str]) -> None:
    """Whatever is pasted, the page answers with a page (never a 5xx), and when it reads the
    paste it shows every line, numbered, as a medication, ignored or NOT CHECKED."""
    paste = "\n".join(lines)
    answer = _post(service_url, {"medications": paste})
    assert answer.status_code in (200, 422), answer.text[:300]
    rows = re.findall(r'<tr class="kind-([a-z-]+)', answer.text)
    assert len(rows) == len(paste.splitlines())


def test_an_unrecognised_drug_is_not_checked_at_the_top(service_url: str) -> None:
    answer = _post(service_url, {"medications": "tramadol 50 mg qid\nzzzqqq 10 mg bd"})
    text = _text(answer.text)
    assert "NOT CHECKED (1)" in text
    assert text.index("NOT CHECKED (1)") < text.index("PC101")
    assert "No findings" not in text


def test_a_clean_list_says_checked_nothing_found(service_url: str) -> None:
    answer = _post(service_url, {"medications": "paracetamol 1 g qid"})
    text = _text(answer.text)
    assert "No findings. Every medication was recognised and checked." in text


@pytest.mark.parametrize(
    ("paste", "reason"),
    [
        ("", "paste a medication list: there is nothing to check"),
        ("Allergies:\npenicillin", "no line of the paste was read as a medication"),
    ],
)
def test_nothing_to_check_is_never_no_findings(service_url: str, paste: str, reason: str) -> None:
    answer = _post(service_url, {"medications": paste})
    assert answer.status_code == 422
    assert reason in _text(answer.text) and "No findings" not in answer.text


def test_a_paste_past_the_limit_is_refused_with_a_reason(service_url: str) -> None:
    from pharmcheck.inputs.pasted import MAX_PASTE_CHARS

    for size in (MAX_PASTE_CHARS + 19, 10 * MAX_PASTE_CHARS):
        answer = _post(service_url, {"medications": "tramadol 50 mg qid\n" * (size // 19)})
        assert answer.status_code == 413
        assert f"the paste is over {MAX_PASTE_CHARS:,} characters" in _text(answer.text)


def test_input_text_is_escaped_everywhere(service_url: str) -> None:
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    answer = _post(
        service_url,
        {"medications": f"tramadol 50 mg qid\n{attack}", "condition": [attack], "age": "70"},
    )
    assert answer.status_code == 200
    assert "<script>alert" not in answer.text and "<img src=x" not in answer.text
    assert "&lt;script&gt;alert" in answer.text


def test_hidden_characters_in_the_input_are_shown_not_obeyed(service_url: str) -> None:
    """A bidi override could reverse how a name reads; the page shows it as an escape, as the
    text report does, and sends the paste back into the form as typed."""
    paste = "tramadol 50 mg qid\nzzz\u202eqqq 10 mg"
    answer = _post(service_url, {"medications": paste})
    assert "zzz\\u202eqqq" in answer.text  # shown as the six characters \u202e
    assert f">{paste}</textarea>" in answer.text  # the form keeps the paste as typed


def test_bad_patient_input_is_a_one_line_422(service_url: str) -> None:
    answer = _post(service_url, {"medications": "tramadol", "age": "eighty"})
    assert answer.status_code == 422
    alert = re.search(r'role="alert"[^>]*>(.*?)</div>', answer.text, re.DOTALL)
    assert alert and "age must be a number, got 'eighty'" in html.unescape(alert[1])
    assert "Traceback" not in answer.text
    assert "eighty" in answer.text  # the form keeps what was typed


def test_an_impossible_creatinine_is_refused_with_the_library_reason(service_url: str) -> None:
    answer = _post(service_url, {"medications": "tramadol", "creatinine": "180"})
    assert answer.status_code == 422
    assert "outside the plausible range" in html.unescape(answer.text)


def test_a_corrected_line_is_checked_as_corrected(service_url: str) -> None:
    """A misspelt drug is not checked; correcting its name in the readings table checks it,
    with the dose and frequency the line gave (tramadol 50 mg qid is 200 mg/day)."""
    paste = "tramadl 50 mg qid"
    first = _text(_post(service_url, {"medications": paste}).text)
    assert "NOT CHECKED (1)" in first
    read = fields_of(read_pasted(paste)[0])
    form = {"medications": paste, "line-1-text": paste}
    for name in ("drug", "dose", "frequency", "route", "status"):
        form[f"line-1-{name}-read"] = getattr(read, name)
        form[f"line-1-{name}"] = getattr(read, name)
    form["line-1-drug"] = "tramadol"
    text = _text(_post(service_url, form).text)
    assert "NOT CHECKED" not in text
    assert re.search(r"tramadol: dose 50 mg, qid, daily 200 mg", text)


def test_a_line_marked_stopped_is_read_by_the_withdrawal_rules(service_url: str) -> None:
    paste = "clonazepam 2 mg tid"
    read = fields_of(read_pasted(paste)[0])
    form = {"medications": paste, "line-1-text": paste}
    for name in ("drug", "dose", "frequency", "route", "status"):
        form[f"line-1-{name}-read"] = getattr(read, name)
        form[f"line-1-{name}"] = getattr(read, name)
    form["line-1-status"] = "stopped"
    text = _text(_post(service_url, form).text)
    assert "clonazepam: dose 2 mg, tid, daily 6 mg, stopped" in text
    assert "withdrawal" in text.lower()


def test_print_view_is_a_consult_note(service_url: str) -> None:
    answer = _post(service_url, {"medications": MESSY_LIST, **CONTEXT, "view": "print"})
    text = _text(answer.text)
    assert "Pharmacist consult note" in text
    assert "Patient context" in text and "CrCl estimate" in text
    assert "<details" not in answer.text  # references in full on paper


def test_pages_forbid_inline_script_and_other_origins(service_url: str) -> None:
    policy = httpx.get(f"{service_url}/").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy


def test_conditions_are_suggested_from_the_vocabulary(service_url: str, kb: object) -> None:
    from pharmcheck.inputs.conditions import search_conditions

    page = httpx.get(f"{service_url}/").text
    options = set(re.findall(r'<option value="([^"]*)"></option>', page))
    for entry in search_conditions(kb, "myoclonic"):  # type: ignore[arg-type]
        assert html.escape(str(entry["label"])) in options


def test_an_unrecognised_condition_is_not_checked(service_url: str) -> None:
    answer = _post(service_url, {"medications": "tramadol", "condition": ["grumpy knees"]})
    assert "Not checked: condition grumpy knees" in _text(answer.text)


@pytest.mark.parametrize(
    ("paste", "form", "patient"),
    [
        (
            "tramadol\nNeurontin 600 tid\nDemerol 75 mg IM q3h",
            {"crcl": "28"},
            {"crcl": 28},
        ),
        (
            "valproate 500 mg bd",
            {"sex": "female", "age": "24", "childbearing_potential": "yes"},
            {"sex": "female", "age": 24, "childbearing_potential": True},
        ),
        (
            "carbamazepine",
            {"condition": ["juvenile myoclonic epilepsy"], "myoclonus": "worsening"},
            {"conditions": ("juvenile myoclonic epilepsy",), "myoclonus": "worsening"},
        ),
    ],
)
def test_the_readme_examples_give_what_check_gives(
    service_url: str,
    checker: Checker,
    paste: str,
    form: dict[str, str | list[str]],
    patient: dict[str, Any],
) -> None:
    """The README's clinical examples on the page: the same findings, at the same severities,
    as the library's check of the same list and patient."""
    from pharmcheck import Patient

    report = checker.check(paste.splitlines(), Patient(**patient))
    expected = [f"{f.severity.label.upper()} {f.code} {f.title}" for f in report.findings]
    page = _post(service_url, {"medications": paste, **form}).text
    shown = [
        re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", heading))).strip()
        for heading in re.findall(r"<h4[^>]*>(.*?)</h4>", page, re.DOTALL)
    ]
    assert expected and sorted(shown) == sorted(expected)


# The ward page -----------------------------------------------------------------------------

MEDS_CSV = (
    "patient_id,name,dose,frequency,status\n"
    "P1,tramadol,50 mg,qid,\n"
    "P1,sertraline,100 mg,daily,\n"
    "P2,Neurontin,600 mg,tid,\n"
    "P2,zzzqqq,10 mg,bd,\n"
    "P3,,10 mg,bd,\n"
    "P3,clonazepam,2 mg,tid,sometimes\n"
)
PATIENTS_CSV = "patient_id,age,sex,crcl\nP1,81,female,25\nP2,70,male,28\nP3,40,male,\n"


def _screen(url: str, files: dict[str, tuple[str, bytes]]) -> httpx.Response:
    return httpx.post(f"{url}/screen", files=files, timeout=60, follow_redirects=False)


def _finished(url: str, location: str) -> str:
    deadline = time.monotonic() + 60
    while True:
        page = httpx.get(f"{url}{location}", timeout=30).text
        if "Screening…" not in page:
            return page
        assert time.monotonic() < deadline, "the screen did not finish"
        time.sleep(0.2)


def _as_table(text: str, path: Path) -> bytes:
    """A CSV text written as the table format ``path``'s extension names; its bytes."""
    import pandas as pd

    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    if path.suffix == ".tsv":
        frame.to_csv(path, sep="\t", index=False)
    elif path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        path.write_text(text)
    return path.read_bytes()


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".xlsx", ".parquet"])
def test_a_ward_download_is_exactly_what_pharmcheck_screen_writes(
    service_url: str, tmp_path: Path, suffix: str
) -> None:
    meds = _as_table(MEDS_CSV, tmp_path / f"meds{suffix}")
    patients = _as_table(PATIENTS_CSV, tmp_path / f"patients{suffix}")
    answer = _screen(
        service_url,
        {"meds": (f"meds{suffix}", meds), "patients": (f"patients{suffix}", patients)},
    )
    assert answer.status_code == 303
    location = answer.headers["location"]
    page = _finished(service_url, location)
    text = _text(page)
    assert "1 unrecognised" in text and "2 rejected row(s)" in text
    assert "Not checked: zzzqqq" in text and "missing medication name" in text
    download = httpx.get(f"{service_url}{location}/findings.csv")
    assert download.status_code == 200
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "pharmcheck",
            "screen",
            f"meds{suffix}",
            "--patients",
            f"patients{suffix}",
        ],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert cli.returncode == 1, cli.stderr
    assert download.content == cli.stdout
    workbook = httpx.get(f"{service_url}{location}/findings.xlsx")
    assert workbook.status_code == 200
    import pandas as pd

    sheet = pd.read_excel(io.BytesIO(workbook.content), dtype=str).fillna("")
    rows = pd.read_csv(io.BytesIO(download.content), dtype=str, keep_default_na=False)
    assert sheet.equals(rows)  # the same rows, columns and cells as the CSV


def test_ward_filters_keep_unread_rows_in_view(service_url: str) -> None:
    answer = _screen(
        service_url,
        {
            "meds": ("meds.csv", MEDS_CSV.encode()),
            "patients": ("patients.csv", PATIENTS_CSV.encode()),
        },
    )
    location = answer.headers["location"]
    _finished(service_url, location)
    page = httpx.get(f"{service_url}{location}", params={"severity": "major"}).text
    severities = re.findall(r'<td class="sev-([a-z]*)">', page)
    assert severities and set(severities) <= {"major", "contraindicated"}
    assert "zzzqqq" in page and "rejected-row" in page  # unread rows stay in view
    by_code = httpx.get(f"{service_url}{location}", params={"code": "PC5"}).text
    assert set(re.findall(r"<td>(PC\d+)</td>", by_code)) == {"PC501"}
    by_patient = httpx.get(f"{service_url}{location}", params={"patient": "P2"}).text
    patients = set(re.findall(r'<th scope="row">([^<]+)</th>', by_patient))
    assert patients == {"P2"}


def test_a_large_ward_draws_a_bounded_table_and_downloads_every_row(service_url: str) -> None:
    from pharmcheck.service.web.ward import MAX_SHOWN_ROWS

    patients = MAX_SHOWN_ROWS // 2 + 50  # two findings each at least: more rows than drawn
    meds = "patient_id,name,dose,frequency\n" + "".join(
        f"P{i},tramadol,50 mg,qid\nP{i},sertraline,100 mg,daily\n" for i in range(patients)
    )
    answer = _screen(service_url, {"meds": ("meds.csv", meds.encode())})
    page = _finished(service_url, answer.headers["location"])
    drawn = len(re.findall(r'<td class="sev-', page))
    assert drawn == MAX_SHOWN_ROWS
    assert f"the first {MAX_SHOWN_ROWS} shown" in page
    download = httpx.get(f"{service_url}{answer.headers['location']}/findings.csv")
    assert download.text.count("\n") - 1 > MAX_SHOWN_ROWS


def test_a_malformed_file_gets_the_cli_reason(service_url: str, tmp_path: Path) -> None:
    bad = "patient_id,drug_dose\nP1,50 mg\n"
    (tmp_path / "meds.csv").write_text(bad)
    cli = subprocess.run(
        [sys.executable, "-m", "pharmcheck", "screen", "meds.csv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert cli.returncode == 2
    reason = cli.stderr.strip().removeprefix("pharmcheck: error: ")
    answer = _screen(service_url, {"meds": ("meds.csv", bad.encode())})
    page = (
        _finished(service_url, answer.headers["location"])
        if answer.status_code == 303
        else answer.text
    )
    assert reason in html.unescape(page)


def test_an_upload_past_the_limit_gets_a_clear_message(service_url: str) -> None:
    from pharmcheck.service.web.ward import MAX_UPLOAD_BYTES

    big = b"patient_id,name\n" + b"P1,tramadol\n" * (MAX_UPLOAD_BYTES // 12 + 10)
    answer = _screen(service_url, {"meds": ("meds.csv", big)})
    assert answer.status_code == 413
    assert f"at most {MAX_UPLOAD_BYTES // 2**20} MB" in _text(answer.text)


def test_an_unknown_screen_is_a_404_page(service_url: str) -> None:
    answer = httpx.get(f"{service_url}/screen/jobs/nosuchjob")
    assert answer.status_code == 404 and "upload again" in answer.text
    assert httpx.get(f"{service_url}/screen/jobs/nosuchjob/findings.csv").status_code == 404


def test_a_file_that_is_not_a_table_is_refused(service_url: str) -> None:
    answer = _screen(service_url, {"meds": ("notes.pdf", b"%PDF-1.4")})
    assert answer.status_code == 422
    assert ".pdf is not a table" in _text(answer.text)


# --- a site override from a finding ----------------------------------------------------------

PAIR = "tramadol 50 mg qid\nsertraline 50 mg daily"
AUTHOR = "J Smith (pharmacist)"


@pytest.fixture
def site_service(private_kb_url: str) -> Iterator[tuple[str, str]]:
    """The pages on a private copy of the session KB (overrides written here reach no other
    test): (base URL, database URL)."""
    from pharmcheck.service.settings import ServiceSettings
    from tests.service_server import serving

    settings = ServiceSettings(db_url=private_kb_url, allow_unauthenticated=True)
    with serving(settings) as url:
        yield url, private_kb_url


def _override_form(page: str, code: str, drugs: set[str], **fields: str) -> dict[str, str]:
    """The fields the browser posts when the "Save override" button of the ``code`` finding about
    ``drugs`` is pressed: its override fields (``scope`` is a drug's name or "pair")."""
    for n in re.findall(rf'name="override-(\d+)-rule" value="{code}"', page):
        named = dict(re.findall(rf'name="override-{n}-drug-(\d+)" value="([^"]*)"', page))
        if set(named.values()) == drugs:
            break
    else:
        raise AssertionError(f"no override action for {code} {drugs}")
    index = {drug: i for i, drug in named.items()}
    data = {"override": n, f"override-{n}-rule": code}
    data |= {f"override-{n}-drug-{i}": drug for i, drug in named.items()}
    data |= {f"override-{n}-{name}": value for name, value in fields.items()}
    data[f"override-{n}-scope"] = index.get(fields["scope"], fields["scope"])
    return data


def test_an_override_from_a_finding_is_saved_audited_and_shown_suppressed(
    site_service: tuple[str, str],
) -> None:
    from pharmcheck.overrides import history, list_overrides

    url, db_url = site_service
    checked = _post(url, {"medications": PAIR})
    assert checked.status_code == 200
    assert "PC201" in _text(checked.text) and "Suppressed by site override" not in checked.text
    reason = "Tramadol + sertraline <reviewed> by pain team daily"
    form = _override_form(
        checked.text,
        "PC201",
        {"tramadol", "sertraline"},
        kind="suppress",
        scope="pair",
        unit="",
        reason=reason,
        author=AUTHOR,
    )
    answer = httpx.post(f"{url}/override", data={"medications": PAIR, **form}, timeout=30)
    assert answer.status_code == 200, answer.text[:300]

    [made] = list_overrides(db_url)
    assert (made.action, made.rule_code, made.unit) == ("suppress", "PC201", None)
    assert {made.drug, made.other_drug} == {"tramadol", "sertraline"}  # a pair: either order
    assert (made.reason, made.author) == (reason, AUTHOR)
    [audit] = history(db_url, made.id)
    assert (audit["change"], audit["actor"], audit["reason"]) == ("create", AUTHOR, reason)

    # The page, checked again, lists the interaction apart with who, when and why, escaped.
    assert "<reviewed>" not in answer.text and "&lt;reviewed&gt;" in answer.text
    text = _text(answer.text)
    suppressed = text[text.index("Suppressed by site override (1)") :]
    assert re.search(r"PC201 Interaction: tramadol \+ sertraline", suppressed)
    assert f"by {AUTHOR} at {made.changed_at}: {reason}" in suppressed
    above = text[: text.index("Suppressed by site override (1)")]
    assert "Interaction: tramadol + sertraline" not in above
    # A later plain check on the same site still shows it suppressed.
    again = _text(_post(url, {"medications": PAIR}).text)
    assert "Suppressed by site override (1)" in again


def test_a_severity_override_for_one_unit_applies_in_that_unit(
    site_service: tuple[str, str],
) -> None:
    from pharmcheck.overrides import list_overrides

    url, db_url = site_service
    checked = _post(url, {"medications": PAIR, "unit": "Pain"})
    form = _override_form(
        checked.text,
        "PC201",
        {"tramadol", "sertraline"},
        kind="severity",
        scope="tramadol",
        severity="minor",
        unit="Pain",
        reason="low doses, monitored",
        author=AUTHOR,
    )
    answer = httpx.post(
        f"{url}/override", data={"medications": PAIR, "unit": "Pain", **form}, timeout=30
    )
    assert answer.status_code == 200, answer.text[:300]
    [made] = list_overrides(db_url)
    assert (made.action, made.drug, made.other_drug, made.severity, made.unit) == (
        "severity",
        "tramadol",
        None,
        "minor",
        "Pain",
    )
    text = _text(answer.text)
    minor = text[text.index("MINOR (") :]
    assert re.search(r"PC201 Interaction: tramadol \+ sertraline", minor)
    assert "severity set to minor" in minor and "low doses, monitored" in minor
    elsewhere = _text(_post(url, {"medications": PAIR, "unit": "ICU"}).text)
    assert "severity set to minor" not in elsewhere


def test_an_override_without_a_reason_is_refused_in_one_line(
    site_service: tuple[str, str],
) -> None:
    from pharmcheck.overrides import history, list_overrides

    url, db_url = site_service
    checked = _post(url, {"medications": PAIR})
    form = _override_form(
        checked.text,
        "PC201",
        {"tramadol", "sertraline"},
        kind="suppress",
        scope="pair",
        reason="   ",
        author=AUTHOR,
    )
    answer = httpx.post(f"{url}/override", data={"medications": PAIR, **form}, timeout=30)
    assert 400 <= answer.status_code < 500
    [alert] = re.findall(
        r'<div class="error" role="alert"[^>]*>(.*?)</div>', answer.text, re.DOTALL
    )
    assert "\n" not in alert.strip() and "needs a reason" in alert
    assert "Traceback" not in answer.text
    assert list_overrides(db_url) == [] and history(db_url) == []
    assert "Suppressed by site override" not in answer.text  # and the findings are still shown
    assert "PC201" in _text(answer.text)


def test_a_never_suppress_finding_cannot_be_overridden(site_service: tuple[str, str]) -> None:
    """Linezolid (an MAO-A inhibitor) with sertraline (an SSRI) is on the never-suppress list."""
    from pharmcheck.overrides import history, list_overrides

    url, db_url = site_service
    paste = "linezolid 600 mg bid\nsertraline 50 mg daily"
    checked = _post(url, {"medications": paste})
    form = _override_form(
        checked.text,
        "PC201",
        {"linezolid", "sertraline"},
        kind="suppress",
        scope="pair",
        reason="too many alerts",
        author=AUTHOR,
    )
    answer = httpx.post(f"{url}/override", data={"medications": paste, **form}, timeout=30)
    assert answer.status_code == 422
    text = _text(answer.text)
    assert re.search(r"Override not saved: refused: PC201 linezolid .*never-suppress list", text)
    assert "FDA" in text  # the list's source comes with the refusal
    assert list_overrides(db_url) == [] and history(db_url) == []
    assert "Suppressed by site override" not in text
    assert "Interaction: linezolid + sertraline" in text
