"""The check: resolve a medication list, build the patient context, run the rules, report.

``Checker`` holds an open KB and a name cache, so a caller that checks many
lists (a ward, a batch, a test suite) pays for loading once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from pharmcheck._version import __version__
from pharmcheck.domain import (
    DIALYSIS_KINDS,
    HEPATIC_LEVELS,
    MYOCLONUS_STATES,
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
from pharmcheck.inputs.conditions import resolve_condition
from pharmcheck.inputs.normalize import lower_key
from pharmcheck.inputs.resolve import Resolution, Resolver
from pharmcheck.inputs.sig import (
    Sig,
    daily_dose,
    item_breaks,
    item_text,
    normalize_route,
    parse_dose,
    parse_frequency,
    parse_sig,
    weighed,
)
from pharmcheck.inputs.status import VOID, status_meaning, status_note
from pharmcheck.kb.store import KnowledgeBase, open_kb
from pharmcheck.rules import Rule, select_rules
from pharmcheck.rules.base import CheckContext

if TYPE_CHECKING:
    from pharmcheck.structures import StructureMatch

MAX_SINGLE_DOSE_MG = 100_000.0  # 100 g: no real single dose is larger; larger is a typo
PLAUSIBLE_RANGES = {"age": (0, 130), "weight_kg": (0.2, 500), "crcl": (0, 250), "egfr": (0, 250)}


@dataclass(frozen=True)
class PatientConditions:
    """A patient's conditions as read: the KB ids, notes on how, and those not recognised."""

    ids: frozenset[int]
    notes: tuple[str, ...]
    unrecognized: tuple[Unrecognized, ...]


@dataclass(frozen=True)
class _Entry:
    """One medication after sig parsing, before resolution."""

    medication: Medication
    sig: Sig
    name: str


class Checker:
    """Checks medication lists against one open knowledge base."""

    def __init__(self, kb: KnowledgeBase):
        if not isinstance(kb, KnowledgeBase):
            raise InputError(
                f"Checker needs a KnowledgeBase from open_kb(), not {type(kb).__name__}"
            )
        self.kb = kb
        self.resolver = Resolver(kb)

    def check(
        self,
        medications: Iterable[Medication | str],
        patient: Patient | None = None,
        *,
        as_of: date | None = None,
        select: Sequence[str] = (),
        ignore: Sequence[str] = (),
        min_severity: Severity = Severity.INFO,
    ) -> Report:
        """Screen one patient's medication list and return the report."""
        as_of = typecheck.check_as_of(as_of) or date.today()
        patient = validate_patient(typecheck.check_patient(patient))
        min_severity = typecheck.check_severity(min_severity, "min_severity")
        try:
            rules = select_rules(
                typecheck.check_selectors(select, "select"),
                typecheck.check_selectors(ignore, "ignore"),
            )
        except ValueError as exc:
            raise InputError(str(exc)) from None
        meds = typecheck.medication_list(medications)
        resolved: list[ResolvedMedication] = []
        unrecognized: list[Unrecognized] = []
        notes: list[str] = []
        structures: list[StructureMatch] = []
        for index, given in enumerate(meds):
            med = typecheck.check_medication(given, index + 1)
            validate_medication(med, as_of)
            void = (
                status_meaning(med.status) == VOID
            )  # listed, but its structure feeds no rule either
            found, missing, note = self.resolve_medication(
                med, index, [] if void else structures, patient.weight_kg
            )
            resolved.extend(found)
            unrecognized.extend(missing)
            notes.extend(
                [] if void else note
            )  # a void medication's only note is that it was not screened
            status = status_note(med.name, med.status)
            notes.extend([status] if status else [])
        return self.evaluate(
            patient, resolved, unrecognized, notes, as_of, rules, min_severity, structures
        )

    def evaluate(
        self,
        patient: Patient,
        resolved: Sequence[ResolvedMedication],
        unrecognized: Sequence[Unrecognized],
        notes: Sequence[str],
        as_of: date,
        rules: list[Rule],
        min_severity: Severity = Severity.INFO,
        structures: Sequence[StructureMatch] = (),
    ) -> Report:
        """Run the rules over already-resolved medications (the batch path shares this).

        ``structures`` are compounds given as structures that match no KB drug; only the
        structure-based prediction rules (PC8xx) read them.
        """
        conditions = self.conditions_of(patient)
        ctx = CheckContext(self.kb, patient, resolved, as_of, conditions.ids, structures=structures)
        everything = self._run(rules, ctx)
        findings = tuple(f for f in everything if f.severity >= min_severity)
        return Report(
            pharmcheck_version=__version__,
            kb_version=self.kb.version,
            schema_revision=self.kb.schema_revision,
            as_of=as_of,
            patient=patient,
            medications=tuple(resolved),
            unrecognized=(*unrecognized, *conditions.unrecognized),
            findings=findings,
            notes=(*notes, *conditions.notes),
            structures=tuple(_screened(m) for m in structures),
            hidden=tuple(f for f in everything if f.severity < min_severity),
        )

    def _run(self, rules: list[Rule], ctx: CheckContext) -> tuple[Finding, ...]:
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
        return self.kb.memo(("cite", references), self._cited, references)

    def _cited(self, references: tuple[str, ...]) -> tuple[str, ...]:
        by_key = self.kb.reference_by_key
        return tuple(dict.fromkeys(by_key[r].cite() if r in by_key else r for r in references))

    def resolve_medication(
        self,
        med: Medication,
        index: int,
        structures: list[StructureMatch] | None = None,
        weight_kg: float | None = None,
    ) -> tuple[list[ResolvedMedication], list[Unrecognized], list[str]]:
        """One medication: its resolved drugs, or why it was not recognised, plus notes.

        A name that holds a second drug after a comma, "and", "+", "&", ";" or a new line
        ("sertraline 100 mg, tramadol 50 mg qid") is read as one medication per drug, each
        with only its own dose and frequency; text there that names no known drug is reported
        as not checked. A dose per kg is computed with ``weight_kg``, unknown without it.

        A medication with a ``smiles`` field, or whose name is a SMILES that is not a drug
        name, is matched by structure (RDKit is imported only then): an exact InChIKey match
        on the standardised parent resolves it with match kind ``structure`` (so a salt
        resolves to its drug); any other structure is appended to ``structures`` for the
        prediction rules, or, when the caller passes none, reported as unrecognised.
        """
        if med.smiles:
            from pharmcheck.structures import match_structure

            found = match_structure(self.kb, med.smiles)
            if not found.ok:
                raise InputError(
                    f"medication {index + 1} ({med.name!r:.60}): the structure {med.smiles!r:.80} "
                    f"cannot be read ({found.error})"
                )
            return self._by_structure(med, index, found, structures, weight_kg)
        items = _items(med.name)
        if len(items) > 1:
            found_structures: list[StructureMatch] | None = [] if structures is not None else None
            split = self._each_item(med, items, index, found_structures, weight_kg)
            # Split only when an item is a drug known by name; else the text is read whole, as one
            # unrecognised item or one structure.
            if any(m.match != "structure" for m in split[0]):
                if structures is not None and found_structures:
                    structures.extend(found_structures)
                return split
        result = self._resolve_name(med, index, weight_kg)
        if not result[0] or result[0][0].match == "fuzzy":
            from pharmcheck.inputs.smiles_text import looks_like_smiles

            if looks_like_smiles(med.name):
                from pharmcheck.structures import match_structure

                found = match_structure(self.kb, med.name.strip())
                if found.ok:
                    return self._by_structure(med, index, found, structures, weight_kg)
        return result

    def _each_item(
        self,
        med: Medication,
        items: list[tuple[str, str]],
        index: int,
        structures: list[StructureMatch] | None,
        weight_kg: float | None,
    ) -> tuple[list[ResolvedMedication], list[Unrecognized], list[str]]:
        """Each item of a text that names several drugs, resolved on its own."""
        found: list[ResolvedMedication] = []
        missing: list[Unrecognized] = []
        notes = [
            (
                f"'{med.name}' names {len(items)} items: each is read on its own, with only its "
                "own dose and frequency"
            )
        ]
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
            result = self.resolve_medication(item, index, structures, weight_kg)
            found.extend(result[0])
            notes.extend(result[2])
            for unread in result[1]:
                reason = (
                    unread.reason
                    if position == 0
                    else (
                        f"text after '{separator}' in '{med.name}' is not read as part of the dose "
                        f"before it and {unread.reason}: not checked"
                    )
                )
                missing.append(Unrecognized(unread.input, unread.suggestions, reason))
        return found, missing, notes

    def _by_structure(
        self,
        med: Medication,
        index: int,
        found: StructureMatch,
        structures: list[StructureMatch] | None,
        weight_kg: float | None,
    ) -> tuple[list[ResolvedMedication], list[Unrecognized], list[str]]:
        if found.drug_id is not None and found.drug is not None:
            sig = Sig(name=med.name) if not med.smiles else parse_sig(med.name)
            resolution = Resolution(((found.drug_id, found.drug),), "structure", 1.0)
            out, missing, notes = self._medications(med, sig, resolution, index, weight_kg)
            if found.fragments > 1:
                notes.append(
                    f"'{med.name}': structure standardised to its parent {found.drug} "
                    "(counter-ions and solvent removed)"
                )
            return out, missing, notes
        if structures is None:
            return (
                [],
                [
                    Unrecognized(
                        med.name,
                        (),
                        "structure matches no drug in the knowledge base "
                        "(structure-based screening is not available here)",
                    )
                ],
                [],
            )
        structures.append(replace(found, input=med.name))
        return (
            [],
            [],
            [
                (
                    f"'{med.name}': structure matches no drug in the knowledge base; screened by "
                    "structure only (predicted findings, PC8xx)"
                )
            ],
        )

    def prefetch(self, names: Iterable[str]) -> None:
        """Prepare the fuzzy lookups that resolving these names will make, all at once, in the
        order :meth:`_resolve_name` tries them (the sig's drug name, then the whole text)."""
        drug_names = {name: parse_sig(name).name for name in names}
        self.resolver.prefetch(d for d in drug_names.values() if d)
        self.resolver.prefetch(
            name
            for name, d in drug_names.items()
            if _whole_text_too(name, d, self.resolver.resolve(d) if d else None)
        )

    def _resolve_name(
        self,
        med: Medication,
        index: int,
        weight_kg: float | None,
    ) -> tuple[list[ResolvedMedication], list[Unrecognized], list[str]]:
        sig = parse_sig(med.name)
        resolution = self.resolver.resolve(sig.name) if sig.name else None
        if _whole_text_too(med.name, sig.name, resolution):
            whole = self.resolver.resolve(med.name)
            if whole.resolved or resolution is None:
                resolution, sig = whole, Sig(name=med.name)
        assert resolution is not None
        if not resolution.resolved:
            return [], [Unrecognized(med.name, resolution.suggestions, resolution.reason)], []
        return self._medications(med, sig, resolution, index, weight_kg)

    def _medications(
        self, med: Medication, sig: Sig, resolution: Resolution, index: int, weight_kg: float | None
    ) -> tuple[list[ResolvedMedication], list[Unrecognized], list[str]]:
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
            total, total_note = weighed(
                *daily_dose(dose, frequency, sig.prn_max, sig.prn_max_doses), weight_kg
            )
        else:
            total, total_note = weighed(sig.daily, sig.daily_note, weight_kg)
        dose = _per_administration(dose, weight_kg)
        prn = sig.prn or bool(frequency and frequency.prn)
        out = [
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
                route=normalize_route(med.route) if med.route else sig.route,
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
        ]
        return out, [], notes

    def conditions_of(self, patient: Patient) -> PatientConditions:
        """The KB ids of the patient's conditions, a note for each read fuzzily or by code, and
        each one not recognised (reported as not checked, like an unrecognised drug)."""
        return self.kb.memo(
            ("conditions", patient.conditions), self._condition_ids, patient.conditions
        )

    def _condition_ids(self, conditions: tuple[str, ...]) -> PatientConditions:
        ids, notes, missing = set(), [], []
        for text in conditions:
            found = resolve_condition(self.kb, text)
            if found.condition_id is None:
                missing.append(Unrecognized(text, found.suggestions, found.reason, "condition"))
                continue
            ids.add(found.condition_id)
            note = found.note()
            if note:
                notes.append(note)
        return PatientConditions(frozenset(ids), tuple(notes), tuple(missing))


def _items(text: str) -> list[tuple[str, str]]:
    """The items a medication text holds, each with the separator before it ("" for the
    first): a new item where the text after a separator is not more of the same sig."""
    cleaned = item_text(text)
    breaks = item_breaks(cleaned, parse_sig(cleaned).name)
    if not breaks:
        return [("", text)]
    items, start, separator = [], 0, ""
    for begin, end in breaks:
        items.append((separator, cleaned[start:begin]))
        start, separator = end, cleaned[begin:end].strip()
    items.append((separator, cleaned[start:]))
    return items


def _per_administration(dose: Quantity | None, weight_kg: float | None) -> Quantity | None:
    """A dose per kg as the dose for this patient's weight; None without a weight or per day."""
    if dose is None or "/kg" not in dose.unit:
        return dose
    if weight_kg is None or dose.unit.endswith("/day"):
        return None
    return Quantity(dose.value * weight_kg, dose.unit.removesuffix("/kg"))


def needs_weight(med: Medication) -> bool:
    """Whether the medication may be dosed per kg, so that its daily dose depends on the weight."""
    return any(
        re.search(r"kg\b", text, re.IGNORECASE) for text in (med.name, med.dose or "") if text
    )


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


def validate_patient(patient: Patient) -> Patient:
    """Refuse impossible patient values with a clear message (never clamp them)."""
    for field, (low, high) in PLAUSIBLE_RANGES.items():
        value = getattr(patient, field)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"patient {field} must be a number, got {value!r}")
        if not low <= value <= high:
            raise InputError(
                f"patient {field} {value:g} is outside the plausible range {low}-{high}"
            )
    for field, allowed in (
        ("dialysis", DIALYSIS_KINDS),
        ("hepatic_impairment", HEPATIC_LEVELS),
        ("myoclonus", MYOCLONUS_STATES),
    ):
        value = getattr(patient, field)
        if value is not None and value not in allowed:
            raise InputError(f"patient {field} must be one of {', '.join(allowed)}, got {value!r}")
    return patient


def validate_medication(med: Medication, as_of: date) -> None:
    if not isinstance(med.name, str) or not med.name.strip():
        raise InputError(f"a medication has no name: {med!r}")
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


def checker(db_url: str | None = None) -> Checker:
    """A cached Checker for a KB URL (default: the configured KB)."""
    from pharmcheck.kb.store import resolve_url

    url = resolve_url(db_url)
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
) -> Report:
    """Check a medication list for one patient. See :class:`Checker`."""
    if db_url is not None and not isinstance(db_url, str):
        raise InputError(f"db_url must be a text (an SQLAlchemy URL), not {type(db_url).__name__}")
    runner = Checker(kb) if kb is not None else checker(db_url)
    return runner.check(
        medications, patient, as_of=as_of, select=select, ignore=ignore, min_severity=min_severity
    )
