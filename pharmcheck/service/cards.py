"""CDS Hooks cards from a pharmcheck report: one card per clinical problem.

- A finding (one rule, one set of drugs) is one card. Its ``indicator`` follows its severity
  (:func:`indicator`): ``critical`` only for a contraindication, or a major problem whose
  evidence is high or moderate; ``warning`` for any other major or moderate problem; ``info``
  for minor and informational ones. Some EHRs show ``critical`` as a pop-up, so it is kept rare.
- A medication or condition that could not be checked is an ``info`` card of its own: "not
  checked" must never look like "nothing found".
- Data the EHR could not give (a failed fetch) and notes on how the input was read are one
  ``info`` card each.

Every card names its source (pharmcheck, its KB version, and a link to the rule's page on this
service). The detail is Markdown in which every text that comes from the input is escaped.
A card never holds null, an empty string, an empty list or an empty object.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pharmcheck.domain import Finding, Report, Severity, Unrecognized
from pharmcheck.report.escape import markdown as md
from pharmcheck.report.escape import visible
from pharmcheck.service.screening import DraftOrder

MAX_SUMMARY = 139  # the spec: "<140-character summary"
RULE_SYSTEM = "urn:pharmcheck:rule"  # source.topic system: pharmcheck rule codes
OVERRIDE_SYSTEM = "http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes"
#: Override reasons offered on every finding card: codes and displays of the HL7 CDS Hooks
#: non-adherence reason code system (HL7/cds-hooks CodeSystem-non-adherence-reason-codes.json).
OVERRIDE_REASONS = (
    ("risk-benefit-ratio", "Recipient assessment of risk/benefit ratio"),
    ("mitigate-risk-negative-outcome", "Action taken to mitigate risk of negative outcome"),
    (
        "action-performed-no-adverse-effect",
        "Intended action was performed previously without adverse effect",
    ),
    ("patient-ineligible", "Patient does not meet eligibility for recommended action"),
    (
        "need-more-info",
        (
            "Could not address recommended action due to need for more information/pending "
            "results/pending consult"
        ),
    ),
)
_OVERRIDE_CODINGS = [
    {"system": OVERRIDE_SYSTEM, "code": code, "display": display}
    for code, display in OVERRIDE_REASONS
]  # shared by every card: only ever serialised, never changed
_CARD_NAMESPACE = uuid.UUID("5b0c2a8e-7c1f-4f7e-9a53-2f1f3c9a4d10")


def indicator(finding: Finding) -> str:
    """The card indicator for a finding: contraindicated, and major with high or moderate
    evidence, are critical; other major and moderate are warning; minor and info are info."""
    if finding.severity == Severity.CONTRAINDICATED:
        return "critical"
    if finding.severity == Severity.MAJOR:
        return "critical" if finding.evidence in ("high", "moderate") else "warning"
    return "warning" if finding.severity == Severity.MODERATE else "info"


@dataclass(frozen=True)
class CardContext:
    """What every card of one answer shares."""

    hook_instance: str
    base_url: str  # where this service's rule pages are
    pharmcheck_version: str
    kb_version: str


@dataclass(frozen=True)
class Card:
    """One card and the rule it reports (kept to read feedback against)."""

    body: dict[str, Any]
    rule_code: str | None

    @property
    def uuid(self) -> str:
        return str(self.body["uuid"])


def build_cards(
    report: Report,
    context: CardContext,
    drafts: tuple[DraftOrder, ...] = (),
    gaps: tuple[str, ...] = (),
    only_drugs: frozenset[str] | None = None,
) -> list[Card]:
    """The cards for ``report``, most urgent first. ``only_drugs`` keeps the problems that
    involve one of these drugs (order-select: the selected orders)."""
    findings = [
        f for f in report.findings if only_drugs is None or only_drugs.intersection(f.drugs)
    ]
    cards = [_finding_card(f, context, drafts) for f in findings]
    cards += [_not_checked_card(u, context) for u in report.unrecognized]
    if gaps:
        cards.append(_gaps_card(gaps, context))
    if report.notes:
        cards.append(_notes_card(report.notes, context))
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(cards, key=lambda c: order[c.body["indicator"]])


def _finding_card(finding: Finding, context: CardContext, drafts: tuple[DraftOrder, ...]) -> Card:
    body: dict[str, Any] = {
        "uuid": _uuid(context, finding.code, finding.drugs, finding.message),
        "summary": summary(finding),
        "indicator": indicator(finding),
        "detail": _detail(finding, context.base_url),
        "source": _source(context, finding.code, finding.name),
        "overrideReasons": _OVERRIDE_CODINGS,
    }
    removals = [d for d in drafts if d.selected and d.drugs.intersection(finding.drugs)]
    if removals:
        body["suggestions"] = [_removal(d, context) for d in removals]
        body["selectionBehavior"] = "at-most-one"
    return Card(body, finding.code)


@lru_cache(maxsize=20_000)  # the same problems recur from call to call (order-select, then sign)
def _detail(finding: Finding, base_url: str) -> str:
    """The card's Markdown: severity, rule, reasoning, recommendation and references."""
    detail = [
        (
            f"**{finding.severity.label.capitalize()}** problem found by rule "
            f"[{finding.code} {finding.name}]({base_url}/rules/{finding.code}); "
            f"evidence {finding.evidence}."
        ),
        "",
        md(finding.message),
        "",
        f"**Recommendation:** {md(finding.recommendation)}",
    ]
    if finding.references:
        detail += ["", "**References:**", *(f"- {md(r)}" for r in finding.references)]
    return "\n".join(detail)


@lru_cache(maxsize=20_000)
def summary(finding: Finding) -> str:
    """One sentence under 140 characters, drugs first."""
    title = visible(finding.title)
    named = all(d.lower() in title.lower() for d in finding.drugs)
    text = title if named or not finding.drugs else f"{' + '.join(finding.drugs)}: {title}"
    return shorten(text)


def shorten(text: str) -> str:
    """``text`` cut at a word to at most :data:`MAX_SUMMARY` characters, marked with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= MAX_SUMMARY:
        return text
    cut = text[: MAX_SUMMARY - 1].rsplit(" ", 1)[0].rstrip(" ,;:+")
    return f"{cut}…"


def _removal(draft: DraftOrder, context: CardContext) -> dict[str, Any]:
    label = shorten(f"Remove the draft order: {visible(draft.label)}")
    return {
        "label": label,
        "uuid": str(
            uuid.uuid5(_CARD_NAMESPACE, f"{context.hook_instance}|remove|{draft.reference}")
        ),
        "actions": [
            {
                "type": "delete",
                "description": f"Delete the draft order {draft.reference}",
                "resourceId": draft.reference,
            }
        ],
    }


def _not_checked_card(item: Unrecognized, context: CardContext) -> Card:
    what = "condition" if item.kind == "condition" else "medication"
    detail = [
        f"The {what} **{md(item.input)}** was **not checked**: {md(item.reason)}.",
        "",
        (
            "No rule has seen it, so problems it takes part in are unknown. "
            "Check it by hand or record it by another name or code."
        ),
    ]
    if item.suggestions:
        detail += ["", f"Did you mean: {md(', '.join(item.suggestions))}?"]
    body = {
        "uuid": _uuid(context, "not-checked", (item.kind, item.input), item.reason),
        "summary": shorten(f"Not checked ({what}): {visible(item.input)}"),
        "indicator": "info",
        "detail": "\n".join(detail),
        "source": _source(context, None, None),
    }
    return Card(body, None)


def _gaps_card(gaps: tuple[str, ...], context: CardContext) -> Card:
    body = {
        "uuid": _uuid(context, "data-unavailable", gaps, ""),
        "summary": "Checked without some of the patient's data: the EHR could not supply it",
        "indicator": "info",
        "detail": "\n".join(
            [
                "The check ran without:",
                "",
                *(f"- {md(g)}" for g in gaps),
                "",
                (
                    "Rules that need these data report them as unknown; problems they would "
                    "show may be missing."
                ),
            ]
        ),
        "source": _source(context, None, None),
    }
    return Card(body, None)


def _notes_card(notes: tuple[str, ...], context: CardContext) -> Card:
    body = {
        "uuid": _uuid(context, "notes", notes, ""),
        "summary": "How pharmcheck read this patient's orders and data",
        "indicator": "info",
        "detail": "\n".join(f"- {md(n)}" for n in notes),
        "source": _source(context, None, None),
    }
    return Card(body, None)


def _source(context: CardContext, code: str | None, name: str | None) -> dict[str, Any]:
    source: dict[str, Any] = {
        "label": f"pharmcheck {context.pharmcheck_version}, knowledge base {context.kb_version}",
        "url": f"{context.base_url}/rules/{code}" if code else f"{context.base_url}/rules",
    }
    if code and name:
        source["topic"] = {"system": RULE_SYSTEM, "code": code, "display": name}
    return source


def _uuid(context: CardContext, kind: str, parts: tuple[str, ...], text: str) -> str:
    key = "|".join([context.hook_instance, kind, *parts, text])
    return str(uuid.uuid5(_CARD_NAMESPACE, key))
