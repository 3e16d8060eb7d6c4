"""Reading ward tables: CSV, TSV, Excel and Parquet, column aliases, and rows that cannot be parsed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pharmcheck.errors import InputError

MED_COLUMNS: dict[str, tuple[str, ...]] = {
    "patient_id": ("patient_id", "patient", "id", "mrn", "patientid", "patient id"),
    "name": ("name", "drug", "medication", "med", "drug_name", "medicine"),
    "dose": ("dose",), "frequency": ("frequency", "freq"), "route": ("route",),
    "start": ("start", "start_date"), "stop": ("stop", "stop_date", "end", "end_date"),
    "status": ("status",), "smiles": ("smiles",), "indication": ("indication",),
}
PATIENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "patient_id": MED_COLUMNS["patient_id"], "age": ("age",), "sex": ("sex", "gender"),
    "weight_kg": ("weight_kg", "weight"), "egfr": ("egfr",), "crcl": ("crcl",),
    "dialysis": ("dialysis",), "hepatic_impairment": ("hepatic_impairment", "hepatic"),
    "pregnant": ("pregnant",), "childbearing_potential": ("childbearing_potential",),
    "conditions": ("conditions", "condition"), "myoclonus": ("myoclonus",), "as_of": ("as_of",),
}

def normalise_columns(frame: pd.DataFrame, spec: dict[str, tuple[str, ...]], required: Sequence[str],
                      what: str) -> tuple[pd.DataFrame, list[str]]:
    """Rename aliased, case-insensitive columns to their canonical names; note unknown ones."""
    mapping: dict[str, str] = {}
    notes = []
    for column in frame.columns:
        canonical = canonical_name(column, spec)
        if canonical is None:
            notes.append(f"{what}: column {column!r} is not used")
            continue
        if canonical in mapping.values():
            raise InputError(f"{what}: more than one column means {canonical!r} (found {list(map(str, frame.columns))})")
        mapping[column] = canonical
    missing = [c for c in required if c not in mapping.values()]
    if missing:
        raise InputError(f"{what}: missing required column(s) {', '.join(missing)}; "
                         f"found {', '.join(map(str, frame.columns)) or 'none'}")
    out = frame[list(mapping)].rename(columns=mapping)
    return out, notes


def canonical_name(column: Any, spec: dict[str, tuple[str, ...]]) -> str | None:
    """The canonical name a column header stands for (case, spaces and aliases aside), if any."""
    key = str(column).strip().lower().lstrip("\ufeff")
    return next((c for c, aliases in spec.items() if key in aliases), None)


def cell_of(cells: Sequence[str], header: Any, canonical: str, spec: dict[str, tuple[str, ...]]) -> str:
    """The value under ``canonical``'s column in a row read as cells ("" when the row is too short)."""
    at = next((i for i, column in enumerate(header) if canonical_name(column, spec) == canonical), len(cells))
    return cells[at].strip() if at < len(cells) else ""


def text_cells(column: pd.Series) -> pd.Series:
    """A column as stripped text, with "" for an empty cell."""
    return column.astype("string").str.strip().fillna("")


def row_numbers(frame: pd.DataFrame) -> np.ndarray:
    """Each row's number in its source as :func:`read_table` counted them (the header is row 1)."""
    given = frame.attrs.get("source_rows")
    return np.asarray(given, dtype=np.int64) if given else np.arange(2, len(frame) + 2, dtype=np.int64)


def read_table(source: str) -> pd.DataFrame:
    """Read CSV, TSV, Excel (.xlsx) or Parquet by extension; ``-`` reads CSV from stdin."""
    import sys
    from pathlib import Path

    if source == "-":
        return _read_csv(sys.stdin, "stdin", ",")
    path = Path(source)
    if path.is_dir():
        raise InputError(f"{source} is a directory, not a table")
    if not path.exists():
        raise InputError(f"{source} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            sheets = pd.read_excel(path, sheet_name=None, dtype="string")
            if not sheets:
                raise InputError(f"{source}: the workbook has no sheets")
            return _skip_blank_rows(next(iter(sheets.values())))
        if suffix == ".parquet":
            return _skip_blank_rows(pd.read_parquet(path))
    except InputError:
        raise
    except Exception as exc:  # a damaged workbook or parquet file: say so in one line
        raise InputError(f"{source}: cannot read it as {suffix[1:]}: {exc.__class__.__name__}: {exc}") from None
    with path.open("rb") as handle:
        head = handle.read(4096)
    if b"\x00" in head:
        raise InputError(f"{source} is a binary file, not CSV/TSV")
    return _read_csv(path, source, "\t" if suffix in (".tsv", ".tab") else ",")


def _read_csv(source: Any, name: str, sep: str) -> pd.DataFrame:
    """Every cell as text. Rows are numbered as a spreadsheet shows them (the header is row 1, a
    quoted line break stays in its cell); a row with every cell blank is skipped, its number kept
    (``frame.attrs["source_rows"]``). A malformed row is recorded with its number, the reason
    and its cells (``frame.attrs["rejected_rows"]``), and every good row kept."""
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
    if not text.strip():
        raise InputError(f"{name} is empty")
    header = _header(text, sep)
    duplicated = sorted({c for c in header if c and header.count(c) > 1})
    if duplicated:
        raise InputError(f"{name}: duplicate column header(s) {', '.join(duplicated)}")
    try:
        cells = _arrow_csv(data, header, sep)
    except ValueError:  # pyarrow's ArrowInvalid: a row with too few or too many cells
        return _tolerant_csv(text, header, sep)
    return _skip_blank_rows(cells.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get))


def _skip_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows with a cell that is not blank, keeping their numbers (``frame.attrs["source_rows"]``)."""
    blank = _blank_rows(frame)
    if not blank.any():
        return frame
    kept = frame[~blank].reset_index(drop=True)
    kept.attrs["source_rows"] = (np.flatnonzero(~blank) + 2).tolist()
    return kept


def _header(text: str, sep: str) -> list[str]:
    """The header's cells; a blank one is named as pandas names it ("Unnamed: 3")."""
    import csv as csvlib
    import io

    cells = next(csvlib.reader(io.StringIO(text, newline=""), delimiter=sep), [])
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
        parse_options=arrow_csv.ParseOptions(delimiter=sep, newlines_in_values=True, ignore_empty_lines=False),
        convert_options=arrow_csv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()),
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
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


def _tolerant_csv(text: str, header: list[str], sep: str) -> pd.DataFrame:
    import csv as csvlib
    import io

    rows, numbers, rejected = [], [], []
    records = csvlib.reader(io.StringIO(text, newline=""), delimiter=sep)
    next(records)
    for number, cells in enumerate(records, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            rejected.append((number, f"{len(cells)} fields, expected {len(header)}", cells))
            continue
        rows.append(cells)
        numbers.append(number)
    frame = pd.DataFrame(rows, columns=header, dtype="string")
    frame.attrs["source_rows"] = numbers
    frame.attrs["rejected_rows"] = rejected
    return frame
