"""The pharmacist's pages in real headless Chromium (Debian's chromium, driven by Playwright;
never a downloaded browser). Screenshots go to test-artifacts/ (or $PHARMCHECK_TEST_ARTIFACTS);
PHARMCHECK_UPDATE_DOCS=1 also writes the README's screenshot, docs/web-check.png."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the pages need the server extra")
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need playwright (the test extra)"
)

CHROMIUM = Path(os.environ.get("PHARMCHECK_CHROMIUM", "/usr/bin/chromium"))
#: Headless, and nothing that reaches the network on its own (updates, sync, field trials).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_VERSION = "4.14.1"
REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("PHARMCHECK_TEST_ARTIFACTS", REPO / "test-artifacts"))

MESSY_LIST = """Current medications:
\u2022 Neurontin 600\u00a0mg PO TID
  2. Levetiracetam 1,000 mg PO BID
3) oxycodone 5 mg tablet
   Take 1 tablet by mouth every 4 hours as needed for pain
4) tramadol 50 mg q6h (held)
vancomycin 1,250 mg in sodium chloride 0.9 % 250 mL IVPB every 12 hours

Allergies:
penicillin

Stopped:
- clonazepam 0.5 mg bd
zzzqqq 10 mg daily
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install -y chromium)"
        )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="session")
def axe_source(tmp_path_factory: pytest.TempPathFactory) -> str:
    """axe-core from the npm registry, installed once into a cache folder."""
    cache = Path(
        os.environ.get("PHARMCHECK_TEST_CACHE", Path.home() / ".cache" / "pharmcheck-tests")
    )
    script = cache / f"axe-core-{AXE_VERSION}" / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("the accessibility check needs npm to install axe-core")
        done = subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(script.parents[2]),
                f"axe-core@{AXE_VERSION}",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--ignore-scripts",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0 and script.exists(), f"npm install axe-core: {done.stderr}"
    return script.read_text()


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _fill_context(page: Any) -> None:
    """81-year-old woman, 60 kg, serum creatinine 1.8 mg/dL (CrCl 23.2 mL/min by
    Cockcroft-Gault), with myoclonus."""
    page.get_by_label("Paste the list").fill(MESSY_LIST)
    page.get_by_label("Age (years)").fill("81")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Weight (kg)").fill("60")
    page.get_by_label("or serum creatinine").fill("1.8")
    page.get_by_label("Myoclonus").select_option("present")


def _assert_expected_findings(page: Any) -> None:
    results = page.locator(".results")
    sync_api.expect(results).to_be_visible()
    major = page.locator("section.sev-major")
    # Gabapentin (Neurontin) 600 mg tid is 1800 mg/day, above the CrCl 15-29 band's 700 mg.
    sync_api.expect(
        major.get_by_role("article", name=re.compile("PC501")).filter(has_text="Adjust gabapentin")
    ).to_contain_text("prescribed 1800 mg/day")
    # With myoclonus present, a known cause (gabapentin) is major (PC101).
    sync_api.expect(
        major.get_by_role("article", name=re.compile("PC101")).filter(
            has_text="gabapentin: myoclonus risk"
        )
    ).to_have_count(1)
    # The unknown name is NOT CHECKED, and that block comes before the findings.
    not_checked = page.locator(".not-checked")
    sync_api.expect(not_checked).to_contain_text("zzzqqq")
    box = not_checked.bounding_box()
    assert box is not None and box["y"] < (major.bounding_box() or {"y": 0})["y"]
    # Each line's reading: the held and stopped lines, the allergy ignored.
    table = page.get_by_role("table", name=re.compile("How each pasted line was read"))
    sync_api.expect(table.locator("tbody tr")).to_have_count(len(MESSY_LIST.splitlines()))
    sync_api.expect(table.locator("tr", has_text="tramadol 50 mg q6h")).to_contain_text("held")
    sync_api.expect(table.locator("tr", has_text="clonazepam")).to_contain_text("stopped")
    sync_api.expect(table.locator("tr", has_text="penicillin")).to_contain_text("ignored")
    sync_api.expect(page.locator("#crcl-estimate")).to_contain_text("23.2 mL/min")
    sync_api.expect(page.locator(".results .meta").first).to_contain_text("Knowledge base")


def test_paste_a_messy_list_and_see_the_findings(page: Any, service_url: str) -> None:
    page.goto(f"{service_url}/")
    _fill_context(page)
    page.get_by_role("button", name="Check", exact=True).click()
    _assert_expected_findings(page)
    shot = _shot(page, "check-results")
    if os.environ.get("PHARMCHECK_UPDATE_DOCS") == "1":
        page.set_viewport_size({"width": 1280, "height": 1000})
        page.evaluate("document.getElementById('results-heading').scrollIntoView()")
        (REPO / "docs").mkdir(exist_ok=True)
        page.screenshot(path=str(REPO / "docs" / "web-check.png"))
    assert shot.stat().st_size > 0


def test_references_expand(page: Any, service_url: str) -> None:
    page.goto(f"{service_url}/")
    page.get_by_label("Paste the list").fill("tramadol 50 mg qid\nsertraline 100 mg daily")
    page.get_by_role("button", name="Check", exact=True).click()
    first = page.locator("details.references").first
    sync_api.expect(first.locator("li").first).not_to_be_visible()
    first.locator("summary").click()
    sync_api.expect(first.locator("li").first).to_be_visible()


def _focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement.id || document.activeElement.tagName"))


def _tab_to(page: Any, target: str, limit: int = 80) -> None:
    """Press Tab until the element with id ``target`` (or a tag, as "SUMMARY") has focus, and
    check that the focus is visible."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _focused(page) == target:
            outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"{target} has no visible focus"
            return
    raise AssertionError(f"Tab never reached {target}")


def test_keyboard_only(page: Any, service_url: str) -> None:
    """The same flow with the keyboard alone: Tab in a logical order, visible focus, type-ahead
    in the selects, Enter to submit, Enter to open references."""
    page.goto(f"{service_url}/")
    _tab_to(page, "medications")
    page.keyboard.insert_text(MESSY_LIST)
    for field, keys in (
        ("age", "81"),
        ("sex", "f"),
        ("weight_kg", "60"),
        ("creatinine", "1.8"),
        ("myoclonus", "p"),
        ("condition-0", ""),
    ):
        _tab_to(page, field, limit=10)  # each field a few Tabs after the one before
        page.keyboard.type(keys)
    assert page.get_by_label("Sex").input_value() == "female"
    assert page.get_by_label("Myoclonus").input_value() == "present"
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    _assert_expected_findings(page)
    assert _focused(page) == "results-heading"  # the results are where focus lands
    _tab_to(page, "SUMMARY")  # the first references toggle
    page.keyboard.press("Enter")
    sync_api.expect(page.locator("details.references[open]")).to_have_count(1)
    _shot(page, "check-keyboard")


def test_control_enter_in_the_paste_box_checks(page: Any, service_url: str) -> None:
    page.goto(f"{service_url}/")
    _tab_to(page, "medications")
    page.keyboard.insert_text("tramadol 50 mg qid")
    page.keyboard.press("Control+Enter")
    sync_api.expect(page.locator(".results")).to_contain_text("PC101")


def test_enter_submits_from_a_field(page: Any, service_url: str) -> None:
    page.goto(f"{service_url}/")
    page.get_by_label("Paste the list").fill("tramadol 50 mg qid")
    page.get_by_label("Age (years)").fill("81")
    page.get_by_label("Age (years)").press("Enter")
    sync_api.expect(page.locator(".results")).to_contain_text("PC101")


def test_works_with_javascript_off(browser: Any, service_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{service_url}/")
    _fill_context(page)
    page.get_by_role("button", name="Check", exact=True).click()
    _assert_expected_findings(page)
    _shot(page, "check-no-javascript")
    context.close()


def test_print_view_is_a_consult_note(page: Any, service_url: str) -> None:
    page.goto(f"{service_url}/")
    _fill_context(page)
    page.get_by_role("button", name="Print view (consult note)").click()
    sync_api.expect(page.get_by_role("heading", level=1)).to_contain_text("Pharmacist consult note")
    page.emulate_media(media="print")
    sync_api.expect(page.locator("header.site")).to_be_hidden()
    sync_api.expect(
        page.get_by_role("table", name="Patient context used for the check")
    ).to_contain_text("23.2 mL/min")
    # On paper every reference is printed in full.
    sync_api.expect(page.locator(".references li").first).to_be_visible()
    sync_api.expect(page.locator(".signature")).to_be_visible()
    _shot(page, "consult-note-print")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(ARTIFACTS / "consult-note.pdf"))
    assert (ARTIFACTS / "consult-note.pdf").stat().st_size > 1000


MEDS_CSV = (
    "patient_id,name,dose,frequency,status\n"
    "P1,tramadol,50 mg,qid,\n"
    "P1,sertraline,100 mg,daily,\n"
    "P2,Neurontin,600 mg,tid,\n"
    "P2,zzzqqq,10 mg,bd,\n"
    "P3,,10 mg,bd,\n"
)
PATIENTS_CSV = "patient_id,age,sex,crcl\nP1,81,female,25\nP2,70,male,28\nP3,40,male,\n"


def test_upload_a_ward_watch_progress_and_download(
    page: Any, service_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The screen is held at a step until the page has shown its progress, then let go: the
    page refreshes itself into the results, and the CSV download has every row."""
    from pharmcheck.service.web import ward

    release = threading.Event()
    run = ward._run

    def held(job: Any, upload: Any, runner: Any) -> None:
        job.progress("resolving the medications", 2, 9)
        release.wait(30)
        run(job, upload, runner)

    monkeypatch.setattr(ward, "_run", held)
    (tmp_path / "meds.csv").write_text(MEDS_CSV)
    (tmp_path / "patients.csv").write_text(PATIENTS_CSV)
    page.goto(f"{service_url}/screen")
    page.get_by_label("Medications file").set_input_files(str(tmp_path / "meds.csv"))
    page.get_by_label("Patients file").set_input_files(str(tmp_path / "patients.csv"))
    page.get_by_role("button", name="Screen").click()
    sync_api.expect(page.get_by_role("status")).to_contain_text(
        "step 3 of 9: resolving the medications"
    )
    _shot(page, "ward-progress")
    release.set()
    table = page.get_by_role("table", name=re.compile("Ward findings"))
    sync_api.expect(table).to_be_visible(timeout=15000)
    unread = page.get_by_role("table", name=re.compile("Unrecognised names"))
    sync_api.expect(unread.locator("tr", has_text="zzzqqq")).to_contain_text("unrecognized")
    sync_api.expect(unread.locator("tr", has_text="missing medication name")).to_contain_text(
        "rejected-row"
    )
    _shot(page, "ward-results")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert {row["category"] for row in rows} >= {"unrecognized", "rejected-row", "causative"}
    assert table.locator("tbody tr").count() + unread.locator("tbody tr").count() == len(rows)
    page.get_by_label("Severity at least").select_option("major")
    page.get_by_role("button", name="Filter").click()
    severities = {text.strip() for text in table.locator("td:nth-child(2)").all_inner_texts()}
    assert severities and severities <= {"\u25b2 MAJOR", "\u26d4 CONTRAINDICATED"}
    sync_api.expect(unread.locator("tr", has_text="zzzqqq")).to_be_visible()


def _serious_violations(page: Any, axe_source: str) -> list[str]:
    page.add_script_tag(content=axe_source)
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def test_accessibility_of_every_page(browser: Any, service_url: str, axe_source: str) -> None:
    # axe is injected as an inline script, which the pages' Content-Security-Policy refuses.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{service_url}/")
    assert _serious_violations(page, axe_source) == []
    _fill_context(page)
    page.get_by_role("button", name="Check", exact=True).click()
    page.wait_for_selector(".results")
    assert _serious_violations(page, axe_source) == []
    page.get_by_role("button", name="Print view (consult note)").click()
    page.wait_for_selector(".consult-note")
    assert _serious_violations(page, axe_source) == []
    page.goto(f"{service_url}/screen")
    assert _serious_violations(page, axe_source) == []
    page.get_by_label("Medications file").set_input_files(
        files=[{"name": "meds.csv", "mimeType": "text/csv", "buffer": MEDS_CSV.encode()}]
    )
    page.get_by_role("button", name="Screen").click()
    page.wait_for_selector("#ward-findings", timeout=15000)
    assert _serious_violations(page, axe_source) == []
    context.close()


def test_override_a_finding_by_keyboard(browser: Any, private_kb_url: str) -> None:
    """Open a finding's Override action, fill it with the keyboard alone and save: the page comes
    back with the finding suppressed, with who and why (a private KB copy keeps it to this test)."""
    from pharmcheck.service.settings import ServiceSettings
    from tests.service_server import serving

    settings = ServiceSettings(db_url=private_kb_url, allow_unauthenticated=True)
    with serving(settings) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{url}/")
        page.get_by_label("Paste the list").fill("tramadol 50 mg qid\nsertraline 50 mg daily")
        page.get_by_role("button", name="Check", exact=True).click()
        interaction = page.locator(".severity article", has_text="Interaction: tramadol")
        sync_api.expect(interaction).to_have_count(1)
        interaction.locator("summary", has_text="Override PC201").click()
        prefix = str(interaction.locator("select[name$='-kind']").get_attribute("id"))
        prefix = prefix.removesuffix("kind")
        _tab_to(page, f"{prefix}kind", limit=5)
        page.keyboard.type("s")  # suppress
        _tab_to(page, f"{prefix}scope", limit=3)  # the pair is preselected
        _tab_to(page, f"{prefix}reason", limit=5)
        page.keyboard.type("Pain team reviews this pair daily")
        _tab_to(page, f"{prefix}author", limit=3)
        page.keyboard.type("J Smith")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Save override"
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        sync_api.expect(page.locator("#override-notice")).to_contain_text("suppress: PC201")
        suppressed = page.locator("section.suppressed")
        sync_api.expect(suppressed).to_contain_text("Suppressed by site override (1)")
        sync_api.expect(suppressed).to_contain_text("Interaction: tramadol + sertraline")
        sync_api.expect(suppressed).to_contain_text("by J Smith at")
        sync_api.expect(suppressed).to_contain_text("Pain team reviews this pair daily")
        sync_api.expect(
            page.locator(".severity article", has_text="Interaction: tramadol")
        ).to_have_count(0)
        _shot(page, "override-suppressed")
        context.close()
