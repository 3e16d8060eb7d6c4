"""Reading a medication list pasted as it comes: one drug a line, or text copied from a
discharge letter or an EHR screen.

Every line of the paste becomes one :class:`PastedLine`: a medication, the continuation of the
medication above it (a sig on its own line), a line that is not a medication (a blank line, a
section header, a rule of dashes, a line under "Allergies:"), or a line that cannot be read,
which is reported as not checked. No line is dropped.

Handled: bullets and numbering, tabs and no-break spaces, section headers that give a status
("Stopped:", "Held medications"), held and discontinued markers on a line ("(held)",
"Discontinued", "Held by provider"), diluent phrases ("in sodium chloride 0.9 % 250 mL"),
"(Dosing Weight)", and EHR columns "Product, Dose, Route, Schedule". Thousands separators
("1,000 mg") and units ("µg") are read by the sig parser (:mod:`pharmcheck.inputs.sig`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pharmcheck.domain import Medication
from pharmcheck.inputs.document import MAX_MEDICATIONS
from pharmcheck.inputs.patient import MAX_TEXT_CHARS
from pharmcheck.inputs.sig import parse_dose, parse_frequency, parse_sig
from pharmcheck.inputs.status import status_problem

MEDICATION, CONTINUATION, IGNORED, NOT_CHECKED = (
    "medication",
    "continuation",
    "ignored",
    "not-checked",
)
LINE_KINDS = (MEDICATION, CONTINUATION, IGNORED, NOT_CHECKED)

#: At most this many characters are read from a paste (the longest discharge letters are far
#: shorter).
MAX_PASTE_CHARS = 200_000

_BULLET = re.compile(
    r"^(?:[\u2022\u00b7\u25aa\u25cf\u25e6\u2023\u2043\u2219\u25a0\u25a1*>\-\u2013\u2014]+\s*)+"
)
_NUMBERING = re.compile(r"^(?:\(?\d{1,3}[.)]|\(?[a-z][.)]|#\d{1,3}[.):]?)\s+", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f\u200b\ufeff]+")
_NO_LETTERS = re.compile(r"^[^A-Za-z\u00c0-\u024f]*$")
_HEADER_TEXT = re.compile(r"^[A-Za-z][A-Za-z /&'()\-]{1,60}$")

#: Words that make a header a list of medications; the status its lines get (None: as written).
_SECTION_STATUSES: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile(r"\b(?:discontinued|stopped|ceased|d/c'?d|completed)\b", re.IGNORECASE), "stopped"),
    (re.compile(r"\b(?:held|on hold|suspended|paused)\b", re.IGNORECASE), "held"),
    (re.compile(r"\b(?:cancell?ed|not taking|not taken)\b", re.IGNORECASE), "not-taken"),
)
_MEDICATION_SECTION = re.compile(
    r"\b(?:medications?|meds|medicines?|drugs|prescriptions?|orders|infusions?|scheduled|prn|"
    r"continuous|facility-administered|home|discharge|current|active|inpatient|outpatient|"
    r"regular|as required|as needed)\b",
    re.IGNORECASE,
)
#: Sections whose lines are not medications being given (an allergy is not an order).
_OTHER_SECTION = re.compile(
    r"\b(?:allerg\w*|intolerances?|adverse reactions?|problems?|diagnos[ie]s|conditions?|"
    r"history|labs?|laboratory|results?|vitals?|vital signs|observations?|procedures?|"
    r"immuni[sz]ations?|vaccines?)\b",
    re.IGNORECASE,
)
#: A status written on the line itself; the phrase is removed from the medication text.
_LINE_STATUSES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[(\[]?\bentered in error\b[)\]]?", re.IGNORECASE), "entered-in-error"),
    (re.compile(r"[(\[]?\b(?:not taking|not taken)\b[)\]]?", re.IGNORECASE), "not-taken"),
    (
        re.compile(
            r"[(\[]?\b(?:held by (?:provider|prescriber|physician|doctor)|on hold|held)\b[)\]]?",
            re.IGNORECASE,
        ),
        "held",
    ),
    (
        re.compile(r"[(\[]?\b(?:discontinued|stopped|ceased|d/c'?d|dc'd)\b[)\]]?", re.IGNORECASE),
        "stopped",
    ),
    (re.compile(r"[(\[]?\b(?:cancell?ed)\b[)\]]?", re.IGNORECASE), "cancelled"),
)
_DILUENT = re.compile(
    r"\bin (?:sodium chloride|nacl|normal saline|ns|dextrose|d5w|glucose|water for injection|"
    r"sterile water|lactated ringer'?s?|hartmann'?s?)\b(?:\s*[\d.]+\s*%)?(?:\s*[\d.,]+\s*ml\b)?"
    r"(?:\s*(?:infusion|bag)\b)?",
    re.IGNORECASE,
)
_DOSING_WEIGHT = re.compile(r"\(\s*dosing weight\s*\)", re.IGNORECASE)
#: A sig on a line of its own, under its drug ("Take 1 tablet by mouth ...", "Sig: ...").
_CONTINUATION = re.compile(
    r"^(?:sig:|take|takes|give|inject|apply|inhale|instil|instill|insert|use|dose:|directions?:)\s",
    re.IGNORECASE,
)
_SIG_LABEL = re.compile(r"^(?:sig|dose|directions?):\s*", re.IGNORECASE)
#: "Product, Dose, Route, Schedule", as EHR medication screens lay a line out.
_COLUMNS = re.compile(r"^(?P<product>[^,]+), (?P<dose>[^,]+), (?P<route>[^,]+), (?P<schedule>.+)$")


@dataclass(frozen=True)
class PastedLine:
    """One line of a paste and how it was read.

    ``medication`` is set for a medication line (its text cleaned, its status from the line or
    the section above it); ``continues`` is the number of the medication line a continuation
    line was read with; ``reason`` says why a line was ignored or not checked, and
    ``note`` how a medication line was cleaned, when it was.
    """

    number: int  # 1-based, as an editor counts lines
    text: str  # the line as pasted
    kind: str
    medication: Medication | None = None
    reason: str | None = None
    note: str | None = None
    section: str | None = None
    continues: int | None = None


def read_pasted(text: str) -> tuple[PastedLine, ...]:
    """Every line of ``text`` read: see the module's documentation."""
    lines: list[PastedLine] = []
    section: str | None = None
    section_status: str | None = None
    section_is_medication: bool | None = True
    over = len(text) > MAX_PASTE_CHARS
    for number, raw in enumerate(text.splitlines(), start=1):
        if over:
            lines.append(
                _not_checked(
                    number, raw, f"the paste is over {MAX_PASTE_CHARS:,} characters: not read"
                )
            )
            continue
        cleaned = clean_line(raw)
        if not raw.strip():
            if section is not None and lines[-1].section == section and not _is_header(lines[-1]):
                # A blank line after a section's lines ends it: reading a list's next lines as
                # given (more findings) is safer than as stopped or ignored (fewer).
                section, section_is_medication, section_status = None, True, None
            lines.append(PastedLine(number, raw, IGNORED, reason="blank line"))
            continue
        if _NO_LETTERS.match(cleaned):
            lines.append(
                PastedLine(
                    number, raw, IGNORED, reason="no words (a rule, a date or a number alone)"
                )
            )
            continue
        header = _header(cleaned)
        if header is not None:
            section, (section_is_medication, section_status) = header, _section_kind(header)
            lines.append(
                PastedLine(
                    number,
                    raw,
                    IGNORED,
                    reason=_header_reason(section_is_medication, section_status),
                    section=header,
                )
            )
            continue
        inline = _inline_header(cleaned)
        if inline is not None:
            lines.append(_medication_line(number, raw, inline[1], section, inline[0]))
            continue
        if section_is_medication is False:
            lines.append(
                PastedLine(
                    number,
                    raw,
                    IGNORED,
                    reason=f"under '{section}', not a medication list",
                    section=section,
                )
            )
            continue
        if section_is_medication is None:
            lines.append(
                _not_checked(
                    number,
                    raw,
                    f"under '{section}', which is not known to list medications given now; "
                    "give its status to check it",
                    section,
                )
            )
            continue
        previous = _last_medication(lines)
        if (
            # "Take 1 tablet ...", or a sig that names no drug ("nocte", "1 tab bd")
            (_CONTINUATION.match(cleaned) or not parse_sig(cleaned).name)
            and previous is not None
            and previous.medication is not None
            and _unscheduled(previous.medication.name)
        ):
            joined = _joined(previous, cleaned)
            if joined is not None:
                lines[lines.index(previous)] = joined
                lines.append(
                    PastedLine(
                        number, raw, CONTINUATION, section=section, continues=previous.number
                    )
                )
                continue
        lines.append(_medication_line(number, raw, cleaned, section, section_status))
    if sum(line.kind == MEDICATION for line in lines) > MAX_MEDICATIONS:
        return tuple(_over_limit(lines))
    return tuple(lines)


def _unscheduled(text: str) -> bool:
    """Whether a medication line gives no schedule: no frequency, or "prn" alone."""
    frequency = parse_sig(text).frequency
    return frequency is None or (frequency.label == "prn" and frequency.per_day is None)


def clean_line(line: str) -> str:
    """A line without bullets, numbering, odd spaces or the spaces around it."""
    text = _SPACES.sub(" ", line).strip()
    previous = None
    while previous != text:
        previous = text
        text = _NUMBERING.sub("", _BULLET.sub("", text)).strip()
    return text


def _header(text: str) -> str | None:
    """The header's name when the line is a section header ("Current medications:"), else None."""
    name = text[:-1].strip() if text.endswith(":") else text
    if not _HEADER_TEXT.match(name):
        return None
    if text.endswith(":"):
        return name
    # Without a colon, only a heading that names a medication list and nothing else.
    words = name.lower().split()
    if len(words) >= 2 and re.search(
        r"\b(?:medications|meds|medicines|orders)$", name, re.IGNORECASE
    ):
        return name
    return None


def _is_header(line: PastedLine) -> bool:
    return line.reason is not None and line.reason.startswith("section header")


def _header_reason(is_medication: bool | None, status: str | None) -> str:
    if is_medication is None:
        return "section header not known to list medications: the lines below are not checked"
    if not is_medication:
        return "section header: the lines below are not medications being given"
    if status is None:
        return "section header: the lines below are medications, read as written"
    return f"section header: the lines below are read as {status}"


def _inline_header(text: str) -> tuple[str | None, str] | None:
    """("stopped", "baclofen 10 mg tid") for "Discontinued: baclofen 10 mg tid": a medication
    header with the medication on the same line. None for any other line."""
    found = re.match(r"^([^:]{2,60}):\s*(\S.*)$", text)
    if found is None or _header(found[1] + ":") is None:
        return None
    is_medication, status = _section_kind(found[1])
    return (status, found[2]) if is_medication else None


def _section_kind(header: str) -> tuple[bool | None, str | None]:
    """Whether a section lists medications (None: not known), and the status it gives them."""
    for pattern, status in _SECTION_STATUSES:
        if pattern.search(header):
            return True, status
    if _MEDICATION_SECTION.search(header):
        return True, None
    if _OTHER_SECTION.search(header):
        return False, None
    return None, None


def _medication_line(
    number: int, raw: str, cleaned: str, section: str | None, section_status: str | None
) -> PastedLine:
    notes = []
    text, status = cleaned, section_status
    for pattern, marked in _LINE_STATUSES:
        found = pattern.search(text)
        if found:
            text = _squeeze(text[: found.start()] + " " + text[found.end() :])
            status = marked
            notes.append(f"marked '{found[0].strip('()[] ')}': read as {marked}")
            break
    if _DOSING_WEIGHT.search(text):
        text = _squeeze(_DOSING_WEIGHT.sub(" ", text))
    diluent = _DILUENT.search(text)
    if diluent:
        text = _squeeze(text[: diluent.start()] + " " + text[diluent.end() :])
        notes.append(f"diluent '{diluent[0]}' is not a drug of the list")
    columns = _columns(text)
    if columns is not None:
        notes.append(f"read as product, dose, route and schedule: '{columns}'")
        text = columns
    text = text.strip(" ,;:-")
    if not re.search(r"[A-Za-z\u00c0-\u024f]", text):
        return _not_checked(
            number, raw, "nothing but a status or a diluent is left to read", section
        )
    if len(text) > MAX_TEXT_CHARS:
        return _not_checked(
            number, raw, f"longer than {MAX_TEXT_CHARS:,} characters: not read", section
        )
    return PastedLine(
        number,
        raw,
        MEDICATION,
        medication=Medication(text, status=status),
        note="; ".join(notes) or None,
        section=section,
    )


def _columns(text: str) -> str | None:
    """ "gabapentin 300 mg capsule, 600 mg, oral, 3 times daily" as "gabapentin 600 mg oral 3
    times daily": the dose column is what is given, the product's strength is not."""
    found = _COLUMNS.match(text)
    if found is None or parse_dose(found["dose"])[0] is None:
        return None
    name = parse_sig(found["product"]).name
    if not name:
        return None
    return f"{name} {found['dose'].strip()} {found['route'].strip()} {found['schedule'].strip()}"


def _joined(previous: PastedLine, continuation: str) -> PastedLine | None:
    """The medication line above with this line's sig read as part of it."""
    assert previous.medication is not None
    medication = previous.medication
    sig = _SIG_LABEL.sub("", continuation)
    text = f"{medication.name} {sig}"
    if len(text) > MAX_TEXT_CHARS:
        return None
    note = f"read with the line below it: '{continuation}'"
    return PastedLine(
        previous.number,
        previous.text,
        MEDICATION,
        medication=Medication(text, status=medication.status),
        note=f"{previous.note}; {note}" if previous.note else note,
        section=previous.section,
    )


def _last_medication(lines: list[PastedLine]) -> PastedLine | None:
    """The medication line just above (continuation lines between are skipped)."""
    for line in reversed(lines):
        if line.kind == CONTINUATION:
            continue
        return line if line.kind == MEDICATION else None
    return None


def _over_limit(lines: list[PastedLine]) -> list[PastedLine]:
    """Medication lines past MAX_MEDICATIONS as not checked: one list is checked whole or not at
    all."""
    out, seen = [], 0
    for line in lines:
        if line.kind == MEDICATION:
            seen += 1
            if seen > MAX_MEDICATIONS:
                line = _not_checked(
                    line.number,
                    line.text,
                    f"past the first {MAX_MEDICATIONS} medications of one list; use the ward page",
                    line.section,
                )
        out.append(line)
    return out


def _not_checked(number: int, raw: str, reason: str, section: str | None = None) -> PastedLine:
    return PastedLine(number, raw, NOT_CHECKED, reason=reason, section=section)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class LineFields:
    """A line's reading as the five fields a person edits: drug, dose, frequency, route, status.
    Blank is not stated; a status of :data:`NOT_A_MEDICATION` keeps the line out of the check."""

    drug: str = ""
    dose: str = ""
    frequency: str = ""
    route: str = ""
    status: str = ""


NOT_A_MEDICATION = "not-a-medication"


def fields_of(line: PastedLine) -> LineFields:
    """The fields a line is read as, from its text as written (the sig parser's reading)."""
    if line.medication is None:
        sig = parse_sig(clean_line(line.text))
        status = NOT_A_MEDICATION
    else:
        sig = parse_sig(line.medication.name)
        status = line.medication.status or ""
    return LineFields(
        drug=sig.name,
        dose=str(sig.dose) if sig.dose else "",
        frequency=sig.frequency.label if sig.frequency else "",
        route=sig.route or "",
        status=status,
    )


def edited(line: PastedLine, read: LineFields, edit: LineFields) -> PastedLine:
    """The line as a person corrected it: what they changed replaces what was read, and the rest
    of the text stands (a changed drug name keeps the sig around it). A dose, frequency or status
    that cannot be read makes the line not checked, saying why."""
    if edit == read:
        return line
    note = "corrected by hand"
    if edit.status == NOT_A_MEDICATION:
        return PastedLine(line.number, line.text, IGNORED, reason="marked as not a medication")
    status = edit.status.strip() or None
    problem = status_problem(status)
    if problem:
        return _not_checked(line.number, line.text, problem, line.section)
    if not edit.drug.strip():
        return _not_checked(line.number, line.text, "no drug name given", line.section)
    route = edit.route.strip() or None
    if edit.dose != read.dose or edit.frequency != read.frequency:
        dose, frequency = edit.dose.strip() or None, edit.frequency.strip() or None
        if dose is not None and parse_dose(dose)[0] is None:
            return _not_checked(
                line.number, line.text, f"cannot read the dose {dose!r}", line.section
            )
        if frequency is not None and parse_frequency(frequency) is None:
            return _not_checked(
                line.number, line.text, f"cannot read the frequency {frequency!r}", line.section
            )
        medication = Medication(
            edit.drug.strip(), dose=dose, frequency=frequency, route=route, status=status
        )
    else:
        text = line.medication.name if line.medication else clean_line(line.text)
        if edit.drug != read.drug and read.drug and read.drug in text:
            text = text.replace(read.drug, edit.drug.strip(), 1)
        elif edit.drug != read.drug:
            text = edit.drug.strip()
        medication = Medication(
            text, route=route if edit.route != read.route else None, status=status
        )
    return PastedLine(
        line.number,
        line.text,
        MEDICATION,
        medication=medication,
        note=note,
        section=line.section,
    )
