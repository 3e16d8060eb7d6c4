"""Reading ward tables: CSV, TSV, Excel and Parquet, column aliases, and rows that cannot be parsed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from pharmcheck.errors import InputError

MED_COLUMNS: dict[str, tuple[str, ...]] = {
    "patient_id": ("patient_id", "patient", "id", "mrn", "patientid", "patient id"),
    "name": ("name", "drug", "medication", "med", "drug_name", "medicine"),
    "dose": ("dose",), "frequency": ("frequency", "freq"), "route": ("route",),
    "start": ("start", "start_date"), "stop": ("stop", "stop_date", "end", "end_date"),
    "status": ("status",), "smiles": ("smiles",),
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
        key = str(column).strip().lower().lstrip("\ufeff")
        canonical = next((c for c, aliases in spec.items() if key in aliases), None)
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
            return next(iter(sheets.values()))
        if suffix == ".parquet":
            return pd.read_parquet(path)
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
    """Fast path with pandas' C parser; on a malformed row, a tolerant pass that keeps every good
    row and records each bad one with its line number (``frame.attrs["rejected_rows"]``)."""
    import io

    data = source.read() if hasattr(source, "read") else source.read_bytes()
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # a Latin-1 export: every byte is a character
    if not text.strip():
        raise InputError(f"{name} is empty")
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype="string", keep_default_na=False,
                            on_bad_lines="error", engine="c")
    except pd.errors.ParserError:
        frame = _tolerant_csv(text, sep)
    except pd.errors.EmptyDataError:
        raise InputError(f"{name} is empty") from None
    duplicated = [c for c in frame.columns if "." in str(c) and str(c).rsplit(".", 1)[0] in frame.columns]
    if duplicated:
        raise InputError(f"{name}: duplicate column header(s) {', '.join(str(c).rsplit('.', 1)[0] for c in duplicated)}")
    return frame


def _tolerant_csv(text: str, sep: str) -> pd.DataFrame:
    import csv as csvlib
    import io

    reader = csvlib.reader(io.StringIO(text), delimiter=sep)
    header = next(reader)
    rows, lines, rejected = [], [], []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            rejected.append((reader.line_num, f"{len(cells)} fields, expected {len(header)}"))
            continue
        rows.append(cells)
        lines.append(reader.line_num)
    frame = pd.DataFrame(rows, columns=header, dtype="string")
    frame.attrs["source_rows"] = lines
    frame.attrs["rejected_rows"] = rejected
    return frame
