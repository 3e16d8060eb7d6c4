"""Site overrides: a site's local tuning of what the rules report, and the one place it is applied.

An override suppresses a rule's findings, sets their severity, or adds a local note; it names a
rule and optionally a drug, a pair of drugs or a class, and applies site-wide or to one named
unit. Each needs a reason and an author; the time and KB version are recorded, and every change
is an audit row (see :mod:`pharmcheck.kb.site`). The never-suppress list (db/never_suppress)
names findings no override may hide or lower: adding such an override is refused with the
list's reason, and one that would act on such a finding anyway is shown as not applied.

A suppressed finding is never dropped: reports show it apart, with who, when and why.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pharmcheck.domain import Finding, Severity, SiteAction
from pharmcheck.errors import InputError
from pharmcheck.kb import site
from pharmcheck.kb.store import Fact, KnowledgeBase, NeverSuppressEntry
from pharmcheck.names import lower_key

ACTIONS = ("suppress", "severity", "note")
_DERIVED = {"id", "max_daily_mg", "scope_population", "fraction_of_usual"}


@dataclass(frozen=True)
class Override:
    """One stored site override."""

    id: int
    action: str
    rule_code: str | None
    drug: str | None
    other_drug: str | None
    drug_class: str | None
    unit: str | None
    severity: str | None
    note: str | None
    reason: str
    author: str
    state: str
    revision: int
    kb_version: str
    fact_digest: str
    created_at: str
    changed_at: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> Override:
        return cls(**{k: row[k] for k in site.OVERRIDE_COLUMNS})

    @property
    def subject(self) -> str:
        """What it is about: ``PC201 for linezolid + sertraline in unit ICU``."""
        rule = self.rule_code or "every rule"
        about = (
            f" for {self.drug} + {self.other_drug}"
            if self.other_drug
            else f" for {self.drug}"
            if self.drug
            else f" for class {self.drug_class}"
            if self.drug_class
            else ""
        )
        return f"{rule}{about} ({'unit ' + self.unit if self.unit else 'site-wide'})"

    def describe(self) -> str:
        what = {
            "suppress": "suppress",
            "severity": f"severity -> {self.severity}",
            "note": f"note: {self.note}",
        }[self.action]
        return f"#{self.id} r{self.revision} [{self.state}] {what}: {self.subject}"

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in site.OVERRIDE_COLUMNS}

    def action_on(self, finding: Finding) -> SiteAction:
        return SiteAction(
            override_id=self.id,
            action=self.action,
            reason=self.reason,
            author=self.author,
            at=self.changed_at,
            unit=self.unit,
            severity=Severity.parse(self.severity) if self.severity else None,
            note=self.note,
        )


# --- adding and changing -------------------------------------------------------------------


def add_override(
    kb: KnowledgeBase,
    *,
    action: str,
    reason: str,
    author: str,
    rule_code: str | None = None,
    drug: str | None = None,
    other_drug: str | None = None,
    drug_class: str | None = None,
    unit: str | None = None,
    severity: str | Severity | None = None,
    note: str | None = None,
) -> Override:
    """Validate and store a new override on the KB ``kb`` (its database holds the site tables)."""
    if action not in ACTIONS:
        raise InputError(f"override action {action!r} is not one of {', '.join(ACTIONS)}")
    values: dict[str, Any] = {
        "action": action,
        "rule_code": _rule_code(rule_code),
        "drug": _drug(kb, drug, "drug"),
        "other_drug": _drug(kb, other_drug, "other drug"),
        "drug_class": _drug_class(kb, drug_class),
        "unit": _text(unit, "unit"),
        "severity": _severity(severity),
        "note": _text(note, "note", limit=None),
        "reason": _needed(reason, "a reason", limit=None),
        "author": _needed(author, "an author"),
        "kb_version": kb.version,
    }
    _check_shape(values)
    _refuse_never_suppressed(kb, values)
    values["fact_digest"] = fact_digest(kb, values)
    return Override.of(site.insert_override(kb.url, values))


def change_override(
    kb: KnowledgeBase,
    override_id: int,
    *,
    reason: str,
    author: str,
    severity: str | Severity | None = None,
    note: str | None = None,
    expected_revision: int | None = None,
) -> Override:
    """Change an override's severity or note (or neither: confirm it against this KB after a
    rebuild flagged it); the KB version and fact digest are renewed."""
    reason = _needed(reason, "a reason", limit=None)
    author = _needed(author, "an author")
    new_severity, new_note = _severity(severity), _text(note, "note", limit=None)

    def make(before: dict[str, Any]) -> dict[str, Any]:
        changed = {
            **before,
            "severity": new_severity or before["severity"],
            "note": new_note or before["note"],
        }
        if new_severity and before["action"] != "severity":
            raise InputError(
                f"override #{override_id} is a {before['action']}, it sets no severity"
            )
        if new_note and before["action"] != "note":
            raise InputError(f"override #{override_id} is a {before['action']}, it has no note")
        return {
            "severity": changed["severity"],
            "note": changed["note"],
            "reason": reason,
            "author": author,
            "kb_version": kb.version,
            "fact_digest": fact_digest(kb, changed),
        }

    return Override.of(site.update_override(kb.url, override_id, "change", make, expected_revision))


def retire_override(
    kb: KnowledgeBase,
    override_id: int,
    *,
    reason: str,
    author: str,
    expected_revision: int | None = None,
) -> Override:
    reason = _needed(reason, "a reason", limit=None)
    author = _needed(author, "an author")

    def make(_before: dict[str, Any]) -> dict[str, Any]:
        return {"state": "retired", "reason": reason, "author": author, "kb_version": kb.version}

    return Override.of(site.update_override(kb.url, override_id, "retire", make, expected_revision))


def list_overrides(db_url: str | None, *, include_retired: bool = False) -> list[Override]:
    return [Override.of(r) for r in site.select_overrides(db_url, include_retired=include_retired)]


def history(db_url: str | None, override_id: int | None = None) -> list[dict[str, Any]]:
    """The audit rows (every create, change and retire), oldest first."""
    return site.select_audit(db_url, override_id)


@dataclass(frozen=True)
class ReviewItem:
    """An active override whose underlying facts changed since it was last set or confirmed."""

    override: Override
    now_kb_version: str
    never_suppressed: str | None  # the never-suppress reason, if the list now covers it

    def to_dict(self) -> dict[str, Any]:
        return {
            "override": self.override.to_dict(),
            "set_on_kb_version": self.override.kb_version,
            "now_kb_version": self.now_kb_version,
            "never_suppress": self.never_suppressed,
        }


def review(kb: KnowledgeBase) -> list[ReviewItem]:
    """Every active override whose facts in ``kb`` differ from those it was set on."""
    flagged = []
    for override in list_overrides(kb.url):
        values = override.to_dict()
        blocked = _never_suppress_reason(kb, values)
        if fact_digest(kb, values) != override.fact_digest or blocked:
            flagged.append(ReviewItem(override, kb.version, blocked))
    return flagged


# --- applying --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteRules:
    """The active overrides that apply in one unit (its own and the site-wide ones)."""

    kb: KnowledgeBase
    overrides: tuple[Override, ...]
    unit: str | None

    def apply(self, findings: Iterable[Finding]) -> tuple[list[Finding], list[Finding]]:
        """(findings to report, at their effective severity; findings suppressed), each carrying
        the overrides that acted on it."""
        kept: list[Finding] = []
        suppressed: list[Finding] = []
        for finding in findings:
            changed = self.applied(finding)
            (suppressed if changed.suppressed_by else kept).append(changed)
        return kept, suppressed

    def applied(self, finding: Finding) -> Finding:
        matching = [o for o in self.overrides if _matches(self.kb, o, finding)]
        if not matching:
            return finding
        protected = _protecting_entry(self.kb, finding)
        actions: list[SiteAction] = []
        severity: Severity | None = None
        # Most specific first: a unit's own before site-wide, a pair before a drug, class, rule.
        for override in sorted(matching, key=_specificity):
            action = override.action_on(finding)
            if override.action == "note":
                actions.append(action)
            elif protected is not None:
                actions.append(
                    replace(action, action="refused", note=f"never-suppress: {protected}")
                )
            elif override.action == "suppress" and not any(a.action == "suppress" for a in actions):
                actions.append(action)
            elif override.action == "severity" and severity is None:
                severity = action.severity
                actions.append(action)
        if severity is None or severity == finding.severity:
            return replace(finding, site=tuple(actions))
        return replace(
            finding, severity=severity, base_severity=finding.severity, site=tuple(actions)
        )


def site_rules(
    kb: KnowledgeBase, unit: str | None = None, rows: list[dict[str, Any]] | None = None
) -> SiteRules:
    """The overrides in force now for ``unit``: ``rows`` as just read by
    ``kb.site_override_rows()``, else read from the KB's database here."""
    unit = _text(unit, "unit")
    active = [Override.of(r) for r in (kb.site_override_rows() if rows is None else rows)]
    return SiteRules(kb, tuple(o for o in active if o.unit is None or o.unit == unit), unit)


def _specificity(override: Override) -> tuple[int, int, int]:
    subject = 0 if override.other_drug else 1 if override.drug else 2 if override.drug_class else 3
    return (0 if override.unit else 1, subject, -override.id)


def _matches(kb: KnowledgeBase, override: Override, finding: Finding) -> bool:
    if override.rule_code is not None and override.rule_code != finding.code:
        return False
    drugs = set(finding.drugs)
    if override.drug is not None and override.drug not in drugs:
        return False
    if override.other_drug is not None and override.other_drug not in drugs:
        return False
    return override.drug_class is None or any(
        override.drug_class in _classes_of(kb, d) for d in drugs
    )


# --- never-suppress --------------------------------------------------------------------------


def _classes_of(kb: KnowledgeBase, drug: str) -> set[str]:
    def make() -> set[str]:
        hits = kb.names_by_lower_key(lower_key(drug))
        ids = {h.drug_id for h in hits if h.drug == drug}
        return {m.class_name for d in ids for m in kb.classes_of(d)}

    return kb.memo(("site-classes", drug), make)


def _side_matches(kb: KnowledgeBase, side: str, drug: str) -> bool:
    if side.startswith("class:"):
        return side.removeprefix("class:") in _classes_of(kb, drug)
    return side == drug


def _protecting_entry(kb: KnowledgeBase, finding: Finding) -> str | None:
    """The never-suppress reason covering ``finding``, if any."""
    for entry in kb.never_suppress:
        if entry.rule_code != finding.code:
            continue
        for drug in finding.drugs:
            if not _side_matches(kb, entry.subject, drug):
                continue
            others = [d for d in finding.drugs if d != drug]
            if _other_matches(kb, entry, others):
                return entry.reason
    return None


def _other_matches(kb: KnowledgeBase, entry: NeverSuppressEntry, others: Sequence[str]) -> bool:
    if entry.other is None or entry.other.startswith("condition:"):
        return True  # overrides name no condition: the drug's findings of this rule are all kept
    return any(_side_matches(kb, entry.other, d) for d in others)


def _never_suppress_reason(kb: KnowledgeBase, values: dict[str, Any]) -> str | None:
    """Why an override that hides or lowers findings may not exist, or None."""
    if values["action"] == "note":
        return None
    for entry in kb.never_suppress:
        if values["rule_code"] not in (None, entry.rule_code):
            continue
        if _could_cover(kb, entry, values):
            refs = "; ".join(r.ref_id for r in entry.references)
            about = f"{entry.subject} with {entry.other}" if entry.other else entry.subject
            return (
                f"{entry.rule_code} {about} is on the never-suppress list: {entry.reason} ({refs})"
            )
    return None


def _could_cover(kb: KnowledgeBase, entry: NeverSuppressEntry, values: dict[str, Any]) -> bool:
    """Whether some finding the entry protects could match the override's subject."""
    sides = [entry.subject] + (
        [entry.other] if entry.other and not entry.other.startswith("condition:") else []
    )
    named = [d for d in (values["drug"], values["other_drug"]) if d]
    if not all(any(_side_matches(kb, side, d) for side in sides) for d in named):
        return False
    klass = values["drug_class"]
    if klass is None:
        return True
    return any(side == f"class:{klass}" or klass in _side_classes(kb, side) for side in sides)


def _side_classes(kb: KnowledgeBase, side: str) -> set[str]:
    if side.startswith("class:"):
        members = kb.class_members(side.removeprefix("class:"))
        return {c for d in members for c in _classes_of(kb, kb.drug_name(d))}
    return _classes_of(kb, side)


def _refuse_never_suppressed(kb: KnowledgeBase, values: dict[str, Any]) -> None:
    reason = _never_suppress_reason(kb, values)
    if reason is not None:
        raise InputError(f"refused: {reason}")


# --- the facts an override rests on ----------------------------------------------------------


def fact_digest(kb: KnowledgeBase, values: dict[str, Any]) -> str:
    """A hash of every KB fact about the override's drugs (all facts for a rule-wide one), their
    classes and the never-suppress list, by name: a rebuild that changes any of them changes it."""
    drugs = {d for d in (values["drug"], values["other_drug"]) if d}
    if values["drug_class"]:
        drugs |= {kb.drug_name(d) for d in kb.class_members(values["drug_class"])}
    classes = {c for d in drugs for c in _classes_of(kb, d)} | (
        {values["drug_class"]} if values["drug_class"] else set()
    )
    everything = not drugs
    rows: list[Any] = [values["rule_code"], values["action"]]
    for name, facts in (
        ("risk", kb.risks),
        ("interaction", kb.interactions),
        ("condition", kb.condition_rules),
        ("dose", kb.dose_limits),
        ("renal", kb.renal_bands),
        ("hepatic", kb.hepatic),
        ("treatment", kb.treatments),
        ("property", kb.properties),
    ):
        for fact in facts:
            named = _named(kb, fact)
            if everything or _about(named, drugs, classes):
                rows.append(
                    [name, sorted(named.items()), sorted(r.ref_id for r in fact.references)]
                )
    rows.append(sorted(sorted(c) for c in ([d, *sorted(_classes_of(kb, d))] for d in drugs)))
    rows.append(sorted(json.dumps(e.to_dict(), sort_keys=True) for e in kb.never_suppress))
    text = json.dumps(sorted(json.dumps(r, sort_keys=True, default=str) for r in rows))
    return hashlib.sha256(text.encode()).hexdigest()


def _named(kb: KnowledgeBase, fact: Fact) -> dict[str, Any]:
    """A fact's stored values with its ids replaced by names (ids change between builds)."""
    out: dict[str, Any] = {}
    for key, value in fact.values.items():
        if key in _DERIVED:
            continue
        if value is not None and key.endswith("drug_id"):
            out[key.removesuffix("_id")] = kb.drug_name(int(value))
        elif value is not None and key.endswith("class_id"):
            out[key.removesuffix("_id")] = kb.classes[int(value)][0]
        elif value is not None and key == "condition_id":
            out["condition"] = kb.conditions[int(value)][0]
        elif key != "reference_id":
            out[key] = value
    return out


def _about(named: dict[str, Any], drugs: set[str], classes: set[str]) -> bool:
    return any(
        (key.endswith("drug") and value in drugs) or (key.endswith("class") and value in classes)
        for key, value in named.items()
    )


# --- input checks ----------------------------------------------------------------------------


def _needed(value: object, what: str, limit: int | None = 200) -> str:
    text = _text(value, what, limit)
    if text is None:
        raise InputError(f"an override needs {what} (a non-empty text)")
    return text


def _text(value: object, what: str, limit: int | None = 200) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"{what} must be a text, not {type(value).__name__}")
    value = " ".join(value.split())
    if limit is not None and len(value) > limit:
        raise InputError(f"{what} is longer than {limit} characters")
    return value or None


def _rule_code(code: str | None) -> str | None:
    from pharmcheck.rules import REGISTRY

    code = _text(code, "rule code")
    if code is None:
        return None
    if code.upper() not in REGISTRY:
        raise InputError(f"unknown rule {code!r}; `pharmcheck rules` lists them")
    return code.upper()


def _drug(kb: KnowledgeBase, name: str | None, what: str) -> str | None:
    name = _text(name, what, limit=500)
    if name is None:
        return None
    drugs = {hit.drug for hit in kb.names_by_lower_key(lower_key(name))}
    if len(drugs) != 1:
        problem = "names several drugs" if drugs else "is not a drug the KB knows"
        raise InputError(f"{what} {name!r} {problem}; give its generic name")
    return drugs.pop()


def _drug_class(kb: KnowledgeBase, name: str | None) -> str | None:
    name = _text(name, "class")
    if name is None:
        return None
    name = name.removeprefix("class:").lower()
    if name not in kb.class_ids:
        raise InputError(f"unknown class {name!r}; `pharmcheck drug` shows a drug's classes")
    return name


def _severity(value: str | Severity | None) -> str | None:
    if value is None or isinstance(value, Severity):
        return value.label if value is not None else None
    try:
        return Severity.parse(value).label
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _check_shape(values: dict[str, Any]) -> None:
    action = values["action"]
    if values["other_drug"] and not values["drug"]:
        raise InputError("an override for a pair names both drugs (drug and other drug)")
    if values["drug_class"] and values["drug"]:
        raise InputError("an override names a drug, a pair or a class, not both a drug and a class")
    if action in ("suppress", "severity") and not values["rule_code"]:
        raise InputError(f"a {action} override names the rule it acts on")
    if action == "note" and not (values["rule_code"] or values["drug"]):
        raise InputError("a note override names a rule or a drug")
    if (action == "severity") != (values["severity"] is not None):
        raise InputError("a severity is given with, and only with, a severity override")
    if (action == "note") != (values["note"] is not None):
        raise InputError("a note is given with, and only with, a note override")
