"""``pharmcheck check``: screen one medication list."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pharmcheck.cli.options import dash_is_stdout, db_option
from pharmcheck.cli.output import write_stdout
from pharmcheck.domain import (
    DIALYSIS_KINDS,
    HEPATIC_LEVELS,
    MYOCLONUS_STATES,
    SEVERITY_NAMES,
    SEXES,
    Report,
    Severity,
)
from pharmcheck.files import refuse_clashes, replacing

if TYPE_CHECKING:
    from pharmcheck.inputs.document import CheckRequest


def exit_code(report: Report, fail_on: Severity, allow_unrecognized: bool) -> int:
    """0 clean, 1 a finding at or above ``fail_on`` (shown or hidden by --min-severity) or an
    unrecognised input."""
    if report.highest_severity is not None and report.highest_severity >= fail_on:
        return 1
    if report.unrecognized and not allow_unrecognized:
        return 1
    return 0


@click.command()
@click.argument("medications", nargs=-1)
@click.option(
    "--input",
    "input_file",
    metavar="FILE",
    help="JSON or YAML request, or a FHIR R4 Bundle (JSON) (`-` for stdin).",
)
@click.option("--age", type=float, help="Age in years.")
@click.option("--sex", type=click.Choice(SEXES, case_sensitive=False))
@click.option("--weight", type=float, help="Weight in kg.")
@click.option("--crcl", type=float, help="Creatinine clearance, mL/min.")
@click.option("--egfr", type=float, help="eGFR, mL/min/1.73 m2 (used when CrCl is not given).")
@click.option(
    "--creatinine",
    type=(float, str),
    default=None,
    metavar="VALUE UNIT",
    help="Serum creatinine, mg/dL or umol/L: CrCl by Cockcroft-Gault (needs age, sex, weight) "
    "when CrCl is not given.",
)
@click.option(
    "--dialysis",
    metavar="KIND",
    help=f"{', '.join(DIALYSIS_KINDS)} (HD, PD and CAPD read as such).",
)
@click.option("--hepatic", type=click.Choice(HEPATIC_LEVELS), help="Hepatic impairment.")
@click.option("--pregnant/--not-pregnant", default=None)
@click.option("--childbearing-potential/--no-childbearing-potential", default=None)
@click.option(
    "--condition",
    "conditions",
    multiple=True,
    metavar="TEXT",
    help="A condition such as 'juvenile myoclonic epilepsy' (repeatable).",
)
@click.option("--myoclonus", type=click.Choice(MYOCLONUS_STATES))
@click.option(
    "--as-of", "as_of", metavar="DATE", help="The date durations are measured to (default: today)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown", "csv"]),
    default="text",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path, allow_dash=True),
    callback=dash_is_stdout,
    help="Write the report here (`-`: stdout).",
)
@click.option(
    "--select", multiple=True, metavar="CODE", help="Only these rules (code, prefix or name)."
)
@click.option(
    "--ignore", multiple=True, metavar="CODE", help="Skip these rules (code, prefix or name)."
)
@click.option(
    "--min-severity",
    type=click.Choice(SEVERITY_NAMES),
    default="info",
    show_default=True,
    help="Hide findings below this severity.",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITY_NAMES),
    default="major",
    show_default=True,
    help="Exit 1 when a finding is at or above this severity.",
)
@click.option(
    "--unit",
    metavar="NAME",
    help="Apply this unit's site overrides as well as the site-wide ones (`pharmcheck override`).",
)
@click.option(
    "--hide-suppressed",
    is_flag=True,
    help="Count findings a site override suppressed instead of listing them (JSON lists them).",
)
@click.option("--allow-unrecognized", is_flag=True, help="Do not exit 1 for unrecognised inputs.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even with findings (errors still exit 2).")
@click.option(
    "--color/--no-color", default=None, help="Colour the text report (default: on a terminal)."
)
@db_option
def check(
    medications: tuple[str, ...],
    input_file: str | None,
    age: float | None,
    sex: str | None,
    weight: float | None,
    crcl: float | None,
    egfr: float | None,
    creatinine: tuple[float, str] | None,
    dialysis: str | None,
    hepatic: str | None,
    pregnant: bool | None,
    childbearing_potential: bool | None,
    conditions: tuple[str, ...],
    myoclonus: str | None,
    as_of: str | None,
    fmt: str,
    output: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    min_severity: str,
    fail_on: str,
    unit: str | None,
    hide_suppressed: bool,
    allow_unrecognized: bool,
    exit_zero: bool,
    color: bool | None,
    db_url: str | None,
) -> None:
    """Check MEDICATIONS (names or whole sig strings) for myoclonus risks.

    \b
    Example:
      pharmcheck check tramadol "Neurontin 600 tid" "Demerol 75 mg IM q3h" --crcl 28

    Exit codes: 0 no finding at or above --fail-on and every input recognised;
    1 such a finding or an unrecognised input; 2 a usage, input or knowledge-base error.
    """
    from pharmcheck.domain import Medication, Patient
    from pharmcheck.engine import check as run_check
    from pharmcheck.inputs.patient import read_choice
    from pharmcheck.inputs.renal import creatinine_quantity
    from pharmcheck.report import render

    refuse_clashes([("report", output)], [("input file", input_file)])
    given_as_of = _as_of(as_of) if as_of else None
    request, read_notes = (
        _read_input(input_file, given_as_of, db_url, bool(medications))
        if input_file
        else (None, [])
    )
    meds = (request.medications if request else ()) + tuple(Medication(name=m) for m in medications)
    if not meds:
        raise click.UsageError("give at least one medication (or --input FILE)")
    overrides: dict[str, Any] = {
        k: v
        for k, v in {
            "age": age,
            "sex": sex,
            "weight_kg": weight,
            "crcl": crcl,
            "egfr": egfr,
            "serum_creatinine": creatinine_quantity(*creatinine) if creatinine else None,
            "dialysis": read_choice("dialysis", dialysis),  # "HD", "CAPD" as wards write them
            "hepatic_impairment": hepatic,
            "pregnant": pregnant,
            "childbearing_potential": childbearing_potential,
            "myoclonus": myoclonus,
        }.items()
        if v is not None
    }
    given = request.patient if request else Patient()
    patient = replace(given, **overrides, conditions=given.conditions + tuple(conditions))
    when = given_as_of or (request.as_of if request else None) or date.today()
    if request is not None:  # a value given twice: the flag's is used, and that is said
        read_notes = [*read_notes, *_replaced(request, overrides, given_as_of, str(input_file))]
    report = run_check(
        meds,
        patient,
        db_url=db_url,
        as_of=when,
        select=select,
        ignore=ignore,
        min_severity=Severity.parse(min_severity),
        notes=read_notes,
        unit=unit,
        hide_suppressed=hide_suppressed,
    )
    text = render(
        report, fmt, color=color if color is not None else (output is None and sys.stdout.isatty())
    )
    if output is not None:
        with replacing(output) as handle:
            handle.write(text.encode("utf-8"))
    else:
        write_stdout(text)
    if not exit_zero:
        raise SystemExit(exit_code(report, Severity.parse(fail_on), allow_unrecognized))


_FLAGS = {
    "weight_kg": "--weight",
    "serum_creatinine": "--creatinine",
    "hepatic_impairment": "--hepatic",
}


def _replaced(
    request: CheckRequest, overrides: dict[str, Any], as_of: date | None, source: str
) -> list[str]:
    """A note for each value of the request that a flag replaced with another."""
    notes = []
    for field, value in overrides.items():
        old = getattr(request.patient, field)
        if old is not None and old != value:
            flag = _FLAGS.get(field, "--" + field.replace("_", "-"))
            notes.append(
                f"{flag} {_shown(value)} replaces the patient's {field} {_shown(old)} in {source}"
            )
    if as_of is not None and request.as_of is not None and as_of != request.as_of:
        notes.append(f"--as-of {as_of} replaces the as_of {request.as_of} in {source}")
    return notes


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}" if isinstance(value, float | int) else str(value)


def _as_of(text: str) -> date:
    from pharmcheck.inputs.document import parse_date

    return parse_date(text, "--as-of")


def _read_input(
    input_file: str, given_as_of: date | None, db_url: str | None, names_given: bool
) -> tuple[CheckRequest, list[str]]:
    """The request in ``--input`` (a JSON or YAML request, or a FHIR Bundle) and the notes on how
    it was read. Its readers are imported here: a check of names alone needs none of them."""
    from pharmcheck.engine import checker
    from pharmcheck.errors import InputError
    from pharmcheck.fhir import is_bundle, read_bundle
    from pharmcheck.inputs.document import CheckRequest, load_document, read_text, request_from_data

    name = "stdin" if input_file == "-" else input_file  # as read_text calls it
    data = load_document(read_text(input_file), name)
    if not is_bundle(data):
        return request_from_data(data, name), []
    when = given_as_of or date.today()
    bundle_meds, bundle_patient, read_notes = read_bundle(data, when, kb=checker(db_url).kb)
    if not bundle_meds and not names_given:
        raise InputError(
            f"{input_file}: the FHIR Bundle holds no MedicationRequest or "
            "MedicationStatement to check"
        )
    return CheckRequest(tuple(bundle_meds), bundle_patient, when), read_notes
