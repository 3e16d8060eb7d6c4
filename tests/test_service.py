"""The CDS Hooks service over real HTTP (uvicorn on a free loopback port, see service_server.py).

Card rules come from CDS Hooks 2.0 (cds-hooks.hl7.org/2.0, "CDS Service Response"): summary
under 140 characters; indicator info, warning or critical; source with a label; suggestions
only with a selectionBehavior, each with a label and actions (create, update or delete, with a
description, delete with a resourceId); overrideReasons as Codings with a code and display; and
no null, empty string, empty list or empty object anywhere.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, cast
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from pharmcheck.cli import cli
from tests import cds_data

httpx = pytest.importorskip("httpx", reason="the service needs the server extra")
pytest.importorskip("fastapi", reason="the service needs the server extra")
pytest.importorskip("fhir.resources", reason="FHIR input needs the fhir extra")

SIGN = "/cds-services/pharmcheck-order-sign"
SELECT = "/cds-services/pharmcheck-order-select"
VIEW = "/cds-services/pharmcheck-patient-view"


def empty_values(value: Any, where: str = "$") -> list[str]:
    """Every null, "", [] or {} inside ``value`` (the spec allows none in a response)."""
    if value is None or value in ("", [], {}):
        return [where]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in empty_values(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in empty_values(v, f"{where}[{i}]")]
    return []


def spec_problems(card: dict[str, Any]) -> list[str]:
    """How ``card`` breaks the CDS Hooks 2.0 card rules."""
    problems = empty_values(card)
    if not isinstance(card.get("summary"), str) or len(card["summary"]) >= 140:
        problems.append("summary missing or 140 characters or more")
    if card.get("indicator") not in ("info", "warning", "critical"):
        problems.append("indicator not info, warning or critical")
    if not isinstance(card.get("source"), dict) or not card["source"].get("label"):
        problems.append("source.label missing")
    if "suggestions" in card and card.get("selectionBehavior") not in ("at-most-one", "any"):
        problems.append("suggestions without selectionBehavior")
    for suggestion in card.get("suggestions", []):
        if not suggestion.get("label"):
            problems.append("suggestion without label")
        for action in suggestion.get("actions", []):
            if action.get("type") not in ("create", "update", "delete"):
                problems.append("action type")
            if not action.get("description"):
                problems.append("action without description")
            if action.get("type") == "delete" and not action.get("resourceId"):
                problems.append("delete without resourceId")
    for reason in card.get("overrideReasons", []):
        if not reason.get("code") or not reason.get("display"):
            problems.append("override reason without code and display")
    return problems


def post(url: str, body: Any) -> Any:
    return httpx.post(url, json=body, timeout=30)


def cards_of(answer: Any) -> list[dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    cards = answer.json()["cards"]
    for card in cards:
        assert spec_problems(card) == [], (card["summary"], spec_problems(card))
    return list(cards)


def rule_cards(cards: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
    return [c for c in cards if c["source"].get("topic", {}).get("code") == code]


def test_discovery_lists_the_three_hooks_with_prefetch(service_url: str) -> None:
    answer = httpx.get(f"{service_url}/cds-services")
    assert answer.status_code == 200
    services = {s["hook"]: s for s in answer.json()["services"]}
    assert set(services) == {"order-select", "order-sign", "patient-view"}
    for service in services.values():
        assert empty_values(service) == []
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert "status=active" in service["prefetch"]["medicationRequests"]
        assert "http://loinc.org|35591-7" in service["prefetch"]["renal"]  # Cockcroft-Gault CrCl
        assert "http://loinc.org|82810-3" in service["prefetch"]["pregnancy"]


def test_order_sign_cards_follow_the_spec_and_name_the_problem(service_url: str) -> None:
    cards = cards_of(post(service_url + SIGN, cds_data.call()))
    # Tramadol with sertraline: serotonin toxicity and seizures (tramadol label); one card.
    pair = [c for c in rule_cards(cards, "PC201") if "sertraline" in c["summary"]]
    assert len(pair) == 1 and "tramadol" in pair[0]["summary"]
    card = pair[0]
    assert card["indicator"] in ("warning", "critical")
    assert card["source"]["url"].endswith("/rules/PC201")
    assert "knowledge base" in card["source"]["label"]
    # The draft tramadol order is the clear action: remove it.
    (suggestion,) = card["suggestions"]
    assert suggestion["actions"] == [
        {
            "type": "delete",
            "description": "Delete the draft order MedicationRequest/d1",
            "resourceId": "MedicationRequest/d1",
        }
    ]
    assert card["selectionBehavior"] == "at-most-one"
    codes = {r["code"] for r in card["overrideReasons"]}
    assert "risk-benefit-ratio" in codes
    # A problem among the active drugs only has no draft to remove.
    assert all("suggestions" not in c for c in cards if "tramadol" not in c["summary"])
    assert len({c["uuid"] for c in cards}) == len(cards)


def test_one_card_per_problem(service_url: str) -> None:
    cards = cards_of(post(service_url + SIGN, cds_data.call()))
    problems = [(c["source"].get("topic", {}).get("code"), c["summary"]) for c in cards]
    assert len(problems) == len(set(problems))


def test_a_drug_that_cannot_be_read_is_a_not_checked_card(service_url: str) -> None:
    unknown = cds_data.order("d9", "frobnicol 10 mg", status="draft")
    cards = cards_of(post(service_url + SIGN, cds_data.call(drafts=(*cds_data.DRAFTS, unknown))))
    (card,) = [c for c in cards if c["summary"].startswith("Not checked")]
    assert "frobnicol" in card["summary"] and card["indicator"] == "info"
    assert "not checked" in card["detail"]


def test_user_text_is_escaped_in_the_detail(service_url: str) -> None:
    hostile = cds_data.order("d7", "<img src=x onerror=alert(1)> **urgent** [x](javascript:1)")
    cards = cards_of(post(service_url + SIGN, cds_data.call(drafts=(hostile,))))
    details = "\n".join(c.get("detail", "") for c in cards)
    for raw in (r"<img", r"\]\(javascript", r"\*\*urgent"):  # each unescaped
        assert not re.search(r"(?<!\\)" + raw, details), raw
    assert "\\<img" in details  # shown, escaped, not dropped


def _finding_fields() -> set[str]:
    from dataclasses import fields

    from pharmcheck.domain import Finding

    return {f.name for f in fields(Finding)}


_FINDING_FIELDS = _finding_fields()


def test_check_input_and_order_sign_give_the_same_findings(
    service_url: str, tmp_path: Path
) -> None:
    from pharmcheck.domain import Finding, Severity
    from pharmcheck.service.cards import indicator, summary

    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(cds_data.whole_bundle()), encoding="utf-8")
    done = CliRunner().invoke(cli, ["check", "--input", str(bundle), "--format", "json"])
    assert done.exit_code in (0, 1), done.output
    findings = json.loads(done.output)["findings"]
    assert findings, "the patient has known problems (tramadol + sertraline at least)"
    expected = set()
    for f in findings:
        # the JSON's own fields; site overrides (base_severity, site_overrides) are not in play
        own = {k: v for k, v in f.items() if k in _FINDING_FIELDS and k != "base_severity"}
        finding = Finding(
            **{
                **own,
                "severity": Severity.parse(f["severity"]),
                "drugs": tuple(f["drugs"]),
                "references": tuple(f["references"]),
            }
        )
        expected.add((f["code"], summary(finding), indicator(finding)))
    cards = cards_of(post(service_url + SIGN, cds_data.call()))
    found = {
        (c["source"]["topic"]["code"], c["summary"], c["indicator"])
        for c in cards
        if "topic" in c["source"]
    }
    assert found == expected


def test_order_select_shows_the_problems_of_the_selected_order(service_url: str) -> None:
    drafts = (*cds_data.DRAFTS, cds_data.order("d2", "cefepime", 2000, per_day=3, status="draft"))
    body = cds_data.call("order-select", drafts=drafts, selections=("MedicationRequest/d2",))
    cards = cards_of(post(service_url + SELECT, body))
    named = [c for c in cards if "topic" in c["source"]]
    assert named and all("cefepime" in c["summary"] for c in named)
    # Order-sign of the same orders also shows tramadol's problems.
    signed = cards_of(post(service_url + SIGN, cds_data.call(drafts=drafts)))
    assert any("tramadol" in c["summary"] for c in signed)


def test_patient_view_screens_the_active_list(service_url: str) -> None:
    cards = cards_of(post(service_url + VIEW, cds_data.call("patient-view")))
    assert any("sertraline" in c["summary"] for c in cards)
    assert all("tramadol" not in c["summary"] for c in cards)  # no drafts at patient-view


def test_no_medications_no_finding_cards(service_url: str) -> None:
    body = cds_data.call("patient-view", prefetched=cds_data.prefetch(active=(), renal=()))
    cards = cards_of(post(service_url + VIEW, body))
    assert [c for c in cards if "topic" in c["source"]] == []


def test_missing_prefetch_without_fhir_server_is_412(service_url: str) -> None:
    prefetched = cds_data.prefetch()
    del prefetched["medicationRequests"]
    answer = post(service_url + SIGN, cds_data.call(prefetched=prefetched))
    assert answer.status_code == 412
    outcome = answer.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "medicationRequests" in outcome["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"hook": "patient-view", "hookInstance": "x", "context": {"patientId": "p1"}}, "hook"),
        ({"hook": "order-sign", "context": {"patientId": "p1"}}, "hookInstance"),
        (
            {"hook": "order-sign", "hookInstance": "x", "context": {"patientId": "p1"}},
            "draftOrders",
        ),
        ({"hook": "order-sign", "hookInstance": "x", "context": []}, "context"),
        ([1, 2], "object"),
    ],
)
def test_a_bad_call_is_400_with_one_line(service_url: str, body: Any, reason: str) -> None:
    answer = post(service_url + SIGN, body)
    assert answer.status_code == 400
    diagnostics = answer.json()["issue"][0]["diagnostics"]
    assert reason in diagnostics and "\n" not in diagnostics and "Traceback" not in answer.text


def test_unknown_service_is_404(service_url: str) -> None:
    answer = post(f"{service_url}/cds-services/no-such-service", cds_data.call())
    assert answer.status_code == 404


def test_body_size_and_json_depth_are_limited(service_url: str) -> None:
    from pharmcheck.service.settings import MAX_BODY_BYTES, MAX_JSON_DEPTH

    big = b'{"hook": "' + b"x" * MAX_BODY_BYTES + b'"}'
    answer = httpx.post(
        service_url + SIGN, content=big, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413
    deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    answer = httpx.post(service_url + SIGN, content=deep.encode())
    assert answer.status_code == 400 and "deeper" in answer.text
    very_deep = "[" * 100_000 + "]" * 100_000  # deeper than Python's recursion limit
    answer = httpx.post(service_url + SIGN, content=very_deep.encode())
    assert answer.status_code == 400
    answer = httpx.post(service_url + SIGN, content=b"{not json")
    assert answer.status_code == 400 and "Traceback" not in answer.text


def test_every_rule_a_card_links_to_is_served(service_url: str) -> None:
    from pharmcheck.rules import REGISTRY

    cards = cards_of(post(service_url + SIGN, cds_data.call()))
    for url in {c["source"]["url"] for c in cards}:
        page = httpx.get(url)
        assert page.status_code == 200 and "<h1>" in page.text
    page = httpx.get(f"{service_url}/rules/PC201").text
    assert REGISTRY["PC201"].doc.why[:40].replace("'", "&#x27;") in page
    assert httpx.get(f"{service_url}/rules/PC999").status_code == 404


# The EHR's FHIR server, for the prefetch fallback: outside the product, so a small mock.
class _FhirServer(BaseHTTPRequestHandler):
    resources: ClassVar[dict[str, Any]] = {}
    seen_tokens: ClassVar[list[str]] = []
    failing: ClassVar[set[str]] = set()

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        kind = (
            parts.path.rsplit("/", 2)[-2:]
            if "?" not in self.path
            else [parts.path.rsplit("/", 1)[-1]]
        )
        self.seen_tokens.append(self.headers.get("Authorization", ""))
        name = kind[0]
        if name in self.failing:
            self._send(500, {"resourceType": "OperationOutcome"})
        elif len(kind) == 2 and name == "Patient":
            found = self.resources.get(f"Patient/{kind[1]}")
            self._send(200 if found else 404, found or {"resourceType": "OperationOutcome"})
        else:
            self._search(name, parse_qs(parts.query))

    def _search(self, name: str, query: dict[str, list[str]]) -> None:
        found = [r for key, r in self.resources.items() if key.startswith(name + "/")]
        if name == "Observation":
            wanted = {c.split("|")[-1] for c in query.get("code", [""])[0].split(",")}
            found = [r for r in found if r["code"]["coding"][0]["code"] in wanted]
        page = int(query.get("page", ["0"])[0])
        bundle: dict[str, Any] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in found[page : page + 1]],  # one per page
        }
        if page + 1 < len(found):
            port = cast(ThreadingHTTPServer, self.server).server_address[1]  # see fhir_server
            base = f"http://127.0.0.1:{port}/fhir/{name}"
            bundle["link"] = [{"relation": "next", "url": f"{base}?page={page + 1}"}]
        self._send(200, bundle)

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fhir_server() -> Iterator[tuple[str, type[_FhirServer]]]:
    class Handler(_FhirServer):  # its own resources, tokens and failures
        resources: ClassVar[dict[str, Any]] = {}
        seen_tokens: ClassVar[list[str]] = []
        failing: ClassVar[set[str]] = set()

    handler = Handler
    for resource in (cds_data.PATIENT, *cds_data.ACTIVE, cds_data.CRCL):
        handler.resources[f"{resource['resourceType']}/{resource['id']}"] = resource
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/fhir", handler
    server.shutdown()
    server.server_close()


def fetching_call(fhir_url: str, **overrides: Any) -> dict[str, Any]:
    body = cds_data.call(prefetched={})
    body["fhirServer"] = fhir_url
    body["fhirAuthorization"] = {
        "access_token": "ehr-token-123",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "pharmcheck",
    }
    return {**body, **overrides}


def test_missing_prefetch_is_fetched_from_the_fhir_server(
    service_url: str, fhir_server: tuple[str, type[_FhirServer]]
) -> None:
    url, handler = fhir_server
    fetched = cards_of(post(service_url + SIGN, fetching_call(url)))
    prefetched = cards_of(post(service_url + SIGN, cds_data.call()))
    assert {c["summary"] for c in fetched} == {c["summary"] for c in prefetched}
    assert handler.seen_tokens and set(handler.seen_tokens) == {"Bearer ehr-token-123"}
    # Both active orders came back on two pages; the second page was followed.
    assert any("sertraline" in c["summary"] for c in fetched)
    assert any("gabapentin" in c["summary"] for c in fetched)


def test_a_context_fetch_that_fails_is_said_on_a_card(
    service_url: str, fhir_server: tuple[str, type[_FhirServer]]
) -> None:
    url, handler = fhir_server
    handler.failing.add("Condition")
    cards = cards_of(post(service_url + SIGN, fetching_call(url)))
    (gap,) = [c for c in cards if c["summary"].startswith("Checked without")]
    assert "active conditions" in gap["detail"] and gap["indicator"] == "info"


def test_an_essential_fetch_that_fails_is_412(
    service_url: str, fhir_server: tuple[str, type[_FhirServer]]
) -> None:
    url, handler = fhir_server
    handler.failing.add("MedicationRequest")
    answer = post(service_url + SIGN, fetching_call(url))
    assert answer.status_code == 412


def test_a_prefetched_list_with_a_next_page_is_completed(
    service_url: str, fhir_server: tuple[str, type[_FhirServer]]
) -> None:
    url, _ = fhir_server
    first_page = cds_data.searchset(cds_data.ACTIVE[0])
    assert first_page is not None
    first_page["link"] = [{"relation": "next", "url": f"{url}/MedicationRequest?page=1"}]
    body = cds_data.call(prefetched={**cds_data.prefetch(), "medicationRequests": first_page})
    answer = post(service_url + SIGN, body)
    assert answer.status_code == 412  # no fhirServer: a partial list is never checked as whole
    body["fhirServer"] = url
    cards = cards_of(post(service_url + SIGN, body))
    assert any("gabapentin" in c["summary"] for c in cards)  # on the second page only
    first_page["link"] = [{"relation": "next", "url": "https://elsewhere.example/fhir/x?page=1"}]
    assert post(service_url + SIGN, body).status_code == 412  # the token goes nowhere else


def test_feedback_is_stored_and_reported(service_url: str, service_kb_url: str) -> None:
    cards = cards_of(post(service_url + SIGN, cds_data.call(instance="feedback-test-1")))
    card = rule_cards(cards, "PC201")[0]
    feedback = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {
                    "reason": card["overrideReasons"][0],
                    "userComment": "patient stable on this for years",
                },
                "outcomeTimestamp": "2026-12-02T10:00:00Z",
            }
        ]
    }
    answer = post(service_url + SIGN + "/feedback", feedback)
    assert answer.status_code == 200 and answer.json() == {"stored": 1}
    done = CliRunner().invoke(cli, ["feedback", "--format", "json", "--db", service_kb_url])
    assert done.exit_code == 0, done.output
    stored = [f for f in json.loads(done.output) if f["card_id"] == card["uuid"]]
    assert len(stored) == 1
    assert stored[0]["rule_code"] == "PC201" and stored[0]["outcome"] == "overridden"
    assert stored[0]["override_reason"]["code"] == card["overrideReasons"][0]["code"]
    text = CliRunner().invoke(cli, ["feedback", "--since", "2020-01-01", "--db", service_kb_url])
    assert "PC201" in text.output and "overridden" in text.output
    bad = post(
        service_url + SIGN + "/feedback", {"feedback": [{"card": "x", "outcome": "ignored"}]}
    )
    assert bad.status_code == 400


def test_serve_on_a_public_address_refuses_unauthenticated() -> None:
    done = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--allow-unauthenticated"])
    assert done.exit_code == 2 and "loopback" in done.output
    done = CliRunner().invoke(cli, ["serve"])
    assert done.exit_code == 2 and "--trusted-issuers" in done.output
    missing = "sqlite:////nonexistent/kb.sqlite"
    done = CliRunner().invoke(cli, ["serve", "--allow-unauthenticated", "--db", missing])
    assert done.exit_code == 2 and "no knowledge base" in done.output


@pytest.mark.slow
def test_pharmcheck_serve_answers_and_warns_when_unauthenticated(kb_url: str) -> None:
    import os
    import socket
    import subprocess
    import sys
    import time

    from tests.conftest import REPO

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "pharmcheck", "serve", "--allow-unauthenticated"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    server = subprocess.Popen(
        [*command, "--port", str(port), "--db", kb_url],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "the service exited"
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/cds-services", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the service did not start in 60 s"
                time.sleep(0.1)
        assert answer.status_code == 200 and len(answer.json()["services"]) == 3
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=20)
    assert "warning: --allow-unauthenticated" in stderr.decode()
