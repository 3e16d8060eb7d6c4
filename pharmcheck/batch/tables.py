"""Reading ward tables: CSV, TSV, Excel and Parquet, column aliases, and rows that cannot be
parsed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from pharmcheck.errors import InputError

# Headers are compared in lower case with runs of spaces, hyphens and underscores as one "_".
MED_COLUMNS: dict[str, tuple[str, ...]] = {
    "patient_id": (
        "patient_id",
        "patient",
        "id",
        "mrn",
        "patientid",
        "patient_number",
        "patient_no",
        "hospital_number",
        "nhs_number",
    ),
    "name": (
        "name",
        "drug",
        "medication",
        "med",
        "drug_name",
        "medicine",
        "medication_name",
        "medicine_name",
        "med_name",
        "generic_name",
        "drug_description",
        "medication_description",
    ),
    "dose": ("dose", "dosage", "strength"),
    "frequency": ("frequency", "freq", "dosing_frequency"),
    "route": ("route", "route_of_administration"),
    "start": ("start", "start_date", "date_started", "start_datetime"),
    "stop": ("stop", "stop_date", "end", "end_date", "date_stopped", "stop_datetime"),
    "status": ("status", "medication_status", "order_status", "drug_status"),
    "smiles": ("smiles",),
    "indication": ("indication",),
}
PATIENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "patient_id": MED_COLUMNS["patient_id"],
    "age": ("age", "age_years"),
    "sex": ("sex", "gender"),
    "weight_kg": ("weight_kg", "weight", "weight_(kg)"),
    "egfr": ("egfr",),
    "crcl": ("crcl",),
    "dialysis": ("dialysis",),
    "hepatic_impairment": ("hepatic_impairment", "hepatic"),
    "pregnant": ("pregnant",),
    "childbearing_potential": ("childbearing_potential",),
    "conditions": ("conditions", "condition", "diagnoses", "diagnosis", "problems"),
    "myoclonus": ("myoclonus",),
    "as_of": ("as_of", "screening_date"),
}
#: A cell longer than this, or with a line break, is suspect: a quote left open swallows the
#: rows after it into one cell. A real medication line or condition list is far shorter.
MAX_CELL_CHARS = 1000
#: A workbook whose parts unpack to more than this is refused before it is opened (a zip bomb).
MAX_WORKBOOK_UNPACKED_BYTES = 200 * 1024 * 1024
_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_DIGIT_RUNS = re.compile(r"(\d+)")


def normalise_columns(
    frame: pd.DataFrame, spec: dict[str, tuple[str, ...]], required: Sequence[str], what: str
) -> tuple[pd.DataFrame, list[str]]:
    """Rename aliased, case-insensitive columns to their canonical names; note unknown ones."""
    mapping: dict[str, str] = {}
    notes = list(frame.attrs.get("notes", []))  # what reading the table noted
    for column in frame.columns:
        canonical = canonical_name(column, spec)
        if canonical is None:
            notes.append(f"{what}: column {column!r} is not used")
            continue
        if canonical in mapping.values():
            raise InputError(
                f"{what}: more than one column means {canonical!r} (found "
                f"{list(map(str, frame.columns))})"
            )
        mapping[column] = canonical
    missing = [c for c in required if c not in mapping.values()]
    if missing:
        delimiter = frame.attrs.get("delimiter")
        read_as = f" (read as {_DELIMITERS[delimiter]}-separated)" if delimiter else ""
        # the first sheet, read by default, may be the wrong one
        if frame.attrs.get("other_sheets"):
            others = ", ".join(map(repr, frame.attrs["other_sheets"]))
            read_as = f" (read sheet {frame.attrs['sheet']!r}; its other sheets: {others})"
        raise InputError(
            f"{what}: missing required column(s) {', '.join(missing)}; "
            f"found {', '.join(map(str, frame.columns)) or 'none'}{read_as}"
        )
    out = frame[list(mapping)].rename(columns=mapping)
    return out, notes


def canonical_name(column: Any, spec: dict[str, tuple[str, ...]]) -> str | None:
    """The canonical name a column header stands for (case, spaces and aliases aside), if any."""
    key = re.sub(r"[\s_-]+", "_", str(column).lstrip("\ufeff").strip().lower())
    return next((c for c, aliases in spec.items() if key in aliases), None)


def cell_of(
    cells: Sequence[str], header: Any, canonical: str, spec: dict[str, tuple[str, ...]]
) -> str:
    """The value under ``canonical``'s column in a row read as cells ("" when the row is too
    short)."""
    at = next(
        (i for i, column in enumerate(header) if canonical_name(column, spec) == canonical),
        len(cells),
    )
    return cells[at].strip() if at < len(cells) else ""


def text_cells(column: pd.Series) -> pd.Series:
    """A column as stripped text, with "" for an empty cell."""
    return column.astype("string").str.strip().fillna("")


def natural_key(text: str) -> tuple[tuple[Any, ...], str]:
    """Sorts ids as people read them: P2 before P10 (runs of digits compare as numbers)."""
    parts: list[Any] = _DIGIT_RUNS.split(text)  # text, digits, text, ..., text
    parts[::2] = map(str.lower, parts[::2])
    parts[1::2] = map(int, parts[1::2])
    return tuple(parts), text


def read_dates(column: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """A text column's days (NaT where blank or unreadable) and, per row, why its date cannot be
    read ("" where it can): each distinct text read once, as ``check`` reads a date."""
    from pharmcheck.inputs.document import read_date

    codes, distinct = pd.factorize(column)
    days: list[Any] = []
    reasons: list[str] = []
    for value in distinct.tolist():
        read = read_date(value) if value else None
        days.append(np.datetime64(read, "D") if isinstance(read, date) else np.datetime64("NaT"))
        reasons.append(f"{value!r} {read}" if isinstance(read, str) else "")
    day = np.array(days + [np.datetime64("NaT")], dtype="datetime64[D]")[codes]
    why = np.array(reasons + [""], dtype=object)[codes]
    return pd.Series(day.astype("datetime64[s]"), index=column.index), why


def row_numbers(frame: pd.DataFrame) -> np.ndarray:
    """Each row's number in its source as :func:`read_table` counted them (the header is row 1)."""
    given = frame.attrs.get("source_rows")
    return (
        np.asarray(given, dtype=np.int64)
        if given is not None
        else np.arange(2, len(frame) + 2, dtype=np.int64)
    )


def read_table(source: str, sheet: str | None = None) -> pd.DataFrame:
    """Read CSV, TSV, Excel (.xlsx) or Parquet by extension; ``-`` reads CSV from stdin. A CSV's
    delimiter (comma, semicolon or tab) is read from its header. Of a workbook, ``sheet`` (by
    default the first) is read; the others are named in a note (``frame.attrs["notes"]``)."""
    import sys
    from pathlib import Path

    path = Path(source)
    suffix = path.suffix.lower()
    if sheet is not None and (source == "-" or suffix not in (".xlsx", ".xlsm")):
        # else the sheet asked for is ignored and another table screened in its place
        raise InputError(f"{source} is not a workbook (.xlsx): it has no sheet {sheet!r}")
    if source == "-":
        return _read_csv(sys.stdin, "stdin", ",")
    if path.is_dir():
        raise InputError(f"{source} is a directory, not a table")
    if not path.exists():
        raise InputError(f"{source} does not exist")
    try:
        if suffix in (".xlsx", ".xlsm"):
            return _read_workbook(path, source, sheet)
        if suffix == ".parquet":
            return _skip_blank_rows(_read_parquet(path))
    except InputError:
        raise
    # A damaged workbook or parquet file (openpyxl and pyarrow raise many types): one line.
    except Exception as exc:  # noqa: BLE001
        raise InputError(
            f"{source}: cannot read it as {suffix[1:]}: {exc.__class__.__name__}: {exc}"
        ) from None
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its mark: Excel's Unicode text
        import io

        try:
            text = path.read_bytes().decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(f"{source}: starts as UTF-16 text but is not") from None
        return _read_csv(io.StringIO(text), source, "\t" if suffix in (".tsv", ".tab") else ",")
    if b"\x00" in head:
        raise InputError(f"{source} is a binary file, not CSV/TSV")
    return _read_csv(path, source, "\t" if suffix in (".tsv", ".tab") else ",")


def _read_parquet(path: Any) -> pd.DataFrame:
    """Every column as text, as a CSV would hold it: pandas reads an integer column with a null
    as floats (patient 1001 became "1001.0", and an id past 2**53 another number), and a list
    as its Python text; a list's items are joined by "; " (how a table lists conditions)."""
    from pyarrow import parquet

    table = parquet.read_table(path)
    columns = {
        name: parquet_text(column)
        for name, column in zip(table.column_names, table.columns, strict=True)
    }
    return pd.DataFrame(columns, columns=table.column_names)


def parquet_text(column: Any) -> pd.Series:
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = column.cast(kind.value_type), kind.value_type
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        cells = [
            None if items is None else "; ".join(str(i) for i in items if i is not None)
            for items in column.to_pylist()
        ]
        return pd.Series(cells, dtype="string")
    try:
        text = pc.cast(column, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # a struct, bytes not UTF-8: as Python
        return pd.Series(column.to_pylist(), dtype=object).astype("string")
    return pd.Series(text.to_pylist(), dtype="string")


def _read_workbook(path: Any, source: str, sheet: str | None) -> pd.DataFrame:
    """One sheet as text cells, after checking that the workbook does not unpack to a giant."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(
                item.file_size for item in archive.infolist()
            )  # zipfile reads no more than this
    except zipfile.BadZipFile:
        raise InputError(f"{source}: not an .xlsx workbook (it is not a zip archive)") from None
    if unpacked > MAX_WORKBOOK_UNPACKED_BYTES:
        raise InputError(
            f"{source}: the workbook unpacks to {unpacked // 2**20:,} MB; at most "
            f"{MAX_WORKBOOK_UNPACKED_BYTES // 2**20} MB is read (split it, or save it as CSV)"
        )
    with pd.ExcelFile(path) as book:
        names = [str(n) for n in book.sheet_names]
        if not names:
            raise InputError(f"{source}: the workbook has no sheets")
        chosen = names[0] if sheet is None else sheet
        if chosen not in names:
            raise InputError(
                f"{source}: no sheet {sheet!r}; its sheets are {', '.join(map(repr, names))}"
            )
        frame = _skip_blank_rows(pd.read_excel(book, sheet_name=chosen, dtype="string"))
    if len(frame.columns) and all(str(c).startswith("Unnamed: ") for c in frame.columns):
        raise InputError(f"{source}: sheet {chosen!r}: row 1 is blank; the header must be row 1")
    others = [n for n in names if n != chosen]
    frame.attrs["sheet"], frame.attrs["other_sheets"] = chosen, others
    if others:
        frame.attrs["notes"] = [
            (
                f"{source}: only sheet {chosen!r} was read; not read: "
                f"{', '.join(map(repr, others))} (choose a sheet by name to screen it)"
            )
        ]
    return frame


def _read_csv(source: Any, name: str, sep: str) -> pd.DataFrame:
    """Every cell as text. Rows are numbered as a spreadsheet shows them (the header is row 1, a
    quoted line break stays in its cell); a row with every cell blank is skipped, its number kept
    (``frame.attrs["source_rows"]``). A malformed or suspect row (a cell with a line break or
    longer than MAX_CELL_CHARS: a quote left open) is recorded with its number, the reason and
    its cells (``frame.attrs["rejected_rows"]``), and every good row kept. ``sep`` is the
    delimiter expected; the header's own is used when it shows another."""
    data = source.read() if hasattr(source, "read") else source.read_bytes()
    if isinstance(data, str):
        data = data.encode("utf-8")
    import pyarrow as pa

    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # a Latin-1 export: every byte is a character
        data = text.encode("utf-8")
    if not text or text.isspace():
        raise InputError(f"{name} is empty")
    if not _first_line(text, "\r\n").strip():  # else the rows' numbers are not the file's
        raise InputError(f"{name}: line 1 is blank; the header must be the first line")
    sep = _delimiter(text, sep)
    header = _header(text, sep)
    duplicated = sorted({c for c in header if c and header.count(c) > 1})
    if duplicated:
        raise InputError(f"{name}: duplicate column header(s) {', '.join(duplicated)}")
    try:
        cells = _arrow_csv(data, header, sep)
    except ValueError:  # pyarrow's ArrowInvalid: a row with too few or too many cells
        frame = _tolerant_csv(text, header, sep, name)
    else:
        if not _has_line_break(cells, quoted=b'"' in data) and not _has_giant_cell(cells):
            frame = _skip_blank_rows(
                cells.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
            )
        else:  # a cell spans lines (a quote left open?) or is a giant: find the rows, by line
            frame = _tolerant_csv(text, header, sep, name)
    frame.attrs["delimiter"] = sep
    return frame


def _delimiter(text: str, expected: str) -> str:
    """The delimiter the header line uses most (quoted text aside); ``expected`` on a tie."""
    line = re.sub(r'"[^"]*"', "", _first_line(text, "\n"))
    counts = {sep: line.count(sep) for sep in _DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] > counts[expected] else expected


def _first_line(text: str, ends: str) -> str:
    """The text up to its first character in ``ends`` (not splitting the rest, often megabytes)."""
    found = [at for at in map(text.find, ends) if at >= 0]
    return text[: min(found)] if found else text


def _has_line_break(cells: Any, quoted: bool) -> bool:
    """Whether a cell holds a line break; only a quoted cell can, so a text without a quote
    character has none."""
    import pyarrow.compute as pc

    return quoted and any(
        pc.any(pc.match_substring(column, brk)).as_py()
        for column in cells.columns
        for brk in ("\n", "\r")
    )


def _has_giant_cell(cells: Any) -> bool:
    """Whether a cell holds more than MAX_CELL_CHARS characters (a cell's bytes bound its
    characters: characters are counted only in a column with a cell of more bytes)."""
    import pyarrow.compute as pc

    return any(
        (pc.max(pc.binary_length(column)).as_py() or 0) > MAX_CELL_CHARS
        and (pc.max(pc.utf8_length(column)).as_py() or 0) > MAX_CELL_CHARS
        for column in cells.columns
    )


def _skip_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows with a cell that is not blank, keeping their numbers
    (``frame.attrs["source_rows"]``)."""
    blank = blank_rows(frame)
    if not blank.any():
        return frame
    kept = frame[~blank].reset_index(drop=True)
    kept.attrs["source_rows"] = np.flatnonzero(~blank) + 2
    return kept


def _header(text: str, sep: str) -> list[str]:
    """The header's cells; a blank one is named as pandas names it ("Unnamed: 3")."""
    import csv as csvlib
    import io

    line = _first_line(text, "\r\n")
    # Without a quote, the header ends with its line; with one, it may run across lines.
    lines = [line] if '"' not in line else io.StringIO(text, newline="")
    cells = next(csvlib.reader(lines, delimiter=sep), [])
    return [c if c.strip() else f"Unnamed: {i}" for i, c in enumerate(cells)]


def _arrow_csv(data: bytes, header: list[str], sep: str) -> Any:
    """The rows after the header as a pyarrow Table of strings (parsed on every core); a blank
    line is a row of empty cells, so that rows keep their numbers."""
    import io

    import pyarrow as pa
    from pyarrow import csv as arrow_csv

    return arrow_csv.read_csv(
        io.BytesIO(data),
        read_options=arrow_csv.ReadOptions(column_names=header, skip_rows=1),
        parse_options=arrow_csv.ParseOptions(
            delimiter=sep, newlines_in_values=True, ignore_empty_lines=False
        ),
        convert_options=arrow_csv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is empty or blank (checked column by column, only on the rows still
    possibly blank: at a million rows, the first column settles nearly all)."""
    blank = np.ones(len(frame), dtype=bool)
    for column in frame.columns:
        rows = np.flatnonzero(blank)
        if not len(rows):
            break
        cells = frame[column] if len(rows) == len(frame) else frame[column].iloc[rows]
        blank[rows] = (text_cells(cells) == "").to_numpy(dtype=bool)
    return blank


def _tolerant_csv(text: str, header: list[str], sep: str, name: str) -> pd.DataFrame:
    """Row by row, with each row's lines: a row with a suspect cell or too many cells is
    rejected; one with too few reads the missing trailing cells as blank (noted)."""
    import csv as csvlib
    import io

    rows, numbers, rejected, short = [], [], [], []
    records = csvlib.reader(io.StringIO(text, newline=""), delimiter=sep)
    next(records)
    number, first_line = 1, records.line_num + 1
    try:
        for cells in records:
            number += 1
            lines, first_line = (first_line, records.line_num), records.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            suspect = _suspect_cell(cells, header, sep, lines)
            if suspect or len(cells) > len(header):
                rejected.append(
                    (number, suspect or f"{len(cells)} fields, expected {len(header)}", cells)
                )
                continue
            if len(cells) < len(header):
                short.append(number)
                cells += [""] * (len(header) - len(cells))
            rows.append(cells)
            numbers.append(number)
    except csvlib.Error as exc:
        raise InputError(f"{name}: line {records.line_num}: {exc} (a quote left open?)") from None
    frame = pd.DataFrame(rows, columns=header, dtype="string")
    # An array, not a list: pandas deep-copies attrs into every frame derived from this one.
    frame.attrs["source_rows"] = np.array(numbers, dtype=np.int64)
    frame.attrs["rejected_rows"] = rejected
    notes = []
    if short:
        notes.append(
            f"{name}: {len(short)} row(s) end early ({listed_rows(short)}); their missing trailing "
            "cells read as blank"
        )
    if records.line_num != number:
        notes.append(
            f"{name}: {records.line_num} lines hold {number} rows: a cell runs across lines"
        )
    frame.attrs["notes"] = notes
    return frame


def _suspect_cell(
    cells: list[str], header: list[str], sep: str, lines: tuple[int, int]
) -> str | None:
    """Why a row's cells look like a quote left open, if they do: a giant cell, or a line break in a
    column pharmcheck reads or in a cell holding the delimiter (the mark of swallowed rows; a
    line break in a free-text column it does not read is left alone)."""
    for column, cell in zip(header, cells, strict=False):
        read = canonical_name(column, MED_COLUMNS) or canonical_name(column, PATIENT_COLUMNS)
        if ("\n" in cell or "\r" in cell) and (read or sep in cell):
            return (
                f"the {column} cell runs across lines {lines[0]}-{lines[1]}: a quote left open? "
                "The rows in it were not read"
            )
        if len(cell) > MAX_CELL_CHARS:
            return (
                f"the {column} cell holds {len(cell):,} characters (at most {MAX_CELL_CHARS:,} "
                "are read)"
            )
    return None


def listed_rows(rows: list[int], shown: int = 10) -> str:
    """Row numbers for a note: the first ``shown``, then how many more."""
    more = f" and {len(rows) - shown} more" if len(rows) > shown else ""
    return "rows " + ", ".join(map(str, rows[:shown])) + more
