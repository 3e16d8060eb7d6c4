"""The check: resolve a medication list, build the patient context, run the rules, report.

``Checker`` holds an open KB and a name cache, so a caller that checks many
lists (a ward, a batch, a test suite, a service's threads) pays for loading once.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

from pharmcheck._version import __version__
from pharmcheck.domain import (
    Finding,
    Medication,
    Patient,
    Quantity,
    Report,
    ResolvedMedication,
    ScreenedStructure,
    Severity,
    Unrecognized,
)
from pharmcheck.errors import InputError
from pharmcheck.inputs import typecheck
from pharmcheck.inputs.patient import validate_patient
from pharmcheck.inputs.renal import cockcroft_gault
from pharmcheck.inputs.resolve import Resolution, Resolver
from pharmcheck.inputs.sig import (
    ROUTES,
    Sig,
    daily_dose,
    item_breaks,
    item_text,
    normalize_route,
    parse_dose,
    parse_frequency,
    parse_sig,
    stated_maximum,
    weighed,
    word_breaks,
)
from pharmcheck.inputs.status import VOID, status_meaning, status_note
from pharmcheck.kb.store import KnowledgeBase, open_kb
from pharmcheck.names import lower_key
from pharmcheck.rules import Rule, select_rules
from pharmcheck.rules.base import CheckContext

if TYPE_CHECKING:
    from pharmcheck.overrides import SiteRules
    from pharmcheck.structures import StructureMatch

MAX_SINGLE_DOSE_MG = 100_000.0  # 100 g: no real single dose is larger; larger is a typo
_PER_KG = re.compile(r"kg\b", re.IGNORECASE)


@dataclass(frozen=True)
class PatientConditions:
    """A patient's conditions as read: the KB ids, notes on how, and those not recognised."""

    ids: frozenset[int]
    notes: tuple[str, ...]
    unrecognized: tuple[Unrecognized, ...]


@dataclass(frozen=True)
class ResolveRequest:
    """One medication to resolve, at position ``index`` of its list, for a patient of
    ``weight_kg`` (a dose per kg is unknown without it). A structure that matches no KB drug is
    kept for the prediction rules when ``screen_structures``, else reported as not checked."""

    medication: Medication
    index: int = 0
    weight_kg: float | None = None
    screen_structures: bool = True


@dataclass(frozen=True)
class ResolvedItems:
    """What one medication resolved to: its drugs (several for a text naming several, or a
    combination product), what was not recognised, notes, and structures to screen by structure."""

    medications: tuple[ResolvedMedication, ...] = ()
    unrecognized: tuple[Unrecognized, ...] = ()
    notes: tuple[str, ...] = ()
    structures: tuple[StructureMatch, ...] = ()


@dataclass(frozen=True)
class EvaluateRequest:
    """Resolved medications of one patient and the rules to run over them on ``as_of``."""

    patient: Patient
    medications: tuple[ResolvedMedication, ...]
    as_of: date
    rules: tuple[Rule, ...]
    unrecognized: tuple[Unrecognized, ...] = ()
    notes: tuple[str, ...] = ()
    min_severity: Severity = Severity.INFO
    structures: tuple[StructureMatch, ...] = ()  # matching no KB drug: read by PC8xx only
    site: SiteRules | None = None  # site overrides to apply (check passes the unit's)


class Checker:
    """Checks medication lists against one open knowledge base.

    ``check()`` is the API; ``kb``, ``kb_version``, ``schema_revision`` and ``rules`` are
    read-only properties. The batch path uses the steps of a check, each with one typed request:
    ``resolve(ResolveRequest)`` and ``evaluate(EvaluateRequest)`` (plus ``prefetch`` and
    ``conditions_of``).

    Thread safety: one Checker may serve many threads at once (a CDS Hooks service does). Every
    call reads the KB loaded when it was opened; the KB's queries go through one lock, and its
    caches (name resolutions, memoised lookups) are filled under locks and never changed in
    place, so concurrent checks give exactly the reports they give one at a time.
    """

    def __init__(self, kb: KnowledgeBase):
        if not isinstance(kb, KnowledgeBase):
            raise InputError(
                f"Checker needs a KnowledgeBase from open_kb(), not {type(kb).__name__}"
            )
        self._kb = kb
        self._resolver = Resolver(kb)

    @property
    def kb(self) -> KnowledgeBase:
        """The open knowledge base the checks read."""
        return self._kb

    @property
    def kb_version(self) -> str:
        """The KB's version, as every report states it."""
        return self._kb.version

    @property
    def schema_revision(self) -> str:
        """The KB's schema (Alembic) revision, as every report states it."""
        return self._kb.schema_revision

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule a check runs when nothing is selected or ignored, in code order."""
        return tuple(select_rules((), ()))

    def check(
        self,
        medications: Iterable[Medication | str],
        patient: Patient | None = None,
        *,
        as_of: date | None = None,
        select: Sequence[str] = (),
        ignore: Sequence[str] = (),
        min_severity: Severity = Severity.INFO,
        notes: Sequence[str] = (),
        unit: str | None = None,
        hide_suppressed: bool = False,
    ) -> Report:
        """Screen one patient's medication list and return the report. ``notes`` are the
        caller's own notes on how the input was read (a FHIR Bundle's), reported first.

        The site overrides in force for ``unit`` (and site-wide) apply; findings they suppress
        come back in ``Report.suppressed`` (a count only in reports with ``hide_suppressed``)."""
        as_of = typecheck.check_as_of(as_of) or date.today()
        patient = validate_patient(patient)
        min_severity = typecheck.check_severity(min_severity, "min_severity")
        try:
            rules = select_rules(
                typecheck.check_selectors(select, "select"),
                typecheck.check_selectors(ignore, "ignore"),
            )
        except ValueError as exc:
            raise InputError(str(exc)) from None
        meds = typecheck.medication_list(medications)
        site = _site_rules(self._kb, unit)
        resolved: list[ResolvedMedication] = []
        unrecognized: list[Unrecognized] = []
        notes = list(typecheck.check_selectors(notes, "notes"))
        structures: list[StructureMatch] = []
        for index, given in enumerate(meds):
            med = typecheck.check_medication(given, index + 1)
            validate_medication(med, as_of, index + 1)
            if med.stop is not None and med.stop > as_of and status_meaning(med.status) != VOID:
                # A planned end (as a FHIR Bundle's period end is read): given on the check date.
                notes.append(still_given_note(med.name, med.stop, as_of))
                med = replace(med, stop=None)
            found = self._resolve(med, index, patient.weight_kg, screen_structures=True)
            resolved.extend(found.medications)
            unrecognized.extend(found.unrecognized)
            # A void medication is listed, but feeds no rule: its only note is that it was not
            # screened, and its structure is not screened either.
            if status_meaning(med.status) != VOID:
                notes.extend(found.notes)
                structures.extend(found.structures)
            status = status_note(med.name, med.status)
            notes.extend([status] if status else [])
        report = self._evaluate(
            EvaluateRequest(
                patient,
                tuple(resolved),
                as_of,
                tuple(rules),
                tuple(unrecognized),
                tuple(notes),
                min_severity,
                tuple(structures),
                site,
            )
        )
        return replace(report, suppressed_hidden=hide_suppressed)

    def evaluate(self, request: EvaluateRequest) -> Report:
        """Run the rules over already-resolved medications (the batch path's second step)."""
        if not isinstance(request, EvaluateRequest):
            raise InputError(f"evaluate needs an EvaluateRequest, not {type(request).__name__}")
        return self._evaluate(request)

    def _evaluate(self, request: EvaluateRequest) -> Report:
        conditions = self.conditions_of(request.patient)
        ctx = CheckContext(
            self._kb,
            request.patient,
            request.medications,
            request.as_of,
            conditions.ids,
            structures=request.structures,
        )
        everything = self._run(request.rules, ctx)
        suppressed: list[Finding] = []
        site = request.site
        if site is not None and site.overrides:
            # Before min_severity splits them: it compares effective severities.
            kept, suppressed = site.apply(everything)
            everything = tuple(sorted(kept, key=Finding.sort_key))
        return Report(
            pharmcheck_version=__version__,
            kb_version=self._kb.version,
            schema_revision=self._kb.schema_revision,
            as_of=request.as_of,
            patient=request.patient,
            medications=request.medications,
            unrecognized=(*request.unrecognized, *conditions.unrecognized),
            findings=tuple(f for f in everything if f.severity >= request.min_severity),
            notes=(*request.notes, *_renal_note(request.patient), *conditions.notes),
            structures=tuple(_screened(m) for m in request.structures),
            hidden=tuple(f for f in everything if f.severity < request.min_severity),
            suppressed=tuple(suppressed),
            unit=site.unit if site is not None else None,
        )

    def _run(self, rules: Sequence[Rule], ctx: CheckContext) -> tuple[Finding, ...]:
        findings = []
        for rule in rules:
            for finding in rule.check(ctx):
                cited = self._cite(finding.references)
                if cited != finding.references:
                    finding = replace(finding, references=cited)
                findings.append(finding)
        return tuple(sorted(findings, key=Finding.sort_key))

    def _cite(self, references: tuple[str, ...]) -> tuple[str, ...]:
        """Bare reference keys (``"CDC22"``) become full citations; memoised per KB."""
        return self._kb.memo(("cite", references), self._cited, references)

    def _cited(self, references: tuple[str, ...]) -> tuple[str, ...]:
        by_key = self._kb.reference_by_key
        return tuple(dict.fromkeys(by_key[r].cite() if r in by_key else r for r in references))

    def resolve(self, request: ResolveRequest) -> ResolvedItems:
        """One medication: its resolved drugs, or why it was not recognised, plus notes (the
        batch path's first step).

        A name that holds a second drug after a comma, "and", "+", "&", ";" or a new line
        ("sertraline 100 mg, tramadol 50 mg qid") is read as one medication per drug, each
        with only its own dose and frequency; text there that names no known drug is reported
        as not checked.

        A medication with a ``smiles`` field, or whose name is a SMILES that is not a drug
        name, is matched by structure (RDKit is imported only then): an exact InChIKey match
        on the standardised parent resolves it with match kind ``structure`` (so a salt
        resolves to its drug); any other structure is screened by structure or reported as not
        checked, as the request says.
        """
        if not isinstance(request, ResolveRequest):
            raise InputError(f"resolve needs a ResolveRequest, not {type(request).__name__}")
        return self._resolve(
            request.medication, request.index, request.weight_kg, request.screen_structures
        )

    def _resolve(
        self, med: Medication, index: int, weight_kg: float | None, screen_structures: bool
    ) -> ResolvedItems:
        if med.smiles:
            from pharmcheck.structures import match_structure

            found = match_structure(self._kb, med.smiles)
            if not found.ok:
                raise InputError(
                    f"medication {index + 1} ({med.name!r:.60}): the structure {med.smiles!r:.80} "
                    f"cannot be read ({found.error})"
                )
            return self._by_structure(med, index, found, screen_structures, weight_kg)
        items = _items(med.name)
        if len(items) == 1:
            items = self._named_items(med.name) or items
        if len(items) > 1:
            split = self._each_item(med, items, index, screen_structures, weight_kg)
            # Split only when an item is a drug known by name; else the text is read whole, as one
            # unrecognised item or one structure.
            if any(m.match != "structure" for m in split.medications):
                return split
        result = self._resolve_name(med, index, weight_kg)
        if not result.medications or result.medications[0].match == "fuzzy":
            from pharmcheck.smiles_text import looks_like_smiles

            if looks_like_smiles(med.name):
                from pharmcheck.structures import match_structure

                found = match_structure(self._kb, med.name.strip())
                if found.ok:
                    return self._by_structure(med, index, found, screen_structures, weight_kg)
        return result

    def _named_items(self, text: str) -> tuple[tuple[str, str], ...] | None:
        """The text as two items where a drug known by name follows a dose with no separator
        ("gabapentin 300 mg tds clonazepam 0.5 mg bd"): read as one, that drug went unchecked
        and its dose was added to the first. The second item is split again in its turn."""
        cleaned = item_text(text)
        for position in word_breaks(cleaned, parse_sig(cleaned).name):
            rest = cleaned[position:]
            found = self._resolver.resolve(parse_sig(rest).name)
            if found.resolved and found.match != "fuzzy":
                return (("", cleaned[:position].rstrip(" /|")), ("", rest))
        return None

    def _each_item(
        self,
        med: Medication,
        items: tuple[tuple[str, str], ...],
        index: int,
        screen_structures: bool,
        weight_kg: float | None,
    ) -> ResolvedItems:
        """Each item of a text that names several drugs, resolved on its own."""
        found: list[ResolvedMedication] = []
        missing: list[Unrecognized] = []
        structures: list[StructureMatch] = []
        whole = (
            f"'{med.name}' names {len(items)} items: each is read on its own, with only its own "
            "dose and frequency"
        )
        notes = [whole]
        given = bool(med.dose or med.frequency)
        if given:
            notes.append(
                f"'{med.name}': the dose and frequency fields are not attributed to any one of its "
                "items"
            )
        for position, (separator, text) in enumerate(items):
            item = replace(
                med,
                name=text,
                dose=None,
                frequency=None,
                concentration=None,
                history=med.history if position == 0 and not given else (),
            )
            result = self._resolve(item, index, weight_kg, screen_structures)
            found.extend(result.medications)
            notes.extend(result.notes)
            structures.extend(result.structures)
            for unread in result.unrecognized:
                reason = (
                    unread.reason
                    if position == 0
                    else f"text after '{separator}' in '{med.name}' is not read as part of the "
                    f"dose before it and {unread.reason}: not checked"
                )
                missing.append(Unrecognized(unread.input, unread.suggestions, reason))
        return ResolvedItems(tuple(found), tuple(missing), tuple(notes), tuple(structures))

    def _by_structure(
        self,
        med: Medication,
        index: int,
        found: StructureMatch,
        screen_structures: bool,
        weight_kg: float | None,
    ) -> ResolvedItems:
        if found.drug_id is not None and found.drug is not None:
            sig = Sig(name=med.name) if not med.smiles else parse_sig(med.name)
            resolution = Resolution(((found.drug_id, found.drug),), "structure", 1.0)
            out = self._medications(med, sig, resolution, index, weight_kg)
            if found.fragments > 1:
                standardised = (
                    f"'{med.name}': structure standardised to its parent {found.drug} "
                    "(counter-ions and solvent removed)"
                )
                return replace(out, notes=(*out.notes, standardised))
            return out
        if not screen_structures:
            reason = (
                "structure matches no drug in the knowledge base "
                "(structure-based screening is not available here)"
            )
            return ResolvedItems(unrecognized=(Unrecognized(med.name, (), reason),))
        note = (
            f"'{med.name}': structure matches no drug in the knowledge base; screened by "
            "structure only (predicted findings, PC8xx)"
        )
        return ResolvedItems(notes=(note,), structures=(replace(found, input=med.name),))

    def prefetch(self, names: Iterable[str]) -> None:
        """Prepare the fuzzy lookups that resolving these names will make, all at once, in the
        order :meth:`_resolve_name` tries them (the sig's drug name, then the whole text)."""
        drug_names = {name: parse_sig(name).name for name in names}
        self._resolver.prefetch(d for d in drug_names.values() if d)
        self._resolver.prefetch(
            name
            for name, d in drug_names.items()
            if _whole_text_too(name, d, self._resolver.resolve(d) if d else None)
        )

    def _resolve_name(self, med: Medication, index: int, weight_kg: float | None) -> ResolvedItems:
        sig, resolution = self._kb.memo(("read-name", med.name), self._read_name, med.name)
        if not resolution.resolved:
            unread = Unrecognized(med.name, resolution.suggestions, resolution.reason)
            return ResolvedItems(unrecognized=(unread,))
        return self._medications(med, sig, resolution, index, weight_kg)

    def _read_name(self, text: str) -> tuple[Sig, Resolution]:
        """The sig a medication text states and what its drug name resolves to; the whole
        text's resolution (and no sig) when the name's fails and the whole text's does not."""
        sig = parse_sig(text)
        resolution = self._resolver.resolve(sig.name) if sig.name else None
        if _whole_text_too(text, sig.name, resolution):
            whole = self._resolver.resolve(text)
            if whole.resolved or resolution is None:
                resolution, sig = whole, Sig(name=text)
        assert resolution is not None
        return sig, resolution

    def _medications(
        self, med: Medication, sig: Sig, resolution: Resolution, index: int, weight_kg: float | None
    ) -> ResolvedItems:
        notes = []
        dose, assumed = (
            parse_dose(med.dose, med.concentration) if med.dose else (sig.dose, sig.unit_assumed)
        )
        if med.dose and dose is None:
            raise InputError(
                f"medication {index + 1} ({med.name!r}): cannot read the dose {med.dose!r}"
            )
        if dose is not None and dose.unit == "mg" and dose.value > MAX_SINGLE_DOSE_MG:
            raise InputError(f"medication {index + 1} ({med.name!r}): dose {dose} is not plausible")
        frequency = parse_frequency(med.frequency) if med.frequency else sig.frequency
        if med.frequency and frequency is None:
            raise InputError(
                f"medication {index + 1} ({med.name!r}): unknown frequency {med.frequency!r}"
            )
        route = normalize_route(med.route) if med.route else sig.route
        if route is not None and route not in ROUTES:
            raise InputError(
                f"medication {index + 1} ({med.name!r}): unknown route {med.route!r:.40}; use one "
                f"of: {', '.join(sorted(ROUTES))}"
            )
        if assumed:
            notes.append(f"'{med.name}': dose {dose} read as mg (no unit given)")
        if sig.note:
            notes.append(f"'{med.name}': {sig.note}")
        combination = (
            tuple(name for _, name in resolution.drugs) if len(resolution.drugs) > 1 else ()
        )
        total_note: str | None
        if combination:
            total, total_note = None, "combination product: dose per ingredient not known"
        elif med.dose or med.frequency:
            # a maximum written in the frequency field ("q4h prn max 100 mg/day") caps it too
            cap, cap_doses, unread = stated_maximum(med.frequency or "")
            cap, cap_doses = (
                (cap, cap_doses) if cap or cap_doses else (sig.prn_max, sig.prn_max_doses)
            )
            total, total_note = weighed(
                *daily_dose(dose, frequency, cap, cap_doses), weight_kg, cap
            )
            if unread:
                total, total_note = None, unread
        else:
            total, total_note = weighed(sig.daily, sig.daily_note, weight_kg, sig.prn_max)
        dose = _per_administration(dose, weight_kg)
        prn = sig.prn or bool(frequency and frequency.prn)
        out = tuple(
            ResolvedMedication(
                input=med.name,
                drug=drug,
                drug_id=drug_id,
                match=resolution.match,
                score=resolution.score,
                dose=None if combination else dose,
                frequency=frequency.label if frequency else None,
                daily_dose=total,
                daily_dose_note=total_note,
                route=route,
                prn=prn,
                start=med.start,
                stop=med.stop,
                status=(med.status or None) and med.status.lower(),
                history=med.history,
                combination=combination,
                index=index,
                indication=(med.indication or "").strip() or None,
            )
            for drug_id, drug in resolution.drugs
        )
        return ResolvedItems(medications=out, notes=tuple(notes))

    def conditions_of(self, patient: Patient) -> PatientConditions:
        """The KB ids of the patient's conditions, a note for each read fuzzily or by code, and
        each one not recognised (reported as not checked, like an unrecognised drug)."""
        return self._kb.memo(
            ("conditions", patient.conditions), self._condition_ids, patient.conditions
        )

    def _condition_ids(self, conditions: tuple[str, ...]) -> PatientConditions:
        if not conditions:  # most checks: condition resolution is then not even imported
            return PatientConditions(frozenset(), (), ())
        from pharmcheck.inputs.conditions import resolve_condition

        ids, notes, missing = set(), [], []
        for text in conditions:
            found = resolve_condition(self._kb, text)
            if found.condition_id is None:
                missing.append(Unrecognized(text, found.suggestions, found.reason, "condition"))
                continue
            ids.add(found.condition_id)
            note = found.note()
            if note:
                notes.append(note)
        return PatientConditions(frozenset(ids), tuple(notes), tuple(missing))


@lru_cache(maxsize=1 << 16)  # a ward's distinct medications repeat the same few thousand names
def _items(text: str) -> tuple[tuple[str, str], ...]:
    """The items a medication text holds, each with the separator before it ("" for the
    first): a new item where the text after a separator is not more of the same sig."""
    cleaned = item_text(text)
    breaks = item_breaks(cleaned, parse_sig(cleaned).name)
    if not breaks:
        return (("", text),)
    items, start, separator = [], 0, ""
    for begin, end in breaks:
        items.append((separator, cleaned[start:begin]))
        start, separator = end, cleaned[begin:end].strip()
    items.append((separator, cleaned[start:]))
    return tuple(items)


def _per_administration(dose: Quantity | None, weight_kg: float | None) -> Quantity | None:
    """A dose per kg as the dose for this patient's weight; None without a weight or per day."""
    if dose is None or "/kg" not in dose.unit:
        return dose
    if weight_kg is None or dose.unit.endswith("/day"):
        return None
    return Quantity(dose.value * weight_kg, dose.unit.removesuffix("/kg"))


def needs_weight(name: str, dose: str | None) -> bool:
    """Whether a medication of this name and dose may be dosed per kg, so that its daily dose
    depends on the weight."""
    return any(_PER_KG.search(text) for text in (name, dose) if text)


def _whole_text_too(text: str, drug_name: str, resolution: Resolution | None) -> bool:
    """Whether to resolve the whole text as well: the sig's drug name did not resolve, and the
    text is more than that name."""
    return (resolution is None or not resolution.resolved) and lower_key(drug_name) != lower_key(
        text
    )


def _screened(found: StructureMatch) -> ScreenedStructure:
    return ScreenedStructure(
        input=found.input,
        smiles=found.standardized_smiles or "",
        inchikey=found.inchikey or "",
        classes=found.class_names,
        neighbours=tuple((n.drug, n.similarity, n.myoclonus_grade) for n in found.neighbours),
    )


def _renal_note(patient: Patient) -> tuple[str, ...]:
    return tuple(n for n in (estimated_crcl_note(patient), unused_egfr_note(patient)) if n)


def unused_egfr_note(patient: Patient) -> str | None:
    """That an eGFR given was not used, when a CrCl given or estimated stands for the renal
    function (the rules read CrCl first): a value given is never dropped without a word."""
    if patient.egfr is None:
        return None
    if patient.crcl is not None:
        return f"CrCl {patient.crcl:g} mL/min was given: eGFR {patient.egfr:g} not used"
    if patient.serum_creatinine is not None and not isinstance(
        cockcroft_gault(patient.serum_creatinine, patient.age, patient.weight_kg, patient.sex), str
    ):
        return f"CrCl was estimated from serum creatinine: eGFR {patient.egfr:g} not used"
    return None


def estimated_crcl_note(patient: Patient) -> str | None:
    """What the report says about a serum creatinine: the Cockcroft-Gault estimate with its
    inputs, why none was made, or that a given CrCl was used instead."""
    if patient.serum_creatinine is None:
        return None
    if patient.crcl is not None:
        return f"CrCl {patient.crcl:g} mL/min was given: serum creatinine not used to estimate it"
    estimate = cockcroft_gault(
        patient.serum_creatinine, patient.age, patient.weight_kg, patient.sex
    )
    return estimate if isinstance(estimate, str) else estimate.describe()


def still_given_note(name: str, stop: date, as_of: date) -> str:
    """The note on a medication whose stop date is after the check date: still given on it."""
    return f"'{name}': stop date {stop} is after the check date {as_of}: still given on it"


def validate_medication(med: Medication, as_of: date, number: int | None = None) -> None:
    if not isinstance(med.name, str) or not med.name.strip():
        raise InputError(
            f"medication {number} has no name" if number else "a medication has no name"
        )
    if med.start and med.stop and med.stop < med.start:
        raise InputError(f"{med.name!r}: stop date {med.stop} is before start date {med.start}")
    if med.start and med.start > as_of:
        raise InputError(f"{med.name!r}: start date {med.start} is after the check date {as_of}")
    for change in med.history:
        if change.date > as_of:
            raise InputError(
                f"{med.name!r}: dose-history date {change.date} is after the check date {as_of}"
            )
        if change.daily_dose.value < 0:
            raise InputError(f"{med.name!r}: negative dose in its history")
    dates = [c.date for c in med.history]
    if dates != sorted(dates):
        raise InputError(f"{med.name!r}: dose history is not in date order")


_CHECKERS: dict[str, Checker] = {}
_CHECKERS_LOCK = threading.Lock()


def _site_rules(kb: KnowledgeBase, unit: str | None) -> SiteRules | None:
    """The site overrides in force for ``unit``; None when no unit is named and the KB holds no
    override, without importing the overrides module (3-6 ms of a check's start-up)."""
    rows = kb.site_override_rows()
    if unit is None and not rows:
        return None
    from pharmcheck.overrides import site_rules

    return site_rules(kb, unit, rows)  # the rows just read: one query a check


def checker(db_url: str | None = None) -> Checker:
    """A cached Checker for a KB URL (default: the configured KB), one per URL for all threads."""
    from pharmcheck.kb.store import resolve_url

    url = resolve_url(db_url)
    with _CHECKERS_LOCK:
        if url not in _CHECKERS:
            _CHECKERS[url] = Checker(open_kb(url))
        return _CHECKERS[url]


def check(
    medications: Iterable[Medication | str],
    patient: Patient | None = None,
    *,
    db_url: str | None = None,
    kb: KnowledgeBase | None = None,
    as_of: date | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    min_severity: Severity = Severity.INFO,
    notes: Sequence[str] = (),
    unit: str | None = None,
    hide_suppressed: bool = False,
) -> Report:
    """Check a medication list for one patient. See :class:`Checker`."""
    if db_url is not None and not isinstance(db_url, str):
        raise InputError(f"db_url must be a text (an SQLAlchemy URL), not {type(db_url).__name__}")
    runner = Checker(kb) if kb is not None else checker(db_url)
    return runner.check(
        medications,
        patient,
        as_of=as_of,
        select=select,
        ignore=ignore,
        min_severity=min_severity,
        notes=notes,
        unit=unit,
        hide_suppressed=hide_suppressed,
    )
